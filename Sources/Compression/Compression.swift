/// The operator's `compression` values and the file extensions it reads.
public enum CompressionAlgorithm: String, Sendable, CaseIterable, Codable {
    case none, gzip, bzip2

    /// The extension after `.sql` in a backup name (`backup.<time>.sql.gz`).
    public var fileExtension: String? {
        switch self {
        case .none: return nil
        case .gzip: return "gz"
        case .bzip2: return "bz2"
        }
    }

    /// gzip levels 1-3 go through ISA-L, levels 4-9 through zlib. `workers` > 1 makes one standard
    /// stream on that many cores, pigz-style; nil: zlib on every core, ISA-L on one (one core of it
    /// outruns mariadb-dump, but not mariadb-backup).
    public func makeCompressor(level: Int? = nil, workers: Int? = nil) throws -> any StreamTransform {
        let isal = IsalGzipCompressor.levels.contains(level ?? GzipCompressor.defaultLevel)
        let workers = workers ?? (isal ? 1 : ParallelGzipCompressor.defaultWorkers)
        switch self {
        case .none: return PassThrough()
        case .gzip where isal && workers == 1:
            return try IsalGzipCompressor(level: level ?? GzipCompressor.defaultLevel)
        case .gzip where workers > 1:
            return try ParallelGzipCompressor(level: level ?? GzipCompressor.defaultLevel, workers: workers)
        case .gzip: return try GzipCompressor(level: level ?? GzipCompressor.defaultLevel)
        case .bzip2: return try BZip2Compressor(blockSize100k: level ?? 9)
        }
    }

    public func makeDecompressor() throws -> any StreamTransform {
        switch self {
        case .none: return PassThrough()
        case .gzip: return IsalGzipDecompressor()
        case .bzip2: return try BZip2Decompressor()
        }
    }
}

/// A streaming byte transform: feed chunks, then `finish` once. Each call returns what it
/// produced so far. Instances own C state and are used from one task at a time.
public protocol StreamTransform: AnyObject {
    func update(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8]
    /// The same, appended to `output` (no array of its own to copy from).
    func update(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws(CompressionError)
    /// Flushes the end of the stream; a decompressor throws if its input ended early.
    func finish() throws(CompressionError) -> [UInt8]
}

extension StreamTransform {
    public func update(
        _ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]
    ) throws(CompressionError) {
        output += try update(input)
    }

    public func update(_ input: [UInt8]) throws(CompressionError) -> [UInt8] {
        let result = input.withUnsafeBytes { bytes in Result { () throws(CompressionError) in try update(bytes) } }
        return try result.get()
    }
}

public enum CompressionError: Error, Equatable, Sendable {
    case initialisationFailed(library: String, code: Int32)
    case corruptInput(format: String, detail: String)
    case truncatedInput(format: String)
    case internalError(library: String, code: Int32)
}

public final class PassThrough: StreamTransform {
    public init() {}
    public func update(_ input: UnsafeRawBufferPointer) -> [UInt8] { Array(input) }
    public func finish() -> [UInt8] { [] }
}
