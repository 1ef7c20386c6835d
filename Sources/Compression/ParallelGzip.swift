import CShims
import CZlib
import Dispatch
import Foundation

/// One standard gzip stream from every core, as pigz makes it: the input is cut into blocks,
/// each block is deflated on its own with the previous 32 KiB as preset dictionary and ended with
/// a sync flush (the last with Z_FINISH), so the pieces join into one deflate stream; the blocks'
/// CRC-32s are joined with crc32_combine. `gunzip` and the operator read the result as any .gz.
/// Blocks are compressed as soon as they are full, `workers × 2` at a time, with no barrier
/// between them: `update` hands out the blocks finished so far, in order, and waits only when
/// every stream is busy.
public final class ParallelGzipCompressor: StreamTransform {
    public let workers: Int
    public let level: Int
    public let blockSize: Int
    /// Input not yet in a block: `input[inputStart...]`.
    private var input: [UInt8] = []
    private var inputStart = 0
    /// The 32 KiB before `input[inputStart]`, the next block's dictionary.
    private var dictionary: [UInt8] = []
    private var crc: UInt = 0
    private var totalInput: UInt64 = 0
    private var wroteHeader = false
    private let streams: [DeflateStream]
    private var freeStreams: [Int]
    private var jobs: [BlockJob] = []
    private let queue = DispatchQueue(label: "parallel-gzip", attributes: .concurrent)

    public init(
        level: Int = GzipCompressor.defaultLevel, workers: Int = ParallelGzipCompressor.defaultWorkers,
        blockSize: Int = 128 * 1024
    ) throws(CompressionError) {
        self.level = level
        self.workers = max(1, workers)
        self.blockSize = blockSize
        var made: [DeflateStream] = []
        for _ in 0..<(self.workers * 2) { made.append(try DeflateStream(level: level, windowBits: -15)) }
        streams = made
        freeStreams = Array(made.indices)
        crc = crc32(0, nil, 0)
    }

    deinit {
        // Jobs still running use our streams: let them end first.
        for job in jobs { job.done.wait() }
    }

    public static var defaultWorkers: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    public func update(_ bytes: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        input.append(contentsOf: bytes)
        var out = header()
        // At least one byte stays back: the last block must finish the stream.
        while input.count - inputStart > blockSize {
            try submit(count: blockSize, final: false, into: &out)
        }
        if inputStart >= 1 << 20 {
            input.removeFirst(inputStart)
            inputStart = 0
        }
        try collect(waiting: false, into: &out)
        return out
    }

    public func finish() throws(CompressionError) -> [UInt8] {
        var out = header()
        while input.count - inputStart > blockSize { try submit(count: blockSize, final: false, into: &out) }
        try submit(count: input.count - inputStart, final: true, into: &out)
        while !jobs.isEmpty { try collect(waiting: true, into: &out) }
        input = []
        inputStart = 0
        var trailer: [UInt8] = []
        for shift in stride(from: 0, to: 32, by: 8) {
            trailer.append(UInt8(truncatingIfNeeded: UInt32(crc) >> UInt32(shift)))
        }
        for shift in stride(from: 0, to: 32, by: 8) {
            trailer.append(UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: totalInput) >> UInt32(shift)))
        }
        return out + trailer
    }

    private func header() -> [UInt8] {
        guard !wroteHeader else { return [] }
        wroteHeader = true
        return [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]
    }

    /// Starts compressing the next `count` input bytes on a free stream (waiting for the oldest
    /// block when none is free).
    private func submit(count: Int, final: Bool, into out: inout [UInt8]) throws(CompressionError) {
        while freeStreams.isEmpty { try collect(waiting: true, into: &out) }
        let streamIndex = freeStreams.removeLast()
        let block = input[inputStart..<(inputStart + count)]
        // The job owns its bytes: the dictionary, then the block.
        let joined = dictionary + block
        let job = BlockJob(bytes: joined, dictionaryLength: dictionary.count, streamIndex: streamIndex)
        dictionary = Array(joined.suffix(32 * 1024))
        inputStart += count
        jobs.append(job)
        let stream = streams[streamIndex]
        queue.async {
            job.run(stream: stream, final: final)
        }
    }

    /// Takes finished blocks off the front, in order; with `waiting`, waits for the first one.
    private func collect(waiting: Bool, into out: inout [UInt8]) throws(CompressionError) {
        var first = true
        while let job = jobs.first {
            if waiting && first {
                job.done.wait()
            } else if job.done.wait(timeout: .now()) != .success {
                return
            }
            first = false
            jobs.removeFirst()
            freeStreams.append(job.streamIndex)
            let (compressed, blockCRC, length) = try job.result()
            crc = crc32_combine(crc, blockCRC, off_t(length))
            totalInput += UInt64(length)
            out += compressed
        }
    }
}

/// One block being deflated on a worker: its input, and its result once `done` is signalled.
final class BlockJob: @unchecked Sendable {
    let bytes: [UInt8]
    let dictionaryLength: Int
    let streamIndex: Int
    let done = DispatchSemaphore(value: 0)
    private var outcome: Result<([UInt8], UInt), CompressionError>?

    init(bytes: [UInt8], dictionaryLength: Int, streamIndex: Int) {
        self.bytes = bytes
        self.dictionaryLength = dictionaryLength
        self.streamIndex = streamIndex
    }

    func run(stream: DeflateStream, final: Bool) {
        outcome = bytes.withUnsafeBytes { all in
            let preset = UnsafeRawBufferPointer(rebasing: all[0..<dictionaryLength])
            let block = UnsafeRawBufferPointer(rebasing: all[dictionaryLength...])
            return Result { () throws(CompressionError) in
                let compressed = try stream.deflateBlock(block, dictionary: preset, finish: final)
                return (compressed, crc32(0, block.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(block.count)))
            }
        }
        done.signal()
    }

    /// Read after `done` was waited for (the semaphore orders the write before this read).
    func result() throws(CompressionError) -> ([UInt8], UInt, Int) {
        let (compressed, crc) = try outcome!.get()
        return (compressed, crc, bytes.count - dictionaryLength)
    }
}
