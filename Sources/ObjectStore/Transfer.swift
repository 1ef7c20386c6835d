import Blocking
import Dispatch
import Foundation
import Hashing

/// Copies between the store and local files or the standard streams, hashing (SHA-256) and counting on the
/// way: `storage put` and `storage get`.
public enum ObjectTransfer {
    public struct Result: Codable, Sendable, Equatable {
        public var name: String
        public var location: String
        public var bytes: UInt64
        public var sha256: String
    }

    /// Everything `source` reads, stored under `name`: visible only when complete, the upload aborted on any
    /// error (cancellation included).
    public static func upload(
        _ source: any ObjectReader, to store: any ObjectStore, name: String,
        progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> Result {
        let writer = try await store.makeWriter(name: name)
        do {
            let (_, sha256) = try await copy(from: source.read, to: writer.write, progress: progress)
            let info = try await writer.commit()
            return Result(name: info.name, location: store.location + info.name, bytes: info.size, sha256: sha256)
        } catch {
            await writer.abort()
            throw error
        }
    }

    /// Object `name` written to `destination`: `-` for standard output, else a local file written under a
    /// temporary name and renamed when complete. `opened` learns the object's size before the first byte.
    public static func download(
        _ name: String, from store: any ObjectStore, to destination: String,
        opened: @Sendable (UInt64) -> Void = { _ in }, progress: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws -> Result {
        let reader = try await store.makeReader(name: name)
        opened(reader.size)
        if destination == "-" {
            let (bytes, sha256) = try await copy(from: reader.read, to: writeToStandardOutput, progress: progress)
            return Result(name: name, location: destination, bytes: bytes, sha256: sha256)
        }
        let url = URL(fileURLWithPath: destination)
        let folder = try DirectoryStore(path: url.deletingLastPathComponent().path, create: false)
        let writer = try await folder.makeWriter(name: url.lastPathComponent)
        do {
            let (bytes, sha256) = try await copy(from: reader.read, to: writer.write, progress: progress)
            _ = try await writer.commit()
            return Result(name: name, location: destination, bytes: bytes, sha256: sha256)
        } catch {
            await writer.abort()
            throw error
        }
    }

    /// Copies chunks from `read` to `write` until the end: the bytes copied and their SHA-256.
    static func copy(
        from read: () async throws -> [UInt8]?, to write: ([UInt8]) async throws -> Void,
        progress: @Sendable (Int) -> Void
    ) async throws -> (UInt64, String) {
        let hasher = SHA256Hasher()
        var bytes: UInt64 = 0
        while let chunk = try await read() {
            hasher.update(chunk)
            try await write(chunk)
            bytes += UInt64(chunk.count)
            progress(chunk.count)
        }
        return (bytes, hasher.finalize().hexString)
    }

    static let standardOutputQueue = DispatchQueue(label: "standard-output")

    static func writeToStandardOutput(_ bytes: [UInt8]) async throws {
        try await runBlocking(on: standardOutputQueue) { try FileHandle.standardOutput.write(contentsOf: bytes) }
    }
}

/// A local file, or standard input for `-`, read in chunks of up to 1 MiB off the cooperative pool. A read
/// waits for data with poll(), so cancellation (a signal) ends it even on an idle pipe. The one local reader of
/// `storage put`, `scan` and `restore --staging-dir`.
public final class LocalFileReader: ObjectReader, @unchecked Sendable {
    private let fd: Int32
    /// The file's size; nil for standard input.
    public let knownSize: UInt64?
    /// As `ObjectReader` has it: 0 when not known.
    public var size: UInt64 { knownSize ?? 0 }
    private let path: String
    private let queue = DispatchQueue(label: "local-file-reader")

    public init(path: String) throws {
        self.path = path == "-" ? "standard input" : path
        if path == "-" {
            fd = dup(STDIN_FILENO)
            knownSize = nil
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                if errno == ENOENT { throw ObjectStoreError.notFound(location: path) }
                throw ObjectStoreError.io(path: path, reason: String(cString: strerror(errno)))
            }
            var info = stat()
            fstat(fd, &info)
            knownSize = UInt64(info.st_size)
        }
    }

    deinit { close(fd) }

    public func read() async throws -> [UInt8]? {
        let (fd, path) = (self.fd, self.path)
        let cancelled = CancellationFlag()
        let chunk: [UInt8] = try await withTaskCancellationHandler {
            try await runBlocking(on: queue) {
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                var filled = 0
                while filled < buffer.count {
                    if cancelled.isSet { throw CancellationError() }
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    let ready = poll(&poller, 1, 200)
                    if ready == 0 { if filled > 0 { break } else { continue } }
                    let n = buffer.withUnsafeMutableBytes {
                        Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled)
                    }
                    if n < 0 {
                        if errno == EINTR || errno == EAGAIN { continue }
                        throw ObjectStoreError.io(path: path, reason: String(cString: strerror(errno)))
                    }
                    if n == 0 { break }
                    filled += n
                }
                buffer.removeLast(buffer.count - filled)
                return buffer
            }
        } onCancel: {
            cancelled.set()
        }
        return chunk.isEmpty ? nil : chunk
    }
}
