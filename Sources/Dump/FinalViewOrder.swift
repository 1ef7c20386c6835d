import Foundation

/// Puts each database's final view definitions in an order that creates a view after the views it reads.
/// mariadb-dump 10.11 writes them in name order over placeholder views (`SELECT NULL AS col`): a view made
/// `WITH CHECK OPTION` over a view whose name sorts after it meets the placeholder, which is not updatable, and
/// the restore stops with error 1368 (in `mariadb < file` too). Each "Final view structure" block moves whole;
/// a view is placed after every view of the same section whose name it quotes; a cycle keeps the dump's order.
/// Pure; fed chunk by chunk. Outside a view section a chunk is searched for a view header at memory speed and
/// only its last lines are looked at line by line, so a dump with its rows passes at little cost.
public struct FinalViewOrder {
    struct Block {
        var name: [UInt8]
        var bytes: [UInt8]
    }

    private var partialLine: [UInt8] = []
    private var blocks: [Block] = []
    private var buffering = false
    /// A `--` line held until the next line says whether it opens a block.
    private var heldDashes = false

    public init() {}

    private static let dashes = Array("--\n".utf8)
    private static let header = Array("-- Final view structure for view ".utf8)
    private static let nextDatabase = Array("-- Current Database: ".utf8)
    private static let trailer = Array("/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE".utf8)
    private static let viewLine = Array("/*!50001 VIEW ".utf8)

    public mutating func consume(_ chunk: [UInt8]) -> [UInt8] {
        guard !buffering, !heldDashes, partialLine.isEmpty, !chunk.isEmpty else { return byLines(chunk[...]) }
        // Up to a header that starts in this chunk, or else up to the line before the last (a header may begin
        // in the chunk's last two lines and end in the next one), the chunk passes as it is.
        let passing: Int
        if let header = Self.find(Self.splitHeader, in: chunk) {
            passing = header + 1
        } else {
            var newlines = 0
            var index = chunk.count
            while index > 0 && newlines < 2 {
                index -= 1
                if chunk[index] == UInt8(ascii: "\n") { newlines += 1 }
            }
            passing = newlines == 2 ? index + 1 : 0
        }
        if passing == chunk.count { return chunk }
        return Array(chunk[..<passing]) + byLines(chunk[passing...])
    }

    private static let splitHeader = Array("\n--\n-- Final view structure for view ".utf8)

    /// The offset of `needle` (which starts with a newline) in `haystack`: memchr (vectorised) to each newline,
    /// then a compare; a dump's lines are long (one INSERT a line), so that is quick.
    static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        haystack.withUnsafeBytes { hay -> Int? in
            guard let base = hay.baseAddress else { return nil }
            var offset = 0
            while offset < hay.count, let found = memchr(base + offset, Int32(needle[0]), hay.count - offset) {
                let at = base.distance(to: UnsafeRawPointer(found))
                if at + needle.count <= hay.count,
                    memcmp(found, needle, needle.count) == 0
                {
                    return at
                }
                offset = at + 1
            }
            return nil
        }
    }

    private mutating func byLines(_ chunk: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        var lineStart = chunk.startIndex
        for index in Self.newlines(in: chunk) {
            let line = partialLine + chunk[lineStart...index]
            partialLine = []
            lineStart = index + 1
            handle(line, into: &output)
        }
        partialLine += chunk[lineStart...]
        return output
    }

    /// The indices of the newlines in `chunk`, found with memchr.
    static func newlines(in chunk: ArraySlice<UInt8>) -> [Int] {
        chunk.withUnsafeBytes { bytes -> [Int] in
            guard let base = bytes.baseAddress else { return [] }
            var found: [Int] = []
            var offset = 0
            while offset < bytes.count, let hit = memchr(base + offset, 10, bytes.count - offset) {
                let at = base.distance(to: UnsafeRawPointer(hit))
                found.append(chunk.startIndex + at)
                offset = at + 1
            }
            return found
        }
    }

    /// The rest at the end of the stream: buffered blocks in order, a held line, a last line without newline.
    public mutating func finish() -> [UInt8] {
        var output = flush()
        if heldDashes { output += Self.dashes }
        heldDashes = false
        output += partialLine
        partialLine = []
        return output
    }

    private mutating func handle(_ line: [UInt8], into output: inout [UInt8]) {
        if heldDashes {
            heldDashes = false
            if line.starts(with: Self.header) {
                buffering = true
                let name = Self.quotedName(line.dropFirst(Self.header.count)) ?? []
                blocks.append(Block(name: name, bytes: Self.dashes + line))
                return
            }
            if buffering && line.starts(with: Self.nextDatabase) {
                output += flush() + Self.dashes + line
                return
            }
            if buffering { blocks[blocks.count - 1].bytes += Self.dashes } else { output += Self.dashes }
        }
        if line == Self.dashes {
            heldDashes = true
        } else if buffering && line.starts(with: Self.trailer) {
            output += flush() + line
        } else if buffering {
            blocks[blocks.count - 1].bytes += line
        } else {
            output += line
        }
    }

    /// The buffered blocks, each after the views it reads; ends buffering.
    private mutating func flush() -> [UInt8] {
        defer {
            blocks = []
            buffering = false
        }
        return Self.ordered(blocks).flatMap(\.bytes)
    }

    /// Stable: a block goes out as soon as the views it quotes have; with none ready (a cycle), the first left.
    static func ordered(_ blocks: [Block]) -> [Block] {
        let names = blocks.map(\.name)
        let reads: [Set<Int>] = blocks.enumerated().map { index, block in
            let quoted = Set(quotedNames(inViewOf: block.bytes))
            return Set(names.indices.filter { $0 != index && quoted.contains(names[$0]) })
        }
        var placed = Set<Int>()
        var order: [Int] = []
        while order.count < blocks.count {
            let next =
                blocks.indices.first { !placed.contains($0) && reads[$0].isSubset(of: placed) }
                ?? blocks.indices.first { !placed.contains($0) }!
            placed.insert(next)
            order.append(next)
        }
        return order.map { blocks[$0] }
    }

    /// Every backtick-quoted name on the block's `/*!50001 VIEW …` lines.
    static func quotedNames(inViewOf bytes: [UInt8]) -> [[UInt8]] {
        var names: [[UInt8]] = []
        var lineStart = 0
        var inView = false
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") || index == bytes.count - 1 {
            let line = bytes[lineStart...index]
            lineStart = index + 1
            if line.starts(with: viewLine) { inView = true }
            guard inView else { continue }
            var rest = line[...]
            while let tick = rest.firstIndex(of: UInt8(ascii: "`")) {
                guard let name = quotedName(rest[tick...]) else { break }
                names.append(name)
                // Past the name and its closing tick (doubled ticks inside count twice).
                let length = name.reduce(2) { $0 + ($1 == UInt8(ascii: "`") ? 2 : 1) }
                rest = rest[(tick + length)...]
            }
            if line.last == UInt8(ascii: "\n"), line.dropLast().suffix(3) == Array("*/;".utf8) { inView = false }
        }
        return names
    }

    /// A backtick-quoted name at the start of `text`, a doubled backtick read as one.
    static func quotedName(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        DumpSplicer.identifier(text)
    }
}
