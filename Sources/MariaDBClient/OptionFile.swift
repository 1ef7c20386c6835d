import Foundation

/// The client groups of a MariaDB option file (`my.cnf` syntax), as `mariadb` reads them with
/// `--defaults-file`. Pure: parses text, returns values.
public struct OptionFile: Sendable, Equatable {
    /// Groups a client reads, in the order later ones override earlier ones.
    public static let clientGroups = ["client", "client-server", "client-mariadb", "mysql", "mariadb-client"]

    public var values: [String: String]

    public init(values: [String: String] = [:]) { self.values = values }

    public subscript(key: String) -> String? { values[Self.normalize(key)] }

    /// Parses option-file text, keeping the keys of the client groups. Keys are normalized
    /// (`_` → `-`, lowercase); quoted values are unquoted; `#`/`;` start comments.
    public static func parse(_ text: String, groups: [String] = clientGroups) throws(OptionFileError) -> OptionFile {
        var byGroup: [String: [String: String]] = [:]
        var current: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("!") { continue }  // !include / !includedir are not followed
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw .malformedLine(number: index + 1, text: String(line)) }
                current = String(line.dropFirst().dropLast()).trimmingWhitespace().lowercased()
                continue
            }
            guard let group = current else { throw .optionOutsideGroup(number: index + 1, text: String(line)) }
            let key: String
            var value: String
            if let equals = line.firstIndex(of: "=") {
                key = normalize(String(line[..<equals]))
                value = String(line[line.index(after: equals)...]).trimmingWhitespace()
            } else {
                key = normalize(String(line))
                value = ""
            }
            value = unquote(value)
            byGroup[group, default: [:]][key] = value
        }
        var merged: [String: String] = [:]
        for group in groups { merged.merge(byGroup[group] ?? [:]) { _, new in new } }
        return OptionFile(values: merged)
    }

    static func normalize(_ key: String) -> String {
        key.trimmingWhitespace().lowercased().replacingOccurrences(of: "_", with: "-")
    }

    static func unquote(_ value: String) -> String {
        if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
            return String(value.dropFirst().dropLast())
        }
        // An unquoted value ends at a comment.
        if let hash = value.range(of: " #") { return String(value[..<hash.lowerBound]).trimmingWhitespace() }
        return value
    }
}

public enum OptionFileError: Error, Equatable {
    case malformedLine(number: Int, text: String)
    case optionOutsideGroup(number: Int, text: String)
}

extension StringProtocol {
    func trimmingWhitespace() -> String { trimmingCharacters(in: .whitespaces) }
}
