import Foundation

/// A dump's lines for a rewriter that reads few of them: each line is handed whole to the rewriter, unless its
/// first bytes already show that it does not matter; such a line streams through as its bytes come, so a dump
/// with its rows (one long INSERT a line) passes without being gathered line by line. memchr finds the newlines.
/// Pure; fed chunk by chunk.
struct LineStream {
    private var partialLine: [UInt8] = []
    /// The current line was passed on already: its rest follows it unread.
    private var streaming = false

    /// `chunk` cut into lines for `handle`, or passed to `output` while `mayMatter` says its start does not.
    mutating func consume<Failure: Error>(
        _ chunk: [UInt8], into output: inout [UInt8], mayMatter: ([UInt8]) -> Bool,
        handle: (_ line: [UInt8], _ output: inout [UInt8]) throws(Failure) -> Void
    ) throws(Failure) {
        var lineStart = chunk.startIndex
        for index in Self.newlines(in: chunk[...]) {
            if streaming {
                output += chunk[lineStart...index]
                streaming = false
            } else {
                let line = partialLine + chunk[lineStart...index]
                partialLine = []
                try handle(line, &output)
            }
            lineStart = index + 1
        }
        let rest = chunk[lineStart...]
        if streaming {
            output += rest
        } else if !rest.isEmpty {
            partialLine += rest
            if !mayMatter(partialLine) {
                output += partialLine
                partialLine = []
                streaming = true
            }
        }
    }

    /// A last line without its newline, as it came.
    mutating func finish() -> [UInt8] {
        defer {
            partialLine = []
            streaming = false
        }
        return partialLine
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
}
