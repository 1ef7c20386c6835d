import Foundation

/// One fault in a document: the JSON path (`spec.bootstrapFrom.s3.bucket`) and what is wrong.
public struct SchemaIssue: Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { "\(path.isEmpty ? "(document)" : path): \(message)" }
}

/// Validates a value against a Kubernetes structural openAPIV3Schema: types, enums, required,
/// patterns, lengths, bounds, items, int-or-string, and unknown fields (refused unless the schema
/// preserves them, as the API server's strict field validation does). CEL rules are not run. Pure.
public enum SchemaValidator {
    public static func validate(_ value: JSON, against schema: JSON, path: String = "") -> [SchemaIssue] {
        var issues: [SchemaIssue] = []
        check(value, schema, path, &issues)
        return issues
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private static func check(_ value: JSON, _ schema: JSON, _ path: String, _ issues: inout [SchemaIssue]) {
        if value == .null {
            if schema["nullable"] == .bool(true) { return }
        }
        if schema["x-kubernetes-int-or-string"] == .bool(true) {
            switch value {
            case .int, .string: return
            default:
                issues.append(
                    SchemaIssue(path: path, message: "expected an integer or a string, found \(value.typeName)"))
                return
            }
        }
        for keyword in ["allOf"] {
            if case .array(let all)? = schema[keyword] { for sub in all { check(value, sub, path, &issues) } }
        }
        for keyword in ["anyOf", "oneOf"] {
            if case .array(let options)? = schema[keyword], !options.isEmpty,
                !options.contains(where: { validate(value, against: $0, path: path).isEmpty })
            {
                issues.append(SchemaIssue(path: path, message: "matches none of the allowed forms (\(keyword))"))
            }
        }
        if case .array(let allowed)? = schema["enum"], !allowed.contains(value) {
            let names = allowed.map { $0.string.map { "'\($0)'" } ?? "\($0)" }.joined(separator: ", ")
            issues.append(SchemaIssue(path: path, message: "\(describe(value)) is not one of \(names)"))
            return
        }
        guard let type = schema["type"]?.string else {
            if schema["properties"] != nil, case .object = value { checkObject(value, schema, path, &issues) }
            return
        }
        switch (type, value) {
        case ("object", .object):
            checkObject(value, schema, path, &issues)
        case ("array", .array(let items)):
            if case .int(let min)? = schema["minItems"], items.count < min {
                issues.append(SchemaIssue(path: path, message: "has \(items.count) items, at least \(min) needed"))
            }
            if case .int(let max)? = schema["maxItems"], items.count > max {
                issues.append(SchemaIssue(path: path, message: "has \(items.count) items, at most \(max) allowed"))
            }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { check(item, itemSchema, "\(path)[\(index)]", &issues) }
            }
        case ("string", .string(let text)):
            if case .int(let min)? = schema["minLength"], text.count < min {
                issues.append(SchemaIssue(path: path, message: "'\(text)' is shorter than \(min)"))
            }
            if case .int(let max)? = schema["maxLength"], text.count > max {
                issues.append(SchemaIssue(path: path, message: "is longer than \(max) characters"))
            }
            if let pattern = schema["pattern"]?.string, let regex = try? NSRegularExpression(pattern: pattern),
                regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil
            {
                issues.append(SchemaIssue(path: path, message: "'\(text)' does not match \(pattern)"))
            }
            if schema["format"]?.string == "date-time", UTCDateTimeCheck.isRFC3339(text) == false {
                issues.append(
                    SchemaIssue(path: path, message: "'\(text)' is not an RFC 3339 time (e.g. 2024-08-26T12:24:34Z)"))
            }
        case ("integer", .int(let number)):
            checkBounds(Double(number), schema, path, &issues)
        case ("number", .int(let number)):
            checkBounds(Double(number), schema, path, &issues)
        case ("number", .double(let number)):
            checkBounds(number, schema, path, &issues)
        case ("boolean", .bool):
            break
        default:
            issues.append(
                SchemaIssue(
                    path: path,
                    message:
                        "expected \("aeiou".contains(type.prefix(1)) ? "an" : "a") \(type), found \(value.typeName) "
                        + "\(describe(value))"
                ))
        }
    }

    private static func checkObject(_ value: JSON, _ schema: JSON, _ path: String, _ issues: inout [SchemaIssue]) {
        guard case .object(let fields) = value else { return }
        if case .array(let required)? = schema["required"] {
            for case .string(let key) in required where !fields.contains(where: { $0.key == key }) {
                issues.append(SchemaIssue(path: join(path, key), message: "is required"))
            }
        }
        let preserves = schema["x-kubernetes-preserve-unknown-fields"] == .bool(true)
        for field in fields {
            if let propertySchema = schema["properties"]?[field.key] {
                check(field.value, propertySchema, join(path, field.key), &issues)
            } else if let additional = schema["additionalProperties"], case .object = additional {
                check(field.value, additional, join(path, field.key), &issues)
            } else if !preserves && schema["additionalProperties"] != .bool(true) {
                let known: [String]
                if case .object(let properties)? = schema["properties"] {
                    known = properties.map(\.key)
                } else {
                    known = []
                }
                let hint =
                    known.isEmpty
                    ? "" : "; known fields: \(known.prefix(12).joined(separator: ", "))\(known.count > 12 ? ", …" : "")"
                issues.append(SchemaIssue(path: join(path, field.key), message: "unknown field\(hint)"))
            }
        }
    }

    private static func checkBounds(_ number: Double, _ schema: JSON, _ path: String, _ issues: inout [SchemaIssue]) {
        func bound(_ key: String) -> Double? {
            switch schema[key] {
            case .int(let i)?: return Double(i)
            case .double(let d)?: return d
            default: return nil
            }
        }
        if let min = bound("minimum"), number < min {
            issues.append(
                SchemaIssue(path: path, message: "\(number.formatted()) is below the minimum \(min.formatted())"))
        }
        if let max = bound("maximum"), number > max {
            issues.append(
                SchemaIssue(path: path, message: "\(number.formatted()) is above the maximum \(max.formatted())"))
        }
    }

    static func describe(_ value: JSON) -> String {
        switch value {
        case .string(let s): return "'\(s)'"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        case .null: return "null"
        case .array: return "(a list)"
        case .object: return "(a mapping)"
        }
    }
}

enum UTCDateTimeCheck {
    static func isRFC3339(_ text: String) -> Bool {
        let formatter = ISO8601DateFormatter()
        if formatter.date(from: text) != nil { return true }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text) != nil
    }
}
