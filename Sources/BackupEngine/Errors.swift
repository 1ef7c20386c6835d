import Foundation

extension BackupSelectionError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .noBackups(let location, .logical):
            return
                "no backups named backup.<time>.sql[.gz|.bz2] in \(location): take one with 'mariadb-migrate backup' "
                + "or check the prefix"
        case .noBackups(let location, .physical):
            return
                "no physical backups named physicalbackup-<YYYYMMDDHHMMSS>.xb[.gz|.bz2] in \(location): take one with "
                + "'mariadb-migrate backup --physical' or check the prefix"
        case .noneAtOrBefore(let target, let earliest, let location):
            return
                "no backup in \(location) at or before \(target.rfc3339): the earliest is \(earliest.fileName); pick a "
                + "later --target-time"
        }
    }
}

extension CronError: LocalizedError {
    public var errorDescription: String? { description }
}
