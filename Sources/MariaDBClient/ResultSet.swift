/// One value of a row, typed from the column's type (the text protocol carries text).
public enum Value: Sendable, Equatable, Hashable {
    case null
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    /// DECIMAL keeps its exact text.
    case decimal(String)
    case text(String)
    case bytes([UInt8])

    public var isNull: Bool { self == .null }

    public var string: String? {
        switch self {
        case .null: return nil
        case .int(let v): return String(v)
        case .uint(let v): return String(v)
        case .double(let v): return String(v)
        case .decimal(let v), .text(let v): return v
        case .bytes(let v): return String(decoding: v, as: UTF8.self)
        }
    }

    public var int64: Int64? {
        switch self {
        case .int(let v): return v
        case .uint(let v): return Int64(exactly: v)
        case .double(let v): return Int64(exactly: v)
        case .decimal(let v), .text(let v): return Int64(v) ?? Double(v).flatMap { Int64(exactly: $0) }
        case .null, .bytes: return nil
        }
    }

    public var int: Int? { int64.flatMap { Int(exactly: $0) } }

    public var uint64: UInt64? {
        switch self {
        case .uint(let v): return v
        case .int(let v): return UInt64(exactly: v)
        case .decimal(let v), .text(let v): return UInt64(v) ?? Double(v).flatMap { UInt64(exactly: $0) }
        case .double(let v): return UInt64(exactly: v)
        case .null, .bytes: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .double(let v): return v
        case .int(let v): return Double(v)
        case .uint(let v): return Double(v)
        case .decimal(let v), .text(let v): return Double(v)
        case .null, .bytes: return nil
        }
    }
}

public struct Column: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case signedInteger, unsignedInteger, floatingPoint, decimal, text, binary, other
    }
    public var name: String
    public var kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    /// Turns the text protocol's bytes into a typed value.
    func value(from bytes: UnsafeBufferPointer<UInt8>?) -> Value {
        guard let bytes else { return .null }
        switch kind {
        case .binary: return .bytes(Array(bytes))
        default: break
        }
        let text = String(decoding: bytes, as: UTF8.self)
        switch kind {
        case .signedInteger: return Int64(text).map(Value.int) ?? .text(text)
        case .unsignedInteger: return UInt64(text).map(Value.uint) ?? .text(text)
        case .floatingPoint: return Double(text).map(Value.double) ?? .text(text)
        case .decimal: return .decimal(text)
        case .text, .other, .binary: return .text(text)
        }
    }
}

public struct Row: Sendable, Equatable {
    public let values: [Value]
    let columnIndex: [String: Int]

    public subscript(_ index: Int) -> Value { values[index] }

    /// The value of a column by name (case-insensitive); `.null` when there is no such column.
    public subscript(_ name: String) -> Value {
        guard let index = columnIndex[name.lowercased()] else { return .null }
        return values[index]
    }
}

public struct ResultSet: Sendable, Equatable {
    public let columns: [Column]
    public let rows: [Row]
    public let affectedRows: UInt64

    public init(columns: [Column], rows: [[Value]], affectedRows: UInt64 = 0) {
        self.columns = columns
        var index: [String: Int] = [:]
        for (i, column) in columns.enumerated() where index[column.name.lowercased()] == nil {
            index[column.name.lowercased()] = i
        }
        self.rows = rows.map { Row(values: $0, columnIndex: index) }
        self.affectedRows = affectedRows
    }

    /// The first column of the first row: for `SELECT COUNT(*)` and the like.
    public var scalar: Value { rows.first?.values.first ?? .null }
}
