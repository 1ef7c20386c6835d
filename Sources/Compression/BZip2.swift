import CBZip2

/// libbz2 compression to a standard .bz2 stream.
public final class BZip2Compressor: StreamTransform {
    private let stream: UnsafeMutablePointer<bz_stream>
    private var output = [UInt8](repeating: 0, count: 256 * 1024)

    public init(blockSize100k: Int = 9) throws(CompressionError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: bz_stream())
        let status = BZ2_bzCompressInit(stream, Int32(min(max(blockSize100k, 1), 9)), 0, 0)
        guard status == BZ_OK else {
            stream.deallocate()
            throw .initialisationFailed(library: "libbz2", code: status)
        }
    }

    deinit {
        BZ2_bzCompressEnd(stream)
        stream.deallocate()
    }

    public func update(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        guard input.count > 0 else { return [] }
        var produced: [UInt8] = []
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: CChar.self))
        stream.pointee.avail_in = UInt32(input.count)
        while stream.pointee.avail_in > 0 {
            let status = drain(action: BZ_RUN, into: &produced)
            guard status == BZ_RUN_OK else { throw .internalError(library: "libbz2", code: status) }
        }
        return produced
    }

    public func finish() throws(CompressionError) -> [UInt8] {
        var produced: [UInt8] = []
        stream.pointee.next_in = nil
        stream.pointee.avail_in = 0
        while true {
            let status = drain(action: BZ_FINISH, into: &produced)
            if status == BZ_STREAM_END { return produced }
            guard status == BZ_FINISH_OK else { throw .internalError(library: "libbz2", code: status) }
        }
    }

    private func drain(action: Int32, into produced: inout [UInt8]) -> Int32 {
        let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
            out.withMemoryRebound(to: CChar.self) { chars in
                stream.pointee.next_out = chars.baseAddress
                stream.pointee.avail_out = UInt32(chars.count)
                return BZ2_bzCompress(stream, action)
            }
        }
        produced.append(contentsOf: output[0..<(output.count - Int(stream.pointee.avail_out))])
        return status
    }
}

/// libbz2 decompression; reads several concatenated streams as `bunzip2` and pbzip2 output do.
public final class BZip2Decompressor: StreamTransform {
    private var stream: UnsafeMutablePointer<bz_stream>
    private var output = [UInt8](repeating: 0, count: 256 * 1024)
    private var atStreamEnd = false
    private var sawAnyInput = false

    public init() throws(CompressionError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: bz_stream())
        let status = BZ2_bzDecompressInit(stream, 0, 0)
        guard status == BZ_OK else {
            stream.deallocate()
            throw .initialisationFailed(library: "libbz2", code: status)
        }
    }

    deinit {
        BZ2_bzDecompressEnd(stream)
        stream.deallocate()
    }

    public func update(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        guard input.count > 0 else { return [] }
        sawAnyInput = true
        var produced: [UInt8] = []
        var next = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: CChar.self))
        var available = UInt32(input.count)
        while available > 0 {
            if atStreamEnd {
                BZ2_bzDecompressEnd(stream)
                stream.initialize(to: bz_stream())
                let status = BZ2_bzDecompressInit(stream, 0, 0)
                guard status == BZ_OK else { throw .initialisationFailed(library: "libbz2", code: status) }
                atStreamEnd = false
            }
            stream.pointee.next_in = next
            stream.pointee.avail_in = available
            let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                out.withMemoryRebound(to: CChar.self) { chars in
                    stream.pointee.next_out = chars.baseAddress
                    stream.pointee.avail_out = UInt32(chars.count)
                    return BZ2_bzDecompress(stream)
                }
            }
            produced.append(contentsOf: output[0..<(output.count - Int(stream.pointee.avail_out))])
            next = stream.pointee.next_in
            available = stream.pointee.avail_in
            switch status {
            case BZ_STREAM_END: atStreamEnd = true
            case BZ_OK: continue
            default: throw .corruptInput(format: "bzip2", detail: "libbz2 error \(status)")
            }
        }
        return produced
    }

    public func finish() throws(CompressionError) -> [UInt8] {
        guard sawAnyInput, atStreamEnd else { throw .truncatedInput(format: "bzip2") }
        return []
    }
}
