import CShims
import CZlib

/// zlib's deflate producing a standard gzip stream (window bits 15 + 16).
public final class GzipCompressor: StreamTransform {
    /// Chosen from measurements, see README ("Why gzip level 1").
    public static let defaultLevel = 1

    private let stream: UnsafeMutablePointer<z_stream>
    private var output = [UInt8](repeating: 0, count: 256 * 1024)

    public init(level: Int = GzipCompressor.defaultLevel) throws(CompressionError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = mm_deflate_init2(stream, Int32(level), 15 + 16, 8, Z_DEFAULT_STRATEGY)
        guard status == Z_OK else {
            stream.deallocate()
            throw .initialisationFailed(library: "zlib", code: status)
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    public func update(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        try run(input, flush: Z_NO_FLUSH)
    }

    public func finish() throws(CompressionError) -> [UInt8] {
        try run(UnsafeRawBufferPointer(start: nil, count: 0), flush: Z_FINISH)
    }

    private func run(_ input: UnsafeRawBufferPointer, flush: Int32) throws(CompressionError) -> [UInt8] {
        var produced: [UInt8] = []
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        // zlib's usual loop: call deflate until it leaves room in the output buffer.
        repeat {
            let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = uInt(out.count)
                return deflate(stream, flush)
            }
            guard status == Z_OK || status == Z_BUF_ERROR || status == Z_STREAM_END else {
                throw .internalError(library: "zlib", code: status)
            }
            produced.append(contentsOf: output[0..<(output.count - Int(stream.pointee.avail_out))])
        } while stream.pointee.avail_out == 0
        return produced
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
