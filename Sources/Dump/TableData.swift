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

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    public mutating func append(_ text: StaticString) {
        append(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `value` as mariadb-dump quotes a string over a binary-character-set connection
    /// (`mysql_real_escape_string`): NUL, newline, return, backslash, both quotes and ^Z escaped,
    /// every other byte as it is. Runs without escapes are copied whole.
    @inline(__always)
    public mutating func appendQuoted(_ value: UnsafeRawBufferPointer) {
        reserve(value.count * 2 + 2)
        var out = storage + count
        out.storeBytes(of: UInt8(ascii: "'"), as: UInt8.self)
        out += 1
        if let base = value.baseAddress {
            var runStart = 0
            for index in 0..<value.count {
                let escaped = Self.escapes[Int(value[index])]
                guard escaped != 0 else { continue }
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
            let run = value.count - runStart
            if run > 0 {
                out.copyMemory(from: base + runStart, byteCount: run)
                out += run
            }
        }
        out.storeBytes(of: UInt8(ascii: "'"), as: UInt8.self)
        count = out + 1 - storage
    }

    /// The letter after the backslash for each byte that needs one; 0 for the rest.
    private static let escapes: [UInt8] = {
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
    /// One row, `(…)`, before it is known whether it continues the statement.
    private var row = DumpBuffer(capacity: 1 << 12)

    /// `table`: the table's name as it appears in the dump (UTF-8 bytes, not quoted).
    public init(table: [UInt8], addLocks: Bool, statementLimit: Int = Self.defaultStatementLimit) {
        quotedTable = Self.quoted(table)
        insertPattern = Array("INSERT INTO ".utf8) + quotedTable + Array(" VALUES\n".utf8)
        self.addLocks = addLocks
        limit = statementLimit
        total = statementLimit
    }

    /// `name` in backticks, a backtick in it doubled (mariadb-dump's `quote_name`).
    public static func quoted(_ name: [UInt8]) -> [UInt8] {
        var quoted: [UInt8] = [UInt8(ascii: "`")]
        for byte in name {
            quoted.append(byte)
            if byte == UInt8(ascii: "`") { quoted.append(byte) }
        }
        quoted.append(UInt8(ascii: "`"))
        return quoted
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
        row.removeAll()
        row.append(UInt8(ascii: "("))
        for index in columns.indices {
            if index > 0 { row.append(UInt8(ascii: ",")) }
            guard let bytes = values.value(at: index) else {
                row.append("NULL")
                continue
            }
            if bytes.isEmpty {
                row.append("''")
            } else if !columns[index].numeric {
                row.appendQuoted(bytes)
            } else if Self.isLetter(bytes[0])
                || (bytes[0] == UInt8(ascii: "-") && bytes.count > 1 && Self.isLetter(bytes[1]))
            {
                // inf, -inf and nan have no SQL literal.
                row.append("NULL")
            } else if columns[index].quotedNumber {
                row.append(UInt8(ascii: "'"))
                row.append(bytes)
                row.append(UInt8(ascii: "'"))
            } else {
                row.append(bytes)
            }
        }
        row.append(UInt8(ascii: ")"))
        let rowLength = 2 + row.count
        if total + rowLength < limit {
            total += rowLength
            out.append(",\n")
        } else {
            if statementOpen { out.append(";\n") }
            statementOpen = true
            out.append(insertPattern)
            total = rowLength + insertPattern.count + 4
        }
        out.append(row.bytes)
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
