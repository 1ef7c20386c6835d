import CShims
import CZlib
import Dispatch
import Foundation

/// One standard gzip stream from every core, as pigz makes it: the input is cut into blocks,
/// each block is deflated on its own with the previous 32 KiB as preset dictionary and ended with
/// a sync flush (the last with Z_FINISH), so the pieces join into one deflate stream; the blocks'
/// CRC-32s are joined with crc32_combine. `gunzip` and the operator read the result as any .gz.
/// `update` compresses whole batches (workers × 4 blocks) in parallel and returns them in order.
public final class ParallelGzipCompressor: StreamTransform {
    public let workers: Int
    public let level: Int
    public let blockSize: Int
    private var pending: [UInt8] = []
    private var dictionary: [UInt8] = []
    private var crc: UInt = 0
    private var totalInput: UInt64 = 0
    private var wroteHeader = false
    private let streams: [DeflateStream]

    public init(level: Int = GzipCompressor.defaultLevel, workers: Int = ParallelGzipCompressor.defaultWorkers,
                blockSize: Int = 128 * 1024) throws(CompressionError) {
        self.level = level
        self.workers = max(1, workers)
        self.blockSize = blockSize
        var made: [DeflateStream] = []
        for _ in 0..<(self.workers * 4) { made.append(try DeflateStream(level: level, windowBits: -15)) }
        streams = made
        crc = crc32(0, nil, 0)
        pending.reserveCapacity(batchBytes)
    }

    public static var defaultWorkers: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    private var batchBytes: Int { streams.count * blockSize }

    public func update(_ input: UnsafeRawBufferPointer) throws(CompressionError) -> [UInt8] {
        pending.append(contentsOf: input)
        var out = header()
        while pending.count >= batchBytes + 1 {  // keep at least one byte back for the final block
            out += try compress(blockCount: streams.count, final: false)
        }
        return out
    }

    public func finish() throws(CompressionError) -> [UInt8] {
        var out = header()
        let blocks = max(1, (pending.count + blockSize - 1) / blockSize)
        var remainingBlocks = blocks
        while remainingBlocks > 0 {
            let batch = min(remainingBlocks, streams.count)
            out += try compress(blockCount: batch, final: batch == remainingBlocks)
            remainingBlocks -= batch
        }
        var trailer: [UInt8] = []
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: UInt32(crc) >> UInt32(shift))) }
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: UInt32(truncatingIfNeeded: totalInput) >> UInt32(shift))) }
        return out + trailer
    }

    private func header() -> [UInt8] {
        guard !wroteHeader else { return [] }
        wroteHeader = true
        return [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]
    }

    /// Compresses the first `blockCount` blocks of `pending` in parallel; the last one finishes
    /// the deflate stream when `final`.
    private func compress(blockCount: Int, final: Bool) throws(CompressionError) -> [UInt8] {
        let available = final ? pending.count : min(pending.count, blockCount * blockSize)
        // The previous 32 KiB, then this batch: each block's dictionary is the 32 KiB before it.
        let context = dictionary + pending[0..<available]
        let offset = dictionary.count
        let ranges = (0..<blockCount).map { index in (offset + index * blockSize)..<(offset + min(available, (index + 1) * blockSize)) }
        let outputs = ResultSlots(count: blockCount)
        let streams = self.streams
        context.withUnsafeBytes { bytes in
            // Read-only for the duration of concurrentPerform, which returns before `bytes` ends.
            let shared = SharedBytes(bytes: bytes)
            DispatchQueue.concurrentPerform(iterations: blockCount) { index in
                let all = shared.bytes
                let range = ranges[index]
                let block = UnsafeRawBufferPointer(rebasing: all[range])
                let preset = UnsafeRawBufferPointer(rebasing: all[max(0, range.lowerBound - 32 * 1024)..<range.lowerBound])
                let isLast = final && index == blockCount - 1
                outputs.set(index, Result { () throws(CompressionError) in
                    let compressed = try streams[index].deflateBlock(block, dictionary: preset, finish: isLast)
                    return (compressed, crc32(0, block.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(block.count)))
                })
            }
        }
        var out: [UInt8] = []
        for index in 0..<blockCount {
            let (compressed, blockCRC) = try outputs.get(index)
            let length = ranges[index].count
            crc = crc32_combine(crc, blockCRC, off_t(length))
            totalInput += UInt64(length)
            out += compressed
        }
        dictionary = Array(context[max(0, context.count - 32 * 1024)...])
        pending.removeFirst(available)
        return out
    }
}

/// Results written by concurrentPerform's iterations, each to its own slot.
final class ResultSlots: @unchecked Sendable {
    private var slots: [Result<([UInt8], UInt), CompressionError>?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Result<([UInt8], UInt), CompressionError>) { lock.withLock { slots[index] = value } }

    func get(_ index: Int) throws(CompressionError) -> ([UInt8], UInt) { try slots[index]!.get() }
}

struct SharedBytes: @unchecked Sendable { let bytes: UnsafeRawBufferPointer }
