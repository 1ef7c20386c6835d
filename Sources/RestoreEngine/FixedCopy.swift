import BackupEngine
import Compression
import Dump
import Foundation
import ObjectStore
import UTCTime

/// `scan --fix`: an existing dump rewritten with the fixes into the store as a new backup, stream in, stream out
/// (a chunk and its decompressed output held at a time). The copy is named like its original one second or more
/// later (the first free name), so the operator's targetRecoveryTime picks it as it would the original, and it
/// becomes visible only when complete; its manifest says what it was fixed from and what changed.
public enum FixedCopy {
    public struct Result: Codable, Sendable, Equatable {
        public var name: String
        public var location: String
        public var manifest: BackupManifest
    }

    public static func run(
        _ reader: any ObjectReader, location: String, originalName: String?, original: BackupManifest?,
        options: DefinitionFixOptions, store: any ObjectStore, progress: BackupProgress = BackupProgress()
    ) async throws -> Result {
        let first = try await reader.read() ?? []
        let compression = DumpScan.sniff(first)
        let started = UTCDateTime.now()
        let originalTime = originalName.flatMap(BackupName.init(parsing:))?.time
        let name = try await freeName(after: originalTime ?? started, compression: compression, in: store)
        let fixed = FixedDump(
            DecompressedDump(
                reader, first: first, decompressor: try ObjectDecompressor(compression, location: location),
                progress: progress.dumped),
            options: options)
        let writer = try await store.makeWriter(name: name.fileName)
        var scanner = DumpScanner()
        let digests: BackupPipeline.StreamDigests
        do {
            digests = try await BackupPipeline.pump(
                fixed, compression: compression, gzipLevel: nil, into: writer,
                progress: BackupProgress(stored: progress.stored)
            ) { scanner.consume($0) }
            guard scanner.sawTrailer else { throw BackupError.incompleteDump(bytes: scanner.bytes) }
            _ = try await writer.commit()
        } catch {
            await writer.abort()
            throw error
        }
        var manifest =
            original
            ?? BackupManifest(
                name: name.fileName, object: digests.object, sql: digests.content, compression: compression,
                serverVersion: "unknown", galera: false, binlog: scanner.position, databases: [], dumpArguments: [],
                startedAt: started, finishedAt: started, tool: BackupPipeline.toolVersion)
        manifest.name = name.fileName
        manifest.object = digests.object
        manifest.sql = digests.content
        manifest.compression = compression
        manifest.finishedAt = UTCDateTime.now()
        manifest.tool = BackupPipeline.toolVersion
        manifest.fixes = options.fixes
        manifest.fixed = fixed.notes
        manifest.fixedFrom = originalName ?? location
        try await manifest.write(besides: name, to: store)
        return Result(name: name.fileName, location: store.location + name.fileName, manifest: manifest)
    }

    /// The first name one second or more after `time` that the store does not hold, nor its manifest.
    static func freeName(
        after time: UTCDateTime, compression: CompressionAlgorithm, in store: any ObjectStore
    ) async throws -> BackupName {
        for offset in 1...600 {
            let later = UTCDateTime(epochSeconds: time.epochSeconds + Int64(offset))
            let name = BackupName(time: later, compression: compression)
            if try await store.head(name: name.fileName) == nil, try await store.head(name: name.manifestName) == nil {
                return name
            }
        }
        throw BackupError.alreadyExists(location: store.location + "backup.<the next 600 seconds>")
    }
}

/// An object's content, decompressed, as a dump source.
final class DecompressedDump: DumpSource, @unchecked Sendable {
    private let reader: any ObjectReader
    private let decompressor: ObjectDecompressor
    private let progress: @Sendable (Int) -> Void
    private var first: [UInt8]?
    private var pending: [[UInt8]] = []
    private var ended = false

    init(
        _ reader: any ObjectReader, first: [UInt8], decompressor: ObjectDecompressor,
        progress: @escaping @Sendable (Int) -> Void
    ) {
        self.reader = reader
        self.first = first
        self.decompressor = decompressor
        self.progress = progress
    }

    func read() async throws -> [UInt8]? {
        while pending.isEmpty {
            if ended { return nil }
            let chunk: [UInt8]
            if let first {
                chunk = first
                self.first = nil
            } else if let next = try await reader.read() {
                chunk = next
            } else {
                ended = true
                let rest = try await decompressor.finish()
                if !rest.isEmpty { pending.append(rest) }
                continue
            }
            progress(chunk.count)
            try await decompressor.update(chunk) { pending.append($0) }
        }
        return pending.removeFirst()
    }

    func recycle(_ chunk: consuming [UInt8]) {}
}
