import Compression
import Foundation
import Hashing
import Testing

/// 10 MiB of SQL-like text with some randomness, so it compresses as a dump does.
func sampleData(bytes: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var out: [UInt8] = []
    out.reserveCapacity(bytes + 200)
    var id = 0
    while out.count < bytes {
        id += 1
        let line =
            "INSERT INTO `t` VALUES (\(id),'\(UInt64.random(in: 0...UInt64.max, using: &generator))','name "
            + "\(id % 977)');\n"
        out.append(contentsOf: line.utf8)
    }
    return Array(out.prefix(bytes))
}

/// Feeds `data` through a transform in uneven chunks.
func transform(_ data: [UInt8], with transform: any StreamTransform, chunk: Int = 65_537) throws -> [UInt8] {
    var out: [UInt8] = []
    var offset = 0
    while offset < data.count {
        let end = min(offset + chunk, data.count)
        out += try data[offset..<end].withUnsafeBytes { try transform.update($0) }
        offset = end
    }
    out += try transform.finish()
    return out
}

@Suite struct RoundTripTests {
    static let tenMiB = sampleData(bytes: 10 * 1024 * 1024)

    @Test(arguments: [CompressionAlgorithm.gzip, .bzip2, .none])
    func roundTripsTenMiB(algorithm: CompressionAlgorithm) throws {
        let compressed = try transform(Self.tenMiB, with: try algorithm.makeCompressor())
        if algorithm != .none { #expect(compressed.count < Self.tenMiB.count / 2) }
        let restored = try transform(compressed, with: try algorithm.makeDecompressor(), chunk: 4_099)
        #expect(restored.count == Self.tenMiB.count)
        #expect(Digest.sha256(restored).hexString == Digest.sha256(Self.tenMiB).hexString)
    }

    @Test(arguments: [("gzip", CompressionAlgorithm.gzip, ["gzip", "-dc"]), ("bzip2", .bzip2, ["bzip2", "-dc"])])
    func systemToolsReadOurOutput(name: String, algorithm: CompressionAlgorithm, command: [String]) throws {
        let data = Array(Self.tenMiB.prefix(1_000_000))
        let compressed = try transform(data, with: try algorithm.makeCompressor())
        let decoded = try runTool(command, input: compressed)
        #expect(decoded.count == data.count)
        #expect(
            Digest.sha256(decoded).hexString == Digest.sha256(data).hexString, "\(name) -dc did not give back the input"
        )
    }

    @Test(arguments: [1, 2, 3], [0, 1, 2, 3, 6])
    func parallelGzipIsOneStandardStream(workers: Int, level: Int) throws {
        let data = Array(Self.tenMiB.prefix(3_000_001))
        let compressed = try transform(
            data, with: ParallelGzipCompressor(level: level, workers: workers, blockSize: 64 * 1024), chunk: 77_777)
        #expect(Array(compressed.prefix(3)) == [0x1F, 0x8B, 0x08])
        let viaTool = try runTool(["gzip", "-dc"], input: compressed)
        #expect(viaTool.count == data.count)
        #expect(Digest.sha256(viaTool).hexString == Digest.sha256(data).hexString)
        #expect(
            Digest.sha256(try transform(compressed, with: GzipDecompressor())).hexString
                == Digest.sha256(data).hexString)
        let single = try transform(data, with: try CompressionAlgorithm.gzip.makeCompressor(level: level, workers: 1))
        #expect(
            Double(compressed.count) < Double(single.count) * 1.05,
            "the preset dictionaries keep the ratio close to one stream's")
    }

    /// Inputs of no block, one byte, and a block exactly or just over the default sizes of zlib's (128 KiB)
    /// and ISA-L's (1 MiB) blocks.
    @Test(arguments: [0, 1, 128 * 1024, 128 * 1024 + 1, 1 << 20, (1 << 20) + 1], [2, 6])
    func parallelGzipEdgeSizes(size: Int, level: Int) throws {
        let data = Array(Self.tenMiB.prefix(size))
        let compressed = try transform(data, with: ParallelGzipCompressor(level: level, workers: 2))
        #expect(try runTool(["gzip", "-dc"], input: compressed) == data)
        _ = try runTool(["gzip", "-t"], input: compressed)
    }

    @Test func readsConcatenatedGzipMembers() throws {
        let a = Array("first member\n".utf8)
        let b = Array("second member\n".utf8)
        let both = try transform(a, with: GzipCompressor()) + transform(b, with: GzipCompressor())
        #expect(try transform(both, with: GzipDecompressor()) == a + b)
    }

    @Test(arguments: [CompressionAlgorithm.gzip, .bzip2])
    func truncatedInputIsAnError(algorithm: CompressionAlgorithm) throws {
        let compressed = try transform(Array(Self.tenMiB.prefix(300_000)), with: try algorithm.makeCompressor())
        let cut = Array(compressed.prefix(compressed.count / 2))
        #expect(throws: CompressionError.truncatedInput(format: algorithm.rawValue)) {
            _ = try transform(cut, with: try algorithm.makeDecompressor())
        }
    }

    @Test func corruptGzipIsAnError() throws {
        var compressed = try transform(Array(Self.tenMiB.prefix(300_000)), with: GzipCompressor())
        compressed[compressed.count / 2] ^= 0xFF
        #expect(throws: CompressionError.self) { _ = try transform(compressed, with: GzipDecompressor()) }
    }

    @Test func sha256MatchesKnownVector() {
        #expect(
            Digest.sha256(Array("abc".utf8)).hexString
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Digest.md5(Array("abc".utf8)).hexString == "900150983cd24fb0d6963f7d28e17f72")
        // RFC 4231 test case 2.
        #expect(
            Digest.hmacSHA256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8)).hexString
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}

