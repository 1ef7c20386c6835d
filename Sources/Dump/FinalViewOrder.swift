import Foundation

/// Puts each database's final view definitions in an order that creates a view after the views it reads.
/// mariadb-dump 10.11 writes them in name order over placeholder views (`SELECT NULL AS col`): a view made
/// `WITH CHECK OPTION` over a view whose name sorts after it meets the placeholder, which is not updatable, and
/// the restore stops with error 1368 (in `mariadb < file` too). Each "Final view structure" block moves whole;
/// a view is placed after every view of the same section whose name it quotes; a cycle keeps the dump's order.
/// Pure; fed chunk by chunk. Outside a view section only a line that may be `--` is held: any other streams
/// through as soon as its first bytes show it (memchr finds the newlines), so a dump with its rows, one long
/// INSERT a line, passes without being gathered line by line.
public struct FinalViewOrder {
    struct Block {
        var name: [UInt8]
        var bytes: [UInt8]
    }

    private var lines = LineStream()
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
        var output: [UInt8] = []
        var stream = lines
        lines = LineStream()
        // Outside a section, with no `--` held, only a line that is `--` matters.
        stream.consume(
            chunk, into: &output,
            mayMatter: { start in buffering || heldDashes || Self.dashes.starts(with: start) },
            handle: { line, output in handle(line, into: &output) })
        lines = stream
        return output
    }

    /// The rest at the end of the stream: buffered blocks in order, a held line, a last line without newline.
    public mutating func finish() -> [UInt8] {
        var output = flush()
        if heldDashes { output += Self.dashes }
        heldDashes = false
        return output + lines.finish()
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
