import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Who owns a physically restored data directory's files. mariadb-backup leaves them to whoever ran
/// it, and a server running as `mysql` cannot open files root restored (the operator's init job runs
/// as the server's user, so there they are right already): a restore run as root hands them on.
public struct DataDirectoryOwner: Codable, Sendable, Equatable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32
    /// The account's name when it has one (`mysql`), else nil.
    public var account: String?

    public var description: String { account.map { "\($0) (\(uid):\(gid))" } ?? "\(uid):\(gid)" }

    /// Running as root: the data directory's own owner when that is not root (the directory was made
    /// for the server), else the `mysql` account when there is one. Not root, or neither: nil, and the
    /// files stay the runner's. Pure.
    static func choose(
        runningAsRoot: Bool, existing: DataDirectoryOwner?, mysqlAccount: DataDirectoryOwner?
    ) -> DataDirectoryOwner? {
        guard runningAsRoot else { return nil }
        if let existing, existing.uid != 0 { return existing }
        return mysqlAccount
    }

    /// Decides for `path` before the restore touches it.
    static func decide(for path: String) -> DataDirectoryOwner? {
        var status = stat()
        let existing =
            stat(path, &status) == 0 ? DataDirectoryOwner(uid: status.st_uid, gid: status.st_gid, account: nil) : nil
        let mysql = getpwnam("mysql").map {
            DataDirectoryOwner(uid: $0.pointee.pw_uid, gid: $0.pointee.pw_gid, account: "mysql")
        }
        return choose(runningAsRoot: geteuid() == 0, existing: existing, mysqlAccount: mysql)
    }

    /// Gives `path` and everything under it to this owner (links themselves, not their targets).
    func apply(to path: String) throws {
        var paths = [path]
        if let walker = FileManager.default.enumerator(atPath: path) {
            for case let relative as String in walker {
                paths.append((path as NSString).appendingPathComponent(relative))
            }
        }
        for entry in paths where lchown(entry, uid, gid) != 0 {
            throw PhysicalRestoreError.ownership(
                path: entry, owner: description, reason: String(cString: strerror(errno)))
        }
    }
}
