import Foundation

/// A file written whole or not at all: first aside, then renamed over the old one, so that a kill leaves the old
/// file or the new one, never half of either. The state files, the live verify's record and the manifests use it.
public enum AtomicFile {
    public struct Failure: Error, Equatable, Sendable {
        /// The file that could not be written (the one aside when writing it failed).
        public var path: String
        public var reason: String
    }

    /// Writes `data` to `path` through `temporary` (default: `path.partial`) with `permissions`, making the
    /// directory first when `directoryPermissions` is given or it is missing.
    public static func write(
        _ data: Data, to path: String, permissions: Int? = nil, temporary: String? = nil,
        directoryPermissions: Int? = nil
    ) throws {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(
                atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true,
                attributes: directoryPermissions.map { [.posixPermissions: $0] })
        } catch {
            throw Failure(path: directory, reason: error.localizedDescription)
        }
        let aside = temporary ?? path + ".partial"
        guard
            FileManager.default.createFile(
                atPath: aside, contents: data, attributes: permissions.map { [.posixPermissions: $0] })
        else {
            throw Failure(path: aside, reason: "it cannot be written: check the directory's permissions and free space")
        }
        guard rename(aside, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: aside)
            throw Failure(path: path, reason: reason)
        }
    }
}
