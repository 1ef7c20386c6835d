import UTCTime

/// Where backups live: an S3 bucket and prefix, or a directory. Names are relative to the
/// store's prefix/folder and never contain `/`.
public protocol ObjectStore: Sendable {
    /// For messages: `s3://bucket/prefix/` or the directory path.
    var location: String { get }
    /// Starts writing `name`; nothing is visible under that name until `commit`.
    func makeWriter(name: String) async throws -> any ObjectWriter
    /// Opens `name` for a streamed read of its bytes from `offset` on (a ranged GET): `size` stays the
    /// whole object's. Throws `ObjectStoreError.notFound` when absent.
    func makeReader(name: String, from offset: UInt64) async throws -> any ObjectReader
    func head(name: String) async throws -> ObjectInfo?
    /// The objects directly in the prefix/folder (not below it), sorted by name.
    func list() async throws -> [ObjectInfo]
    func delete(name: String) async throws
    /// Gives a committed object a new name, never replacing one (`ObjectStoreError.exists`): for a
    /// backup named by a time known only at its end. A directory links then unlinks; S3 copies on the
    /// server and deletes the old key.
    func rename(_ name: String, to newName: String) async throws
    /// Writes that were started and never committed nor aborted (a process killed with SIGKILL
    /// cannot clean up): S3 multipart uploads, or a directory's hidden temp files.
    func unfinishedWrites() async throws -> [UnfinishedWrite]
    /// Removes an unfinished write: aborts the upload, or deletes the temp file.
    func discard(_ write: UnfinishedWrite) async throws
}

/// A write left unfinished: the object name it was for, when it started, and the store's handle.
public struct UnfinishedWrite: Codable, Sendable, Equatable {
    public var name: String
    public var started: UTCDateTime?
    /// The upload id, or the temp file's name.
    public var id: String

    public init(name: String, started: UTCDateTime?, id: String) {
        self.name = name
        self.started = started
        self.id = id
    }
}

/// A streamed write. `write` applies backpressure (it waits while the store is busy);
/// `commit` publishes atomically; `abort` leaves nothing behind. After a failed `write` or
/// `commit` the writer has already cleaned up.
public protocol ObjectWriter: AnyObject, Sendable {
    func write(_ bytes: [UInt8]) async throws
    func commit() async throws -> ObjectInfo
    func abort() async
}

/// A streamed read: chunks in order, then nil.
public protocol ObjectReader: AnyObject, Sendable {
    var size: UInt64 { get }
    func read() async throws -> [UInt8]?
    /// Gives a chunk from `read` back to be filled again, once nothing else holds it (pass it with
    /// `consume`); optional.
    func recycle(_ chunk: consuming [UInt8])
}

extension ObjectReader {
    public func recycle(_ chunk: consuming [UInt8]) {}
}

public struct ObjectInfo: Sendable, Equatable, Codable {
    public var name: String
    public var size: UInt64
    public var lastModified: UTCDateTime?
    public var etag: String?

    public init(name: String, size: UInt64, lastModified: UTCDateTime? = nil, etag: String? = nil) {
        self.name = name
        self.size = size
        self.lastModified = lastModified
        self.etag = etag
    }
}

extension ObjectStore {
    /// Opens `name` for a streamed read from its start.
    public func makeReader(name: String) async throws -> any ObjectReader {
        try await makeReader(name: name, from: 0)
    }

    /// Writes a whole buffer: for manifests and small files.
    @discardableResult
    public func put(name: String, bytes: [UInt8]) async throws -> ObjectInfo {
        let writer = try await makeWriter(name: name)
        do {
            try await writer.write(bytes)
            return try await writer.commit()
        } catch {
            await writer.abort()
            throw error
        }
    }

    /// Reads a whole object into memory: for manifests and small files.
    public func getAll(name: String) async throws -> [UInt8] {
        let reader = try await makeReader(name: name)
        var out: [UInt8] = []
        out.reserveCapacity(Int(reader.size))
        while let chunk = try await reader.read() { out += chunk }
        return out
    }
}

/// Object names are single path segments: no `/`, no `..`, nothing empty.
public func validateObjectName(_ name: String) throws(ObjectStoreError) {
    guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.contains("\0") else {
        throw .invalidName(name)
    }
}
