import Foundation

/// The files options name (key files, certificates, manifests, answers), read with one
/// error that names the option and the path.
enum InputFiles {
    static func text(_ path: String, option: String) throws -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw CommandError.unreadableFile(path: path, option: option, reason: error.localizedDescription)
        }
    }

    /// A key, token or certificate: the whole file without surrounding whitespace.
    static func trimmed(_ path: String, option: String) throws -> String {
        try text(path, option: option).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
