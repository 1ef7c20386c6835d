import Foundation

extension DumpOptionsError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .invalidDatabase(let name):
            return "database name '\(name)' is not valid: give a plain schema name"
        case .notAnOption(let argument):
            return "extra dump argument '\(argument)' is not an option: write it as --name or --name=value"
        case .forbidden(let name):
            return
                "extra dump argument '\(name)' is set by mariadb-migrate itself: use the connection options "
                    + "(credentials go in a 0600 option file)"
        }
    }
}
