import CShims
import CZlib

/// zlib's deflate producing a standard gzip stream (window bits 15 + 16).
public final class GzipCompressor: StreamTransform {
    /// The backup's default: ISA-L's level 2 took no longer than level 1 behind mariadb-dump and stored
    /// 1.7% less (383 MiB of sysbench SQL, alternating runs by hand: 195.5 against 198.8 MB; `igzip -2`
    /// alone 1.7-1.8 CPU-s against 2.0-2.2 for `-1`). bench/backup.sh's level table keeps measuring it.
    public static let defaultLevel = 2

    private let stream: DeflateStream

    public init(level: Int = GzipCompressor.defaultLevel) throws(CompressionError) {
        stream = try DeflateStream(level: level, windowBits: 15 + 16)
    }

    public func update(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        try stream.deflate(input, flush: Z_NO_FLUSH)
    }

    public func finish() throws(CompressionError) -> [UInt8] {
        try stream.deflate(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH)
    }
}

/// One zlib deflate stream: gzip-framed (window bits 31) for `GzipCompressor`, raw (-15) for the
/// blocks of `ParallelGzipCompressor`, which reuses it block after block (deflateReset keeps its
/// memory).
final class DeflateStream: BlockDeflater, @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output = [UInt8](repeating: 0, count: 256 * 1024)

    init(level: Int, windowBits: Int32) throws(CompressionError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = mm_deflate_init2(stream, Int32(level), windowBits, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else {
            stream.deallocate()
            throw .initialisationFailed(library: "zlib", code: status)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// Feeds `input` with `flush` and returns what deflate produced.
    func deflate(_ input: UnsafeRawBufferPointer, flush: Int32) throws(CompressionError) -> [UInt8] {
        var produced: [UInt8] = []
        try deflate(input, flush: flush, into: &produced)
        return produced
    }

    /// Feeds `input` with `flush` and appends what deflate produced to `produced`.
    func deflate(
        _ input: UnsafeRawBufferPointer, flush: Int32, into produced: inout [UInt8]
    ) throws(CompressionError) {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        // zlib's usual loop: call deflate until it leaves room in the output buffer.
        repeat {
            let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = uInt(out.count)
                return CZlib.deflate(stream, flush)
            }
            guard status == Z_OK || status == Z_BUF_ERROR || status == Z_STREAM_END else {
                throw .internalError(library: "zlib", code: status)
            }
            produced.append(contentsOf: output[0..<(output.count - Int(stream.pointee.avail_out))])
        } while stream.pointee.avail_out == 0
    }

    /// One block of a parallel stream: starts afresh with `dictionary` as the preceding 32 KiB,
    /// ends with a sync flush (or finishes the stream).
    func deflateBlock(
        _ input: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer, finish: Bool, into output: inout [UInt8]
    ) throws(CompressionError) {
        deflateReset(stream)
        if dictionary.count > 0 {
            deflateSetDictionary(
                stream, dictionary.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt(dictionary.count))
        }
        try deflate(input, flush: finish ? Z_FINISH : Z_SYNC_FLUSH, into: &output)
    }
}

/// zlib's inflate reading gzip (and zlib) streams, including several gzip members one after
/// another, as `gunzip` and pigz's output need.
public final class GzipDecompressor: StreamTransform {
    private let stream: UnsafeMutablePointer<z_stream>
    private var output = [UInt8](repeating: 0, count: 256 * 1024)
    private var atMemberEnd = false
    private var sawAnyInput = false

    public init() throws(CompressionError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = mm_inflate_init2(stream, 15 + 32)
        guard status == Z_OK else {
            stream.deallocate()
            throw .initialisationFailed(library: "zlib", code: status)
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    public func update(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        guard input.count > 0 else { return [] }
        sawAnyInput = true
        var produced: [UInt8] = []
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        while stream.pointee.avail_in > 0 {
            if atMemberEnd {
                // Another gzip member follows the one that ended.
                inflateReset(stream)
                atMemberEnd = false
            }
            let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = uInt(out.count)
                return inflate(stream, Z_NO_FLUSH)
            }
            let count = output.count - Int(stream.pointee.avail_out)
            produced.append(contentsOf: output[0..<count])
            switch status {
            case Z_STREAM_END:
                atMemberEnd = true
            case Z_OK, Z_BUF_ERROR:
                continue
            default:
                let message = stream.pointee.msg.map { String(cString: $0) } ?? "code \(status)"
                throw .corruptInput(format: "gzip", detail: message)
            }
        }
        return produced
    }

    public func finish() throws(CompressionError) -> [UInt8] {
        guard sawAnyInput, atMemberEnd else { throw .truncatedInput(format: "gzip") }
        return []
    }
}
