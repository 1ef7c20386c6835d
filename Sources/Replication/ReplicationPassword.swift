import Foundation

/// The replication account's password: read from a file or the environment, or made up and kept
/// in a new 0600 file when the account is created here. Never from argv.
public enum ReplicationPassword {
    public static let environmentVariable = "MARIADB_REPLICATION_PASSWORD"

    public struct Resolved: Sendable, Equatable {
        public var password: String
        /// The file a new password was written to.
        public var writtenTo: String?
    }

    /// `file` exists: its first line. Else the environment, else `fallbackFile` when it exists. Else,
    /// when `create`: a new random password in `file` (or `fallbackFile`), created with mode 0600.
    public static func resolve(
        file: String?, fallbackFile: String, create: Bool, environment: [String: String]
    ) throws -> Resolved {
        if let file, FileManager.default.fileExists(atPath: file) {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
            guard !line.isEmpty else { throw ReplicationPasswordError.empty(file) }
            return Resolved(password: line)
        }
        // The file wins when it exists; a file still to be written is where a made-up password would go.
        if let value = environment[environmentVariable], !value.isEmpty {
            return Resolved(password: value)
        }
        // A password made up by an earlier, interrupted run.
        if file == nil, FileManager.default.fileExists(atPath: fallbackFile) {
            return try resolve(file: fallbackFile, fallbackFile: fallbackFile, create: false, environment: [:])
        }
        guard create else { throw ReplicationPasswordError.missing(file: file) }
        let path = file ?? fallbackFile
        var bytes = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        let password = String((0..<32).map { _ in alphabet[Int(bytes.next() % UInt64(alphabet.count))] })
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent.isEmpty
                ? "." : (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw ReplicationPasswordError.unwritable(path, String(cString: strerror(errno)))
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data((password + "\n").utf8))
        return Resolved(password: password, writtenTo: path)
    }
}

public enum ReplicationPasswordError: Error, LocalizedError, Equatable {
    case missing(file: String?)
    case empty(String)
    case unwritable(String, String)

    public var errorDescription: String? {
        switch self {
        case .missing(let file?):
            return "--replication-password-file '\(file)' does not exist: create it with the replication account's "
                + "password, or add --create-replication-user to have one made and written there"
        case .missing(nil):
            return "no password for the replication account: give --replication-password-file or "
                + "MARIADB_REPLICATION_PASSWORD, or add --create-replication-user"
        case .empty(let file):
            return "--replication-password-file '\(file)' is empty: write the password on its first line"
        case .unwritable(let path, let reason):
            return "cannot create the replication password file '\(path)': \(reason)"
        }
    }
}
