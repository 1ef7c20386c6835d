import Foundation
import MariaDBClient

/// The files options name (password files, option files, key files, manifests), read with one
/// error that names the option and the path.
enum InputFiles {
    static func text(_ path: String, option: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CommandError.unreadableFile(path: path, option: option, reason: error.localizedDescription)
        }
    }

    /// A password file: its first line, as is (a password may end in spaces).
    static func firstLine(_ path: String, option: String) throws -> String {
        try text(path, option: option).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
    }

    /// A key, token or certificate: the whole file without surrounding whitespace.
    static func trimmed(_ path: String, option: String) throws -> String {
        try text(path, option: option).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The `[client]` settings of a my.cnf-style file.
    static func optionFile(_ path: String, option: String) throws -> OptionFile {
        try OptionFile.parse(try text(path, option: option))
    }
}
