import Foundation

/// The client groups of a MariaDB option file (`my.cnf` syntax), as `mariadb` reads them with
/// `--defaults-file`. Pure: parses text, returns values.
public struct OptionFile: Sendable, Equatable {
    /// Groups a client reads, in the order later ones override earlier ones.
    public static let clientGroups = ["client", "client-server", "client-mariadb", "mysql", "mariadb-client"]

    public var values: [String: String]

    public init(values: [String: String] = [:]) { self.values = values }

    public subscript(key: String) -> String? { values[Self.normalize(key)] }

    /// Where `!include FILE` and `!includedir DIR` lines lead: the files' text, and a directory's
    /// `.cnf` files. Nil: such a line is refused by name (text with nothing behind it).
    public struct Includes: Sendable {
        public var read: @Sendable (String) throws -> String
        public var list: @Sendable (String) throws -> [String]

        public init(
            read: @escaping @Sendable (String) throws -> String, list: @escaping @Sendable (String) throws -> [String]
        ) {
            self.read = read
            self.list = list
        }

        /// The file system, as the client reads it: paths as written, a directory's `*.cnf` files in name order.
        public static let fileSystem = Includes(
            read: { try String(contentsOfFile: $0, encoding: .utf8) },
            list: { directory in
                try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".cnf") }.sorted()
                    .map { (directory as NSString).appendingPathComponent($0) }
            })
    }

    /// Parses option-file text, keeping the keys of the client groups. Keys are normalized
    /// (`_` → `-`, lowercase); quoted values are unquoted; `#`/`;` start comments. `!include` and
    /// `!includedir` are followed through `includes` (nested up to 10 deep), in place, as the client
    /// does; `file` names this text in errors.
    public static func parse(
        _ text: String, file: String = "option file", groups: [String] = clientGroups, includes: Includes? = nil
    ) throws(OptionFileError) -> OptionFile {
        var entries: [(group: String, key: String, value: String)] = []
        try collect(text, file: file, includes: includes, depth: 0, into: &entries)
        var byGroup: [String: [String: String]] = [:]
        for entry in entries { byGroup[entry.group, default: [:]][entry.key] = entry.value }
        var merged: [String: String] = [:]
        for group in groups { merged.merge(byGroup[group] ?? [:]) { _, new in new } }
        return OptionFile(values: merged)
    }

    static func collect(
        _ text: String, file: String, includes: Includes?, depth: Int,
        into entries: inout [(group: String, key: String, value: String)]
    ) throws(OptionFileError) {
        var current: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("!") {
                let parts = line.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
                let directive = String(parts[0])
                let path = parts.count == 2 ? parts[1].trimmingWhitespace() : ""
                guard directive == "!include" || directive == "!includedir", !path.isEmpty else {
                    throw .malformedLine(file: file, number: index + 1, text: line)
                }
                guard let includes else {
                    throw .includeNotFollowed(file: file, number: index + 1, text: line)
                }
                guard depth < 10 else { throw .includeTooDeep(file: file, number: index + 1, text: line) }
                let files: [String]
                do { files = directive == "!include" ? [path] : try includes.list(path) } catch {
                    throw .unreadableInclude(file: file, number: index + 1, path: path, reason: Self.reason(error))
                }
                for included in files {
                    let text: String
                    do { text = try includes.read(included) } catch {
                        throw .unreadableInclude(
                            file: file, number: index + 1, path: included, reason: Self.reason(error))
                    }
                    try collect(text, file: included, includes: includes, depth: depth + 1, into: &entries)
                }
                continue
            }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw .malformedLine(file: file, number: index + 1, text: line) }
                current = String(line.dropFirst().dropLast()).trimmingWhitespace().lowercased()
                continue
            }
            guard let group = current else {
                throw .optionOutsideGroup(file: file, number: index + 1, text: line)
            }
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
            entries.append((group, key, value))
        }
    }

    /// The POSIX reason of a file error ("No such file or directory"), else its description.
    static func reason(_ error: any Error) -> String {
        if let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError,
            underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.localizedDescription
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
    case malformedLine(file: String, number: Int, text: String)
    case optionOutsideGroup(file: String, number: Int, text: String)
    case includeNotFollowed(file: String, number: Int, text: String)
    case includeTooDeep(file: String, number: Int, text: String)
    case unreadableInclude(file: String, number: Int, path: String, reason: String)
}

extension StringProtocol {
    func trimmingWhitespace() -> String { trimmingCharacters(in: .whitespaces) }
}
