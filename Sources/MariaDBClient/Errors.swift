import Foundation

/// A failure talking to a server: always names the endpoint and, where the server said it, the
/// error code and message.
public struct MariaDBError: Error, LocalizedError, Equatable, Sendable {
    public enum Kind: Sendable, Equatable {
        case connect
        case query
        case result
    }

    public var kind: Kind
    public var code: UInt32
    public var sqlState: String
    public var message: String
    public var endpoint: String
    public var statement: String?

    public init(kind: Kind, code: UInt32, sqlState: String, message: String, endpoint: String, statement: String? = nil)
    {
        self.kind = kind
        self.code = code
        self.sqlState = sqlState
        self.message = message
        self.endpoint = endpoint
        self.statement = statement
    }

    /// Server errors that mean the login itself was refused.
    public var isAccessDenied: Bool { [1044, 1045, 1698].contains(code) }
    /// Client errors that mean the server could not be reached at all (2002/2003/2005/2006/2013).
    public var isUnreachable: Bool { [2002, 2003, 2005, 2006, 2013].contains(code) }

    public var errorDescription: String? {
        let detail = "error \(code) (\(sqlState)): \(message)"
        switch kind {
        case .connect where isAccessDenied:
            return "mariadb at \(endpoint) refused the login: \(detail); check the user, host and password"
        case .connect where isUnreachable:
            return
                "cannot reach mariadb at \(endpoint): \(detail); check that the server runs and the host, port or "
                + "socket"
        case .connect:
            return "cannot connect to mariadb at \(endpoint): \(detail)"
        case .query, .result:
            let what = statement.map { " running `\(Self.abbreviate($0))`" } ?? ""
            return "mariadb at \(endpoint) failed\(what): \(detail)"
        }
    }

    static func abbreviate(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 120 ? String(flat.prefix(117)) + "..." : flat
    }
}

extension ConnectionResolutionError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .missingUser:
            return "no mariadb user given: pass --user, set MARIADB_USER, or put user= in the --defaults-file"
        case .invalidPort(let value, let source):
            return "port '\(value)' from \(source) is not a port number: use 1 to 65535"
        }
    }
}

extension OptionFileError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .malformedLine(let file, let number, let text):
            return "\(file) line \(number) '\(text)' is neither a [group] header nor !include/!includedir PATH: fix "
                + "the line"
        case .optionOutsideGroup(let file, let number, let text):
            return "\(file) line \(number) '\(text)' stands before any [group]: put it under [client]"
        case .includeNotFollowed(let file, let number, let text):
            return "\(file) line \(number) '\(text)': includes are not followed here: copy the settings in"
        case .includeTooDeep(let file, let number, let text):
            return "\(file) line \(number) '\(text)': includes nest more than 10 deep (a loop?): remove the cycle"
        case .unreadableInclude(let file, let number, let path, let reason):
            return "\(file) line \(number): cannot read the included '\(path)': \(reason); fix or remove the "
                + "!include"
        }
    }
}
