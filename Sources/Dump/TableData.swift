import MariaDBClient

/// A growable byte buffer written through a raw pointer: a table's rows are millions of short
/// appends, and `[UInt8].append` checked uniqueness and capacity on each. A struct, not a class:
/// a class's stored properties cost a dynamic exclusivity check on every access.
public struct DumpBuffer: ~Copyable {
    public private(set) var count = 0
    private var capacity: Int
    private var storage: UnsafeMutableRawPointer

    public init(capacity: Int = 1 << 16) {
        self.capacity = max(capacity, 16)
        storage = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }

    public mutating func removeAll() { count = 0 }

    /// Makes room for `extra` more bytes.
    @inline(__always)
    public mutating func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private mutating func grow(to needed: Int) {
        var newCapacity = capacity
        while newCapacity < needed { newCapacity *= 2 }
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        newStorage.copyMemory(from: storage, byteCount: count)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
    }

    @inline(__always)
    public mutating func append(_ byte: UInt8) {
        reserve(1)
        storage.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    @inline(__always)
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        reserve(bytes.count)
        (storage + count).copyMemory(from: base, byteCount: bytes.count)
        count += bytes.count
    }

    /// Puts `bytes` in place of the `count` bytes at `offset`, moving what follows.
    public mutating func replace(at offset: Int, count removed: Int, with bytes: [UInt8]) {
        let tail = count - offset - removed
        reserve(bytes.count - removed)
        (storage + offset + bytes.count).copyMemory(from: storage + offset + removed, byteCount: tail)
        bytes.withUnsafeBytes { (storage + offset).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        count += bytes.count - removed
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    public mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `value` as mariadb-dump quotes a string over a binary-character-set connection
    /// (`mysql_real_escape_string`): NUL, newline, return, backslash, both quotes and ^Z escaped,
    /// every other byte as it is. Runs without escapes are copied whole; 8 bytes are checked at a
    /// time, since most values have nothing to escape.
    @inline(__always)
    public mutating func appendQuoted(_ value: UnsafeRawBufferPointer) {
        reserve(value.count * 2 + 2)
        var out = storage + count
        out.storeBytes(of: UInt8(ascii: "'"), as: UInt8.self)
        out += 1
        if let base = value.baseAddress {
            let table = Self.escapeTable
            var runStart = 0
            var index = 0
            while index < value.count {
                if value.count - index >= 8,
                    !Self.mayNeedEscape(base.loadUnaligned(fromByteOffset: index, as: UInt64.self))
                {
                    index += 8
                    continue
                }
                let end = min(index + 8, value.count)
                while index < end {
                    let escaped = table[Int(base.load(fromByteOffset: index, as: UInt8.self))]
                    if escaped != 0 {
                        let run = index - runStart
                        if run > 0 {
                            out.copyMemory(from: base + runStart, byteCount: run)
                            out += run
                        }
                        out.storeBytes(of: UInt8(ascii: "\\"), as: UInt8.self)
                        (out + 1).storeBytes(of: escaped, as: UInt8.self)
                        out += 2
                        runStart = index + 1
                    }
                    index += 1
                }
            }
            let run = value.count - runStart
            if run > 0 {
                out.copyMemory(from: base + runStart, byteCount: run)
                out += run
            }
        }
        out.storeBytes(of: UInt8(ascii: "'"), as: UInt8.self)
        count = out + 1 - storage
    }

    /// Whether any of the 8 bytes may be one `appendQuoted` escapes (bit tricks: a byte below 0x20,
    /// or equal to a quote, a double quote or a backslash).
    @inline(__always)
    static func mayNeedEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func hasZero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        let below = (word &- ones &* 0x20) & ~word & highs
        let quote = hasZero(word ^ (ones &* UInt64(UInt8(ascii: "'"))))
        let doubleQuote = hasZero(word ^ (ones &* UInt64(UInt8(ascii: "\""))))
        let backslash = hasZero(word ^ (ones &* UInt64(UInt8(ascii: "\\"))))
        return below | quote | doubleQuote | backslash != 0
    }

    /// `escapes` where the hot loop reads it, without bounds checks.
    nonisolated(unsafe) static let escapeTable: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
        for byte in 0..<256 { table[byte] = escapes[byte] }
        return UnsafePointer(table)
    }()

