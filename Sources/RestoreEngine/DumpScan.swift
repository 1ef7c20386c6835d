import Blocking
import Compression
import Dispatch
import Dump
import Foundation
import ObjectStore
import Preflight

/// `scan`: an existing dump streamed through its decompressor and the statement splitter into the
/// hazard scanner, so a dump can be judged before it is restored into Galera.
public enum DumpScan {
    public struct Report: Codable, Sendable, Equatable {
        public var location: String
        public var compression: CompressionAlgorithm
        public var bytes: UInt64
        public var sqlBytes: UInt64
        public var statements: Int
        public var findings: [Finding]
        public var blockers: Int { findings.filter { $0.severity == .blocker }.count }
    }

    /// The compression of a dump from its first bytes: gzip (1f 8b), bzip2 (BZh), else plain SQL.
    public static func sniff(_ head: [UInt8]) -> CompressionAlgorithm {
        if head.starts(with: [0x1F, 0x8B]) { return .gzip }
        if head.starts(with: Array("BZh".utf8)) { return .bzip2 }
        return .none
    }

    public static func run(
        _ reader: any ObjectReader, location: String, progress: @escaping @Sendable (Int) -> Void = { _ in }
    )
        async throws -> Report
    {
        var first = try await reader.read() ?? []
        let compression = sniff(first)
        let decompressor = try ObjectDecompressor(compression, location: location)
        var splitter = SQLSplitter()
        var scanner = DumpHazardScanner()
        var trailer = DumpScanner()
        var bytes: UInt64 = 0
        var sqlBytes: UInt64 = 0
        while true {
            try Task.checkCancellation()
            let chunk = first
            bytes += UInt64(chunk.count)
            progress(chunk.count)
            try await decompressor.update(chunk) { sql in
                sqlBytes += UInt64(sql.count)
                trailer.consume(sql)
                for statement in splitter.consume(sql) { scanner.consume(statement) }
            }
            guard let next = try await reader.read() else { break }
            first = next
        }
        let rest = try await decompressor.finish()
        sqlBytes += UInt64(rest.count)
        trailer.consume(rest)
        for statement in splitter.consume(rest) { scanner.consume(statement) }
        do {
            for statement in try splitter.finish() { scanner.consume(statement) }
        } catch .unterminated(let text) {
            throw RestoreError.invalidSQL(location: location, detail: "unterminated statement `\(text)`")
        }
        var findings = scanner.findings()
        if !trailer.sawTrailer {
            findings.insert(
                Finding(
                    .blocker, "incomplete-dump",
                    "the dump does not end with mariadb-dump's completion line (-- Dump completed): it was cut "
                        + "short, or another tool wrote it", fix: "take the backup again (mariadb-migrate backup)"),
                at: 0)
        }
        return Report(
            location: location, compression: compression, bytes: bytes, sqlBytes: sqlBytes,
            statements: scanner.statements, findings: findings)
    }
}
