import CShims
import CZlib
import Dispatch
import Foundation
import Hashing

/// One deflater of the blocks of a parallel stream: raw deflate of a block after a preset
/// dictionary, ended by a sync flush or, for the last block, the stream's end; appended to `output`.
protocol BlockDeflater: AnyObject, Sendable {
    func deflateBlock(
        _ input: UnsafeRawBufferPointer, dictionary: UnsafeRawBufferPointer, finish: Bool, into output: inout [UInt8]
    ) throws(CompressionError)
}

/// One standard gzip stream from every core, as pigz makes it: the input is cut into blocks,
/// each block is deflated on its own with the previous 32 KiB as preset dictionary and ended with
/// a sync flush (the last with the stream's end), so the pieces join into one deflate stream; the
/// blocks' CRC-32s are joined with crc32_combine. `gunzip` and the operator read the result as any
/// .gz. Blocks are compressed as soon as they are full, `workers × 2` at a time, with no barrier
/// between them: `update` hands out the blocks finished so far, in order, and waits only when
/// every stream is busy. Levels 0-3 deflate through ISA-L, higher ones through zlib. The blocks'
/// buffers are reused: input is copied once, into the block being filled.
public final class ParallelGzipCompressor: StreamTransform {
    public let workers: Int
    public let level: Int
    public let blockSize: Int
    static let dictionarySize = 32 * 1024
    /// The block being filled: the previous block's last 32 KiB (its dictionary), then its input.
    private var filling: BlockBuffers
    private var crc: UInt = 0
    private var totalInput: UInt64 = 0
    private var wroteHeader = false
    private let streams: [any BlockDeflater]
    private var freeStreams: [Int]
    private var spareBuffers: [BlockBuffers] = []
    private var jobs: [BlockJob] = []
    private let queue = DispatchQueue(label: "parallel-gzip", attributes: .concurrent)

    public init(
        level: Int = GzipCompressor.defaultLevel, workers: Int = ParallelGzipCompressor.defaultWorkers,
        blockSize: Int? = nil
    ) throws(CompressionError) {
        self.level = level
        self.workers = max(1, workers)
        let isal = IsalGzipCompressor.levels.contains(level)
        // ISA-L's blocks are larger: setting a dictionary costs it a hash of 32 KiB per block.
        self.blockSize = blockSize ?? (isal ? 1 << 20 : 128 * 1024)
        var made: [any BlockDeflater] = []
        for _ in 0..<(self.workers * 2) {
            made.append(isal ? try IsalBlockDeflater(level: level) : try DeflateStream(level: level, windowBits: -15))
        }
        streams = made
        freeStreams = Array(made.indices)
        filling = BlockBuffers(capacity: Self.dictionarySize + self.blockSize)
    }

    deinit {
        // Jobs still running use our streams: let them end first.
        for job in jobs { job.done.wait() }
    }

    public static var defaultWorkers: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    public func update(_ bytes: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        var out: [UInt8] = []
        try update(bytes, appendingTo: &out)
        return out
    }

    public func update(_ bytes: UnsafeRawBufferPointer, appendingTo out: inout [UInt8]) throws(CompressionError) {
        out += header()
        var offset = 0
        while offset < bytes.count {
            // A full block goes only when more input follows: the last block must finish the stream.
            if filling.blockBytes == blockSize { try submit(final: false, into: &out) }
            let count = min(blockSize - filling.blockBytes, bytes.count - offset)
            filling.input.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            offset += count
        }
        try collect(waiting: false, into: &out)
    }

    public func finish() throws(CompressionError) -> [UInt8] {
        var out = header()
        try submit(final: true, into: &out)
        while !jobs.isEmpty { try collect(waiting: true, into: &out) }
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

    /// Starts compressing the block being filled on a free stream (waiting for the oldest block
    /// when none is free), and starts the next block with this one's last 32 KiB.
    private func submit(final: Bool, into out: inout [UInt8]) throws(CompressionError) {
        while freeStreams.isEmpty { try collect(waiting: true, into: &out) }
        let streamIndex = freeStreams.removeLast()
        var next = spareBuffers.popLast() ?? BlockBuffers(capacity: Self.dictionarySize + blockSize)
        next.startAfter(filling)
        let job = BlockJob(buffers: filling, streamIndex: streamIndex)
        filling = next
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
            let (buffers, blockCRC) = try job.result()
            crc = crc32_combine(crc, blockCRC, off_t(buffers.blockBytes))
            totalInput += UInt64(buffers.blockBytes)
            out += buffers.output
            spareBuffers.append(buffers)
        }
    }
}

/// A block's input (dictionary, then the block) and its compressed output, kept between blocks.
struct BlockBuffers {
    var input: [UInt8]
    var dictionaryLength = 0
    var output: [UInt8] = []

    init(capacity: Int) {
        input = []
        input.reserveCapacity(capacity)
    }

    var blockBytes: Int { input.count - dictionaryLength }

    /// Empties these buffers and starts them with the last 32 KiB of `previous` as dictionary.
    mutating func startAfter(_ previous: BlockBuffers) {
        let keep = min(ParallelGzipCompressor.dictionarySize, previous.input.count)
        input.removeAll(keepingCapacity: true)
        input.append(contentsOf: previous.input[(previous.input.count - keep)...])
        dictionaryLength = keep
        output.removeAll(keepingCapacity: true)
    }
}

/// One block being deflated on a worker: it owns the block's buffers until `done` is signalled.
final class BlockJob: @unchecked Sendable {
    private var buffers: BlockBuffers
    let streamIndex: Int
    let done = DispatchSemaphore(value: 0)
    private var outcome: Result<UInt, CompressionError>?

    init(buffers: BlockBuffers, streamIndex: Int) {
        self.buffers = buffers
        self.streamIndex = streamIndex
    }

    func run(stream: any BlockDeflater, final: Bool) {
        let dictionaryLength = buffers.dictionaryLength
        outcome = buffers.input.withUnsafeBytes { all in
            let preset = UnsafeRawBufferPointer(rebasing: all[0..<dictionaryLength])
            let block = UnsafeRawBufferPointer(rebasing: all[dictionaryLength...])
            return Result { () throws(CompressionError) in
                try stream.deflateBlock(block, dictionary: preset, finish: final, into: &buffers.output)
                return UInt(CRC32.checksum(block))
            }
        }
        done.signal()
    }

    /// Read after `done` was waited for (the semaphore orders the writes before this read); hands
    /// the buffers back, moved out of the job.
    func result() throws(CompressionError) -> (BlockBuffers, UInt) {
        let crc = try outcome!.get()
        var taken = BlockBuffers(capacity: 0)
        swap(&taken, &buffers)
        return (taken, crc)
    }
}
