import Blocking
import Dispatch
import Foundation
import UTCTime

#if canImport(Glibc)
    import Glibc
#endif

/// Backups in a directory (the operator's PVC/volume case, and the embedded default). A write
/// goes to a hidden temp file in the same folder, is fsynced and then linked to its final name
/// (never replacing an existing file), so a reader never sees a partial file under a valid name.
public struct DirectoryStore: ObjectStore {
    public let path: String
    private let queue = DispatchQueue(label: "directory-store", attributes: .concurrent)

    /// `create` makes the folder (and its parents) when missing, as a backup target does.
    public init(path: String, create: Bool) throws(ObjectStoreError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw .io(path: path, reason: "it is a file, not a directory") }
        } else if create {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw .io(path: path, reason: error.localizedDescription)
            }
        } else {
            throw .io(path: path, reason: "no such directory")
        }
        self.path = path
    }

    public var location: String { path.hasSuffix("/") ? path : path + "/" }

    func fullPath(_ name: String) -> String { location + name }

    /// Temp files start with a dot and have more than four dot-separated parts: neither
    /// `list` nor the operator takes them for backups.
    static func isHidden(_ name: String) -> Bool { name.hasPrefix(".") }

    public func makeWriter(name: String) async throws -> any ObjectWriter {
        try validateObjectName(name)
        let temp = fullPath(".\(name).\(UInt32.random(in: 0...UInt32.max)).partial.tmp")
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw ObjectStoreError.io(path: temp, reason: String(cString: strerror(errno))) }
        return DirectoryWriter(
            fd: fd, tempPath: temp, finalPath: fullPath(name), directory: path, name: name, queue: queue)
    }

    public func makeReader(name: String, from offset: UInt64) async throws -> any ObjectReader {
        try validateObjectName(name)
        let file = fullPath(name)
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { throw ObjectStoreError.notFound(location: file) }
            throw ObjectStoreError.io(path: file, reason: String(cString: strerror(errno)))
        }
        var info = stat()
        fstat(fd, &info)
        if offset > 0 { lseek(fd, off_t(min(offset, UInt64(info.st_size))), SEEK_SET) }
        return DirectoryReader(fd: fd, size: UInt64(info.st_size), queue: queue)
    }

    public func head(name: String) async throws -> ObjectInfo? {
        try validateObjectName(name)
        var info = stat()
        guard stat(fullPath(name), &info) == 0 else {
            if errno == ENOENT { return nil }
            throw ObjectStoreError.io(path: fullPath(name), reason: String(cString: strerror(errno)))
        }
        return ObjectInfo(
            name: name, size: UInt64(info.st_size), lastModified: UTCDateTime(epochSeconds: Int64(info.st_mtim.tv_sec)))
    }

    public func list() async throws -> [ObjectInfo] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw ObjectStoreError.io(path: path, reason: error.localizedDescription)
        }
        var result: [ObjectInfo] = []
        for name in names.sorted() where !Self.isHidden(name) {
            var info = stat()
            guard stat(fullPath(name), &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            result.append(
                ObjectInfo(
                    name: name, size: UInt64(info.st_size),
                    lastModified: UTCDateTime(epochSeconds: Int64(info.st_mtim.tv_sec))))
        }
        return result
    }

    /// `.<name>.<random>.partial.tmp` files: writers killed before they committed or cleaned up.
    public func unfinishedWrites() async throws -> [UnfinishedWrite] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().compactMap { file in
            guard file.hasPrefix("."), file.hasSuffix(".partial.tmp") else { return nil }
            let inner = file.dropFirst().dropLast(".partial.tmp".count)
            guard let dot = inner.lastIndex(of: ".") else { return nil }
            var info = stat()
            let started = stat(fullPath(file), &info) == 0 ? UTCDateTime(epochSeconds: Int64(info.st_mtim.tv_sec)) : nil
            return UnfinishedWrite(name: String(inner[..<dot]), started: started, id: file)
        }
    }

    public func discard(_ write: UnfinishedWrite) async throws {
        guard write.id.hasPrefix("."), write.id.hasSuffix(".partial.tmp"), !write.id.contains("/") else {
            throw ObjectStoreError.invalidName(write.id)
        }
        guard unlink(fullPath(write.id)) == 0 || errno == ENOENT else {
            throw ObjectStoreError.io(path: fullPath(write.id), reason: String(cString: strerror(errno)))
        }
    }

    public func rename(_ name: String, to newName: String) async throws {
        try validateObjectName(name)
        try validateObjectName(newName)
        // link(2) fails with EEXIST where rename(2) would replace.
        guard link(fullPath(name), fullPath(newName)) == 0 else {
            if errno == EEXIST { throw ObjectStoreError.exists(location: fullPath(newName)) }
            throw ObjectStoreError.io(path: fullPath(newName), reason: String(cString: strerror(errno)))
        }
        unlink(fullPath(name))
        let directory = open(location, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    public func delete(name: String) async throws {
        try validateObjectName(name)
        guard unlink(fullPath(name)) == 0 || errno == ENOENT else {
            throw ObjectStoreError.io(path: fullPath(name), reason: String(cString: strerror(errno)))
        }
    }
}

final class DirectoryWriter: ObjectWriter, @unchecked Sendable {
    private var fd: Int32
    private let tempPath: String
    private let finalPath: String
    private let directory: String
    private let name: String
    private let queue: DispatchQueue
    private var written: UInt64 = 0

    init(fd: Int32, tempPath: String, finalPath: String, directory: String, name: String, queue: DispatchQueue) {
        self.fd = fd
        self.tempPath = tempPath
        self.finalPath = finalPath
        self.directory = directory
        self.name = name
        self.queue = queue
    }

    deinit {
        // A writer dropped without commit or abort leaves nothing behind.
        if fd >= 0 {
            close(fd)
            unlink(tempPath)
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        let fd = self.fd
        let path = tempPath
        do {
            try await runBlocking(on: queue) { try writeAll(bytes, to: fd, path: path) }
            written += UInt64(bytes.count)
        } catch {
            await abort()
            throw error
        }
    }

    func commit() async throws -> ObjectInfo {
        let fd = self.fd
        let temp = tempPath
        let final = finalPath
        let directory = self.directory
        do {
            try await runBlocking(on: queue) {
                guard fsync(fd) == 0 else {
                    throw ObjectStoreError.io(path: temp, reason: String(cString: strerror(errno)))
                }
                // link() refuses to replace an existing name: a backup is never overwritten.
                guard link(temp, final) == 0 else {
                    let reason =
                        errno == EEXIST
                        ? "it already exists; nothing was overwritten" : String(cString: strerror(errno))
                    throw ObjectStoreError.io(path: final, reason: reason)
                }
                unlink(temp)
                let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                if dirfd >= 0 {
                    fsync(dirfd)
                    close(dirfd)
                }
            }
        } catch {
            await abort()
            throw error
        }
        close(fd)
        self.fd = -1
        return ObjectInfo(name: name, size: written, lastModified: UTCDateTime.now())
    }

    func abort() async {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(tempPath)
    }
}

final class DirectoryReader: ObjectReader, @unchecked Sendable {
    private let fd: Int32
    let size: UInt64
    private let queue: DispatchQueue
    static let chunkSize = 1 << 20
    private let spares = BufferPool(limit: 2, largest: 2 * chunkSize)

    init(fd: Int32, size: UInt64, queue: DispatchQueue) {
        self.fd = fd
        self.size = size
        self.queue = queue
    }

    deinit { close(fd) }

    func read() async throws -> [UInt8]? {
        let (fd, spares) = (self.fd, self.spares)
        let chunk: [UInt8] = try await runBlocking(on: queue) {
            // Overwritten by read(2), and cut to what it read.
            var buffer = spares.chunk(of: Self.chunkSize)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ObjectStoreError.io(path: "fd \(fd)", reason: String(cString: strerror(errno)))
                }
                buffer.removeLast(buffer.count - n)
                return buffer
            }
        }
        return chunk.isEmpty ? nil : chunk
    }

    func recycle(_ chunk: consuming [UInt8]) {
        // A whole chunk only: a shorter one would need growing.
        if chunk.count == Self.chunkSize { spares.give(chunk) }
    }
}

/// Writes all of `bytes` at `fd`'s offset, again after a short write or EINTR.
func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws {
    try bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ObjectStoreError.io(path: path, reason: String(cString: strerror(errno)))
            }
            offset += n
        }
    }
}
