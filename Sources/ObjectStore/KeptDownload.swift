import Blocking
import Dispatch
import Foundation

/// Reads an object through a local copy that outlives the process, so that a run killed mid-way
/// downloads only the rest: the first `kept` bytes come from the file at `path`, the others from
/// `remote(kept)` (a ranged GET), each chunk appended to the file as it passes. `synced` learns,
/// after each fdatasync (every `syncBytes` and at the end), how many bytes are on disk for sure:
/// the number a later run may keep.
public final class KeptDownload: ObjectReader, @unchecked Sendable {
    public let size: UInt64
    /// Bytes taken from the local copy.
    public let kept: UInt64
    /// Bytes fetched from the store by this reader.
    public private(set) var fetched: UInt64 = 0
    private let path: String
    /// Appends to the copy (its offset at `kept`).
    private let fd: Int32
    /// The kept bytes: the copy read to its end as it was cut.
    private var local: LocalFileReader?
    private var unsynced: UInt64 = 0
    private var remote: (any ObjectReader)?
    private let makeRemote: @Sendable (UInt64) async throws -> any ObjectReader
    private let synced: @Sendable (UInt64) -> Void
    private let syncBytes: UInt64
    private let queue = DispatchQueue(label: "kept-download")

    /// Opens (or creates) `path` and cuts it to `keep` bytes: what a crash may have left beyond the
    /// last sync is not trusted.
    public init(
        path: String, keep: UInt64, size: UInt64, syncBytes: UInt64 = 32 << 20,
        remote: @escaping @Sendable (UInt64) async throws -> any ObjectReader,
        synced: @escaping @Sendable (UInt64) -> Void
    ) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ObjectStoreError.io(path: path, reason: String(cString: strerror(errno))) }
        var info = stat()
        fstat(fd, &info)
        let kept = min(keep, UInt64(info.st_size), size)
        guard ftruncate(fd, off_t(kept)) == 0, lseek(fd, off_t(kept), SEEK_SET) >= 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ObjectStoreError.io(path: path, reason: reason)
        }
        local = kept > 0 ? try LocalFileReader(path: path) : nil
        self.path = path
        self.kept = kept
        self.size = size
        self.syncBytes = syncBytes
        self.makeRemote = remote
        self.synced = synced
    }

    deinit { close(fd) }

    public func read() async throws -> [UInt8]? {
        if let local {
            // Read before anything is appended: its end is the cut.
            if let chunk = try await local.read() { return chunk }
            self.local = nil
        }
        if remote == nil { remote = try await makeRemote(kept) }
        guard let chunk = try await remote?.read() else {
            if unsynced > 0 { try await sync() }
            return nil
        }
        let (fd, path) = (self.fd, self.path)
        try await runBlocking(on: queue) { try writeAll(chunk, to: fd, path: path) }
        fetched += UInt64(chunk.count)
        unsynced += UInt64(chunk.count)
        if unsynced >= syncBytes { try await sync() }
        return chunk
    }

    public func recycle(_ chunk: consuming [UInt8]) { remote?.recycle(chunk) }

    private func sync() async throws {
        let (fd, path, durable) = (self.fd, self.path, kept + fetched)
        try await runBlocking(on: queue) {
            guard fdatasync(fd) == 0 else {
                throw ObjectStoreError.io(path: path, reason: String(cString: strerror(errno)))
            }
        }
        unsynced = 0
        synced(durable)
    }
}
