import Foundation
import Yams

/// A JSON value with object keys kept in order (manifests are written in a fixed, readable order).
public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([Field])

    public struct Field: Equatable, Sendable {
        public var key: String
        public var value: JSON
        public init(_ key: String, _ value: JSON) {
            self.key = key
            self.value = value
        }
    }

    /// An object from ordered pairs, dropping nil values.
    public static func object(_ pairs: KeyValuePairs<String, JSON?>) -> JSON {
        .object(pairs.compactMap { key, value in value.map { Field(key, $0) } })
    }

    public subscript(key: String) -> JSON? {
        guard case .object(let fields) = self else { return nil }
        return fields.first { $0.key == key }?.value
    }

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// From JSON text (the embedded schemas): JSON is YAML.
    public static func parse(json text: String) throws -> JSON {
        guard let node = try Yams.compose(yaml: text) else { return .null }
        return from(yaml: node)
    }

    /// From a YAML node, typed as Kubernetes reads YAML (timestamps stay strings).
    public static func from(yaml node: Node) -> JSON {
        switch node {
        case .scalar(let scalar):
            // Only plain scalars take another type; quoted ones are strings.
            if scalar.style == .plain || scalar.style == .any {
                if node.null != nil { return .null }
                if let bool = node.bool { return .bool(bool) }
                if let int = node.int { return .int(Int64(int)) }
                if let double = node.float { return .double(double) }
            }
            return .string(scalar.string)
        case .sequence(let sequence):
            return .array(sequence.map { from(yaml: $0) })
        case .mapping(let mapping):
            return .object(mapping.map { Field($0.key.string ?? "", from(yaml: $0.value)) })
        case .alias:
            return .null
        }
    }

    /// To a YAML node; strings that would read back as another type are quoted by the emitter.
    public var yamlNode: Node {
        switch self {
        case .null: return Node("null", Tag(.null))
        case .bool(let b): return Node(b ? "true" : "false", Tag(.bool))
        case .int(let i): return Node(String(i), Tag(.int))
        case .double(let d): return Node(String(d), Tag(.float))
        case .string(let s): return s.contains("\n") ? Node(s, Tag(.str), .literal) : Node(s, Tag(.str))
        case .array(let items): return Node(items.map(\.yamlNode))
        case .object(let fields): return Node(fields.map { (Node($0.key), $0.value.yamlNode) })
        }
    }
}

public enum ManifestError: Error, LocalizedError, Equatable, Sendable {
    case invalidDocument(path: String, reason: String)
    case unreadable(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .invalidDocument(let path, let reason): return "\(path.isEmpty ? "document" : path): \(reason)"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        }
    }
}