func runTool(_ command: [String], input: [UInt8]) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = command
    let stdinPipe = Pipe()
    let stdoutPipe = Pipe()
    process.standardInput = stdinPipe
    process.standardOutput = stdoutPipe
    try process.run()
    let writer = Thread {
        stdinPipe.fileHandleForWriting.write(Data(input))
        try? stdinPipe.fileHandleForWriting.close()
    }
    writer.start()
    let output = stdoutPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ToolFailed(command: command, status: process.terminationStatus) }
    return Array(output)
}

struct ToolFailed: Error, CustomStringConvertible {
    var command: [String]
    var status: Int32
    var description: String { "\(command.joined(separator: " ")) exited \(status)" }
}

/// gzip through ISA-L (levels 1-3): ordinary gzip every reader takes, read back by ISA-L as well.
@Suite struct IsalGzipTests {
    static let data = Array(RoundTripTests.tenMiB.prefix(3_000_003))

    @Test(arguments: [1, 2, 3])
    func everyReaderTakesItsOutput(level: Int) throws {
        let compressed = try transform(Self.data, with: try CompressionAlgorithm.gzip.makeCompressor(level: level))
        #expect(try CompressionAlgorithm.gzip.makeCompressor(level: level) is IsalGzipCompressor)
        #expect(compressed.count < Self.data.count / 2)
        let digest = Digest.sha256(Self.data).hexString
        #expect(Digest.sha256(try runTool(["gzip", "-dc"], input: compressed)).hexString == digest)
        _ = try runTool(["gzip", "-t"], input: compressed)
        let python = "import gzip, sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))"
        #expect(Digest.sha256(try runTool(["python3", "-c", python], input: compressed)).hexString == digest)
        #expect(
            Digest.sha256(try transform(compressed, with: IsalGzipDecompressor(), chunk: 7_001)).hexString == digest)
    }

    @Test(arguments: [4, 6, 9])
    func levelsAboveThreeStayWithZlib(level: Int) throws {
        let compressor = try CompressionAlgorithm.gzip.makeCompressor(level: level)
        #expect(!(compressor is IsalGzipCompressor))
        let compressed = try transform(Self.data, with: compressor)
        #expect(Digest.sha256(try transform(compressed, with: IsalGzipDecompressor())) == Digest.sha256(Self.data))
    }

    @Test func readsSeveralMembersAsGunzipDoes() throws {
        let first = try transform(Array(Self.data.prefix(1000)), with: try GzipCompressor())
        let second = try transform(
            Array(Self.data.dropFirst(1000).prefix(2000)), with: try IsalGzipCompressor(level: 1))
        let restored = try transform(first + second, with: IsalGzipDecompressor(), chunk: 333)
        #expect(restored == Array(Self.data.prefix(3000)))
    }

    @Test func aCutStreamAndAFlippedByteAreErrors() throws {
        let compressed = try transform(Self.data, with: try IsalGzipCompressor(level: 1))
        #expect(throws: CompressionError.truncatedInput(format: "gzip")) {
            try transform(Array(compressed.prefix(compressed.count / 2)), with: IsalGzipDecompressor())
        }
        var flipped = compressed
        flipped[flipped.count / 2] ^= 0xFF
        #expect(throws: CompressionError.self) { try transform(flipped, with: IsalGzipDecompressor()) }
        #expect(throws: CompressionError.self) {
            try transform(Array("not gzip at all".utf8), with: IsalGzipDecompressor())
        }
    }

    @Test func anEmptyInputIsAValidGzipStream() throws {
        let compressed = try transform([], with: try IsalGzipCompressor(level: 1))
        #expect(try runTool(["gzip", "-dc"], input: compressed).isEmpty)
    }
}