    /// The letter after the backslash for each byte that needs one; 0 for the rest.
    static let escapes: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 256)
        table[0] = UInt8(ascii: "0")
        table[Int(UInt8(ascii: "\n"))] = UInt8(ascii: "n")
        table[Int(UInt8(ascii: "\r"))] = UInt8(ascii: "r")
        table[Int(UInt8(ascii: "\\"))] = UInt8(ascii: "\\")
        table[Int(UInt8(ascii: "'"))] = UInt8(ascii: "'")
        table[Int(UInt8(ascii: "\""))] = UInt8(ascii: "\"")
        table[0x1A] = UInt8(ascii: "Z")
        return table
    }()
}

/// The data section of one table as mariadb-dump 10.11 writes it with the options this tool gives
/// it (extended inserts, `--disable-keys`, `--add-locks` unless Galera, the default
/// `--net-buffer-length`, no `--hex-blob`, `--complete-insert` or `--insert-ignore`), byte for
/// byte: a dump whose rows this tool reads is the file mariadb-dump would have written.
public struct TableDataWriter: ~Copyable {
    /// mariadb-dump's default `--net-buffer-length`: an INSERT grows while shorter than this.
    public static let defaultStatementLimit = 1_046_528

    private let quotedTable: [UInt8]
    private let insertPattern: [UInt8]
    private let addLocks: Bool
    private let limit: Int
    private var columns: [StreamedColumn] = []
    /// mariadb-dump's `total_length`: starts at the limit, so the first row opens a statement.
    private var total: Int
    private var statementOpen = false
    /// What ends a statement and opens the next.
    private let statementBreak: [UInt8]
    private static let rowSeparator: [UInt8] = Array(",\n".utf8)

    /// `table`: the table's name as it appears in the dump (UTF-8 bytes, not quoted).
    public init(table: [UInt8], addLocks: Bool, statementLimit: Int = Self.defaultStatementLimit) {
        quotedTable = Array(SQLQuoting.identifier(String(decoding: table, as: UTF8.self)).utf8)
        insertPattern = Array("INSERT INTO ".utf8) + quotedTable + Array(" VALUES\n".utf8)
        statementBreak = Array(";\n".utf8) + insertPattern
        self.addLocks = addLocks
        limit = statementLimit
        total = statementLimit
    }

    /// The comment, the lock and DISABLE KEYS that come before the rows.
    public mutating func begin(columns: [StreamedColumn], into out: inout DumpBuffer) {
        self.columns = columns
        out.append("\n--\n-- Dumping data for table ")
        out.append(quotedTable)
        out.append("\n--\n\n")
        if addLocks {
            out.append("LOCK TABLES ")
            out.append(quotedTable)
            out.append(" WRITE;\n")
        }
        out.append("/*!40000 ALTER TABLE ")
        out.append(quotedTable)
        out.append(" DISABLE KEYS */;\n")
    }

    /// One row, its values as the server sent them.
    @inline(__always)
    public mutating func append(row values: some RowValues, into out: inout DumpBuffer) {
        // The row goes straight into `out` after a provisional ",\n"; only when it turns out to
        // open a statement (about once a megabyte) is that replaced and the row moved.
        out.append(statementOpen ? Self.rowSeparator : insertPattern)
        let start = out.count
        out.append(UInt8(ascii: "("))
        for index in columns.indices {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard let bytes = values.value(at: index) else {
                out.append("NULL")
                continue
            }
            if bytes.isEmpty {
                out.append("''")
            } else if !columns[index].numeric {
                out.appendQuoted(bytes)
            } else if Self.isLetter(bytes[0])
                || (bytes[0] == UInt8(ascii: "-") && bytes.count > 1 && Self.isLetter(bytes[1]))
            {
                // inf, -inf and nan have no SQL literal.
                out.append("NULL")
            } else if columns[index].quotedNumber {
                out.append(UInt8(ascii: "'"))
                out.append(bytes)
                out.append(UInt8(ascii: "'"))
            } else {
                out.append(bytes)
            }
        }
        out.append(UInt8(ascii: ")"))
        let rowLength = 2 + out.count - start
        if !statementOpen {
            statementOpen = true
        } else if total + rowLength < limit {
            total += rowLength
            return
        } else {
            out.replace(at: start - Self.rowSeparator.count, count: Self.rowSeparator.count, with: statementBreak)
        }
        total = rowLength + insertPattern.count + 4
    }

    /// Closes the last statement, then ENABLE KEYS and the unlock.
    public mutating func end(into out: inout DumpBuffer) {
        if statementOpen { out.append(";\n") }
        statementOpen = false
        out.append("/*!40000 ALTER TABLE ")
        out.append(quotedTable)
        out.append(" ENABLE KEYS */;\n")
        if addLocks { out.append("UNLOCK TABLES;\n") }
    }

    @inline(__always)
    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
    }
}
