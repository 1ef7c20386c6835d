import Blocking

#if canImport(Glibc)
    import Glibc
#endif

/// Cuts a SQL script (a `mariadb-dump` file) into statements the way the `mariadb` client does:
/// the current delimiter ends a statement outside quotes and comments; `DELIMITER x` lines change
/// it; `--`/`#` comment lines between statements are dropped. Fed in chunks of any size; keeps
/// only the statement in progress. Pure, but for the buffers it may take from `recycled`.
public struct SQLSplitter: Sendable {
    enum State: Sendable { case between, normal, singleQuote, doubleQuote, backtick, blockComment }

    private var buffer: [UInt8] = []
    /// Where the statement in progress starts in `buffer`, and how far it has been scanned.
    private var start = 0
    private var scan = 0
    private var state = State.between
    private var escaped = false
    public private(set) var delimiter: [UInt8] = Array(";".utf8)
    /// Where statements come from once their user is done with them (a megabyte INSERT in a fresh
    /// array costs 256 page faults); nil: every statement is a new array.
    let recycled: BufferPool?

    public init(recycled: BufferPool? = nil) {
        self.recycled = recycled
    }

    static func statement(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, reusing pool: BufferPool?) -> [UInt8] {
        guard let pool else { return Array(bytes) }
        var statement = pool.emptied(reserving: bytes.count)
        statement.append(contentsOf: UnsafeBufferPointer(rebasing: bytes))
        return statement
    }

    /// The statements completed by `chunk`, without their delimiter.
    public mutating func consume(_ chunk: [UInt8]) -> [[UInt8]] {
        buffer += chunk
        var statements: [[UInt8]] = []
        run(final: false, into: &statements)
        if start > 0 {
            buffer.removeFirst(start)
            scan -= start
            start = 0
        }
        return statements
    }

    /// The last statements; throws when the script ends inside a statement or a quote.
    public mutating func finish() throws(SQLSplitterError) -> [[UInt8]] {
        var statements: [[UInt8]] = []
        run(final: true, into: &statements)
        let rest = buffer[start...].drop { Self.isSpace($0) }
        if !rest.isEmpty {
            throw .unterminated(String(decoding: rest.prefix(80), as: UTF8.self))
        }
        buffer = []
        start = 0
        scan = 0
        return statements
    }

    private mutating func run(final: Bool, into statements: inout [[UInt8]]) {
        // A DELIMITER line ends a pass; the next pass scans with the new delimiter.
        while scanOnce(final: final, into: &statements) {}
    }

