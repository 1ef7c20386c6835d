import Foundation

extension BackupSelectionError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .noBackups(let location):
            return "no backups named backup.<time>.sql[.gz|.bz2] in \(location): take one with 'mariadb-migrate backup' or check the prefix"
        case .noneAtOrBefore(let target, let earliest, let location):
            return "no backup in \(location) at or before \(target.rfc3339): the earliest is \(earliest.fileName); pick a later --target-time"
        }
    }
}

extension DumpOptionsError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .invalidDatabase(let name):
            return "database name '\(name)' is not valid: give a plain schema name"
        case .notAnOption(let argument):
            return "extra dump argument '\(argument)' is not an option: write it as --name or --name=value"
        case .forbidden(let name):
            return "extra dump argument '\(name)' is set by mariadb-migrate itself: use the connection options (credentials go in a 0600 option file)"
        }
    }
}
