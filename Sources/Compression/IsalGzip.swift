import CIsal

/// gzip through ISA-L's igzip (levels 0-3): ordinary gzip that gunzip and the operator read, at a
/// fraction of zlib's CPU. One stream; the output is taken in 256 KiB pieces.
public final class IsalGzipCompressor: StreamTransform {
    public static let levels = 0...3
    private let deflater: IsalDeflateStream

    public init(level: Int) throws(CompressionError) {
        deflater = try IsalDeflateStream(level: level)
        deflater.stream.pointee.gzip_flag = UInt16(IGZIP_GZIP)
        deflater.stream.pointee.flush = UInt16(NO_FLUSH)
    }

    public func update(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        var produced: [UInt8] = []
        try deflater.deflate(input, end: false, into: &produced)
        return produced
    }

    public func update(_ input: UnsafeRawBufferPointer, appendingTo output: inout [UInt8]) throws(CompressionError) {
        try deflater.deflate(input, end: false, into: &output)
    }

    public func finish() throws(CompressionError) -> [UInt8] {
        var produced: [UInt8] = []
        try deflater.deflate(UnsafeRawBufferPointer(start: nil, count: 0), end: true, into: &produced)
        return produced
    }
}

/// Raw deflate blocks through ISA-L for `ParallelGzipCompressor`: one stream reset per block.
final class IsalBlockDeflater: BlockDeflater, @unchecked Sendable {
    private let deflater: IsalDeflateStream

    init(level: Int) throws(CompressionError) {
        deflater = try IsalDeflateStream(level: level)
    }

    func deflateBlock(
        _ input: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer, finish: Bool, into produced: inout [UInt8]
    ) throws(CompressionError) {
        let stream = deflater.stream
        isal_deflate_reset(stream)
        stream.pointee.gzip_flag = UInt16(IGZIP_DEFLATE)
        stream.pointee.flush = UInt16(finish ? NO_FLUSH : SYNC_FLUSH)
        if dictionary.count > 0 {
            let status = isal_deflate_set_dict(
                stream, UnsafeMutablePointer(mutating: dictionary.baseAddress!.assumingMemoryBound(to: UInt8.self)),
                UInt32(dictionary.count))
            guard status == COMP_OK else { throw .internalError(library: "isa-l", code: status) }
        }
        try deflater.deflate(input, end: finish, into: &produced)
    }
}

/// One ISA-L deflate stream at a level, with its level buffer and a 256 KiB output piece; the
/// owner sets the framing (`gzip_flag`) and the flush.
final class IsalDeflateStream {
    let stream: UnsafeMutablePointer<isal_zstream>
    private let levelBuffer: UnsafeMutableRawPointer
    private var output = [UInt8](repeating: 0, count: 256 * 1024)

    init(level: Int) throws(CompressionError) {
        guard IsalGzipCompressor.levels.contains(level) else {
            throw .initialisationFailed(library: "isa-l", code: Int32(level))
        }
        stream = .allocate(capacity: 1)
        stream.initialize(to: isal_zstream())
        isal_deflate_init(stream)
        let size = mm_isal_level_buf_size(Int32(level))
        levelBuffer = .allocate(byteCount: Int(size), alignment: 16)
        stream.pointee.level = UInt32(level)
        stream.pointee.level_buf = levelBuffer.assumingMemoryBound(to: UInt8.self)
        stream.pointee.level_buf_size = size
    }

    deinit {
        levelBuffer.deallocate()
        stream.deallocate()
    }

    /// Feeds `input` (and the stream's end with `end`) and appends what came out to `produced`. A
    /// call of isal_deflate returns with the input consumed and the flush (or the end) written, or
    /// with the output piece full.
    func deflate(_ input: UnsafeRawBufferPointer, end: Bool, into produced: inout [UInt8]) throws(CompressionError) {
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.pointee.avail_in = UInt32(input.count)
        stream.pointee.end_of_stream = end ? 1 : 0
        repeat {
            let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                stream.pointee.next_out = out.baseAddress
                stream.pointee.avail_out = UInt32(out.count)
                return isal_deflate(stream)
            }
            guard status == COMP_OK else { throw .internalError(library: "isa-l", code: status) }
            produced.append(contentsOf: output[0..<(output.count - Int(stream.pointee.avail_out))])
        } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
            || (end && mm_isal_deflate_ended(stream) == 0)
    }
}

/// gzip read through ISA-L's inflate, several members one after another (pigz's and ours).
public final class IsalGzipDecompressor: StreamTransform {
    private let state: UnsafeMutablePointer<inflate_state>
    private var output = [UInt8](repeating: 0, count: 256 * 1024)
    private var atMemberEnd = false
    private var sawAnyInput = false

    public init() {
        state = .allocate(capacity: 1)
        state.initialize(to: inflate_state())
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)
    }

    deinit { state.deallocate() }

    public func update(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        var produced: [UInt8] = []
        try update(input, appendingTo: &produced)
        return produced
    }

    public func update(
        _ input: UnsafeRawBufferPointer, appendingTo produced: inout [UInt8]
    ) throws(CompressionError) {
        guard input.count > 0 else { return }
        sawAnyInput = true
        state.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: UInt8.self))
        state.pointee.avail_in = UInt32(input.count)
        while state.pointee.avail_in > 0 || (!atMemberEnd && state.pointee.avail_out == 0) {
            if atMemberEnd {
                // Another gzip member follows the one that ended.
                isal_inflate_reset(state)
                state.pointee.crc_flag = UInt32(ISAL_GZIP)
                atMemberEnd = false
            }
            let status = output.withUnsafeMutableBufferPointer { out -> Int32 in
                state.pointee.next_out = out.baseAddress
                state.pointee.avail_out = UInt32(out.count)
                return isal_inflate(state)
            }
            produced.append(contentsOf: output[0..<(output.count - Int(state.pointee.avail_out))])
            guard status >= ISAL_DECOMP_OK else {
                throw .corruptInput(format: "gzip", detail: "isa-l inflate error \(status)")
            }
            if mm_isal_inflate_ended(state) != 0 {
                atMemberEnd = true
            } else if state.pointee.avail_in == 0 && state.pointee.avail_out > 0 {
                break
            }
        }
    }

    public func finish() throws(CompressionError) -> [UInt8] {
        guard sawAnyInput, atMemberEnd else { throw .truncatedInput(format: "gzip") }
        return []
    }
}