    /// True when the delimiter changed and scanning must go on.
    private mutating func scanOnce(final: Bool, into statements: inout [[UInt8]]) -> Bool {
        let count = buffer.count
        let delimiter = self.delimiter
        return buffer.withUnsafeBufferPointer { p -> Bool in
            var i = scan
            defer { scan = i }
            while i < count {
                switch state {
                case .between:
                    while i < count, Self.isSpace(p[i]) { i += 1 }
                    start = i
                    guard i < count else { return false }
                    let first = p[i]
                    // Comments, DELIMITER and the sandbox line are whole lines: wait for the line's end to tell.
                    if first == 0x23 || first == 0x2D || first | 0x20 == 0x64 || first == 0x2F {
                        var end = i
                        while end < count, p[end] != 0x0A { end += 1 }
                        if end == count && !final { return false }
                        let line = UnsafeBufferPointer(rebasing: p[i..<end])
                        if Self.isComment(line) || Self.isClientCommand(line) {
                            i = min(end + 1, count)
                            start = i
                            continue
                        }
                        if let newDelimiter = Self.delimiterCommand(line) {
                            self.delimiter = newDelimiter
                            i = min(end + 1, count)
                            start = i
                            return true
                        }
                    }
                    state = .normal
                case .normal:
                    // Runs of bytes that change nothing (numbers, commas, words) in one tight loop.
                    let first = delimiter[0]
                    while i < count {
                        let b = p[i]
                        if b == first || b == 0x27 || b == 0x22 || b == 0x60 || b == 0x2F { break }
                        i += 1
                    }
                    guard i < count else { break }
                    let b = p[i]
                    if b == delimiter[0] {
                        if i + delimiter.count > count {
                            if !final { return false }
                        } else if delimiter.count == 1 || Array(p[i..<(i + delimiter.count)]) == delimiter {
                            statements.append(Self.statement(p[start..<i], reusing: recycled))
                            i += delimiter.count
                            start = i
                            state = .between
                            continue
                        }
                    }
                    switch b {
                    case 0x27: state = .singleQuote
                    case 0x22: state = .doubleQuote
                    case 0x60: state = .backtick
                    case 0x2F:
                        if i + 2 >= count && !final { return false }
                        // `/*!` and `/*M!` hold SQL the server runs: scanned as statement text.
                        if i + 1 < count, p[i + 1] == 0x2A, !(i + 2 < count && (p[i + 2] == 0x21 || p[i + 2] == 0x4D)) {
                            state = .blockComment
                            i += 1
                        }
                    default: break
                    }
                    i += 1
                case .singleQuote, .doubleQuote:
                    let quote: UInt8 = state == .singleQuote ? 0x27 : 0x22
                    // The hot loop: row data is mostly inside quotes. A backslash skips the next byte,
                    // which may come in the next chunk (`escaped`).
                    if escaped, i < count {
                        escaped = false
                        i += 1
                    }
                    // memchr (SIMD) finds the closing quote, then whether a backslash comes before it: a
                    // byte-at-a-time loop here was 18% of a restore's CPU samples.
                    let base = p.baseAddress!
                    /// The index of the first `byte` in `base[start..<end]`, or nil.
                    func find(_ byte: UInt8, from start: Int, before end: Int) -> Int? {
                        memchr(base + start, Int32(byte), end - start).map {
                            UnsafePointer<UInt8>($0.assumingMemoryBound(to: UInt8.self)) - base
                        }
                    }
                    while i < count {
                        let limit = find(quote, from: i, before: count) ?? count
                        guard let backslash = find(0x5C, from: i, before: limit) else {
                            i = limit
                            break
                        }
                        if backslash + 1 == count {
                            escaped = true
                            i = count
                        } else {
                            i = backslash + 2
                        }
                    }
                    if i < count {
                        state = .normal
                        i += 1
                    }
                case .backtick:
                    while i < count, p[i] != 0x60 { i += 1 }
                    if i < count {
                        state = .normal
                        i += 1
                    }
                case .blockComment:
                    while i + 1 < count, !(p[i] == 0x2A && p[i + 1] == 0x2F) { i += 1 }
                    if i + 1 < count {
                        state = .normal
                        i += 2
                    } else {
                        if !final { return false }
                        i = count
                    }
                }
            }
            return false
        }
    }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// `/*M!999999\- enable the sandbox mode */`, which dumps since 10.5.25/10.11.8 start with: a
    /// command to the client (no statement, no delimiter), not SQL for the server.
    static func isClientCommand(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.starts(with: Array("/*M!999999\\-".utf8))
    }

    static func isComment(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        if line.first == 0x23 { return true }  // #
        guard line.count >= 2, line[0] == 0x2D, line[1] == 0x2D else { return false }
        return line.count == 2 || isSpace(line[2])
    }

    /// `DELIMITER ;;` → `;;` (case-insensitive keyword, as the client reads it).
    static func delimiterCommand(_ line: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let keyword = Array("delimiter".utf8)
        guard line.count > keyword.count + 1 else { return nil }
        for (index, k) in keyword.enumerated() where line[index] | 0x20 != k { return nil }
        guard isSpace(line[keyword.count]) else { return nil }
        let value = line[(keyword.count + 1)...].drop { isSpace($0) }.prefix { !isSpace($0) }
        return value.isEmpty ? nil : Array(value)
    }
}

public enum SQLSplitterError: Error, Equatable, Sendable {
    case unterminated(String)
}
