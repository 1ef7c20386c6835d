import ArgumentParser
import BackupEngine
import Blocking
import Dispatch
import Foundation
import Hashing
import ObjectStore
import Terminal

extension MariaDBMigrate {
    /// Test and use a backup store before a migration, as `aws s3` would.
    struct Storage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check, list, upload, download and delete objects in the backup store (S3 or a directory).",
            subcommands: [Check.self, List.self, Put.self, Get.self, Remove.self, GC.self])
    }
}

extension MariaDBMigrate.Storage {
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Prove the store works: credentials, bucket, write, read back, delete; report stale multipart uploads.")

        @OptionGroup(title: "Storage") var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let report = await StoreCheck.run(try storage.makeStore(forWriting: true))
            if output.json {
                try output.printJSON(report)
            } else {
                for step in report.steps { print("\(step.ok ? "ok  " : "FAIL") \(step.step): \(step.detail)") }
            }
            if !report.ok { throw ExitCode.failure }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List the objects in the store's prefix or directory.")

        @OptionGroup(title: "Storage") var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let objects = try await storage.makeStore(forWriting: false).list()
            if output.json { return try output.printJSON(objects) }
            print(
                TextTable.render(
                    headers: ["name", "size", "modified"],
                    rows: objects.map { [$0.name, ByteFormat.string($0.size), $0.lastModified?.rfc3339 ?? "-"] },
                    rightAligned: [1]), terminator: "")
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a local file (or - for standard input) under NAME; visible only when complete.")

        @Argument(help: "Local file, or - for standard input.") var source: String
        @Argument(help: "Object name (default: the file's name).") var name: String?
        @OptionGroup(title: "Storage") var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let objectName = name ?? URL(fileURLWithPath: source).lastPathComponent
            guard source != "-" || name != nil else {
                throw CommandError.invalidValue(
                    option: "NAME", value: "(none)", expected: "an object name when reading standard input")
            }
            let store = try storage.makeStore(forWriting: true)
            let input = try LocalInput(path: source)
            let meter = ProgressMeter(
                label: "upload \(objectName)", total: input.size, mode: ProgressMeter.mode(json: output.json))
            let json = output.json
            let info = try await runCancellingOnSignals {
                let writer = try await store.makeWriter(name: objectName)
                let hasher = SHA256Hasher()
                do {
                    _ = try await pump(from: input.read, to: writer.write, hasher: hasher, meter: meter)
                    let info = try await writer.commit()
                    meter.finish()
                    return TransferResult(
                        name: info.name, location: store.location + info.name, bytes: info.size,
                        sha256: hasher.finalize().hexString)
                } catch {
                    await writer.abort()
                    throw error
                }
            }
            if json {
                try output.printJSON(info)
            } else {
                print("uploaded \(info.location) (\(ByteFormat.string(info.bytes)), sha256 \(info.sha256))")
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Download NAME to a local file (written under a temp name, then renamed) or to - for standard output.")

        @Argument(help: "Object name.") var name: String
        @Argument(help: "Local file (default: NAME in the current directory), or - for standard output.")
        var destination: String?
        @OptionGroup(title: "Storage") var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let store = try storage.makeStore(forWriting: false)
            let target = destination ?? name
            let name = self.name
            let json = output.json
            let result = try await runCancellingOnSignals {
                let reader = try await store.makeReader(name: name)
                let meter = ProgressMeter(
                    label: "download \(name)", total: reader.size, mode: ProgressMeter.mode(json: json))
                let hasher = SHA256Hasher()
                let bytes: UInt64
                if target == "-" {
                    bytes = try await pump(from: reader.read, to: writeToStandardOutput, hasher: hasher, meter: meter)
                } else {
                    let url = URL(fileURLWithPath: target)
                    let folder = try DirectoryStore(path: url.deletingLastPathComponent().path, create: false)
                    let writer = try await folder.makeWriter(name: url.lastPathComponent)
                    do {
                        bytes = try await pump(from: reader.read, to: writer.write, hasher: hasher, meter: meter)
                        _ = try await writer.commit()
                    } catch {
                        await writer.abort()
                        throw error
                    }
                }
                meter.finish()
                return TransferResult(name: name, location: target, bytes: bytes, sha256: hasher.finalize().hexString)
            }
            if target == "-" { return }
            if json {
                try output.printJSON(result)
            } else {
                print(
                    "downloaded \(store.location)\(name) to \(target) (\(ByteFormat.string(result.bytes)), sha256 "
                        + "\(result.sha256))"
                )
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete objects by name.")

        @Argument(help: "Object names.") var names: [String]
        @OptionGroup(title: "Storage") var storage: StorageOptions

        func run() async throws {
            let store = try storage.makeStore(forWriting: false)
            for name in names {
                guard try await store.head(name: name) != nil else {
                    throw ObjectStoreError.notFound(location: store.location + name)
                }
                try await store.delete(name: name)
                print("deleted \(store.location)\(name)")
            }
        }
    }
}

extension MariaDBMigrate.Storage {
    struct GC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gc",
            abstract: "Discard what killed backups left behind: unfinished multipart uploads (or a directory's temp "
                + "files) of backup names older than --gc-age; younger ones may be another run's and stay.")

        @OptionGroup(title: "Storage") var storage: StorageOptions
        @OptionGroup var output: OutputOptions

        @Option(
            help: ArgumentHelp("Discard only what started at least this long ago (Go duration).", valueName: "duration")
        )
        var gcAge = StoreGC.defaultAge

        @Flag(help: "List what would be discarded without discarding it.")
        var dryRun = false

        func validate() throws {
            guard GoDuration.seconds(gcAge) != nil else {
                throw ValidationError("--gc-age '\(gcAge)' is not a duration: write e.g. 1h or 30m")
            }
        }

        func run() async throws {
            let store = try storage.makeStore(forWriting: false)
            let age = GoDuration.seconds(gcAge)!
            let writes =
                dryRun
                ? StoreGC.candidates(try await store.unfinishedWrites(), now: .now(), minimumAgeSeconds: age)
                : try await StoreGC.run(store, minimumAgeSeconds: age)
            if output.json { return try output.printJSON(writes) }
            let verb = dryRun ? "would discard" : "discarded"
            print(
                "\(verb) \(writes.count) unfinished write\(writes.count == 1 ? "" : "s") older than \(gcAge) in "
                    + "\(store.location)"
            )
            for write in writes { print("  \(write.name) (started \(write.started?.rfc3339 ?? "?"))") }
        }
    }
}

/// Copies chunks from `read` to `write` until the end, hashing and counting on the way.
func pump(
    from read: () async throws -> [UInt8]?, to write: ([UInt8]) async throws -> Void,
    hasher: SHA256Hasher, meter: ProgressMeter
) async throws -> UInt64 {
    var bytes: UInt64 = 0
    while let chunk = try await read() {
        hasher.update(chunk)
        try await write(chunk)
        bytes += UInt64(chunk.count)
        meter.add(chunk.count)
    }
    return bytes
}

struct TransferResult: Codable, Sendable {
    var name: String
    var location: String
    var bytes: UInt64
    var sha256: String
}

/// A local file or standard input, read in chunks of up to 1 MiB off the cooperative pool. A
/// read waits for data with poll(), so cancellation (a signal) ends it even on an idle pipe.
final class LocalInput: @unchecked Sendable {
    private let fd: Int32
    let size: UInt64?
    private let queue = DispatchQueue(label: "local-input")

    init(path: String) throws {
        if path == "-" {
            fd = dup(STDIN_FILENO)
            size = nil
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw CommandError.unreadableFile(
                    path: path, option: "SOURCE", reason: String(cString: strerror(errno)))
            }
            var info = stat()
            fstat(fd, &info)
            size = UInt64(info.st_size)
        }
    }

    deinit { close(fd) }

    func read() async throws -> [UInt8]? {
        let fd = self.fd
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
                        throw CommandError.unreadableFile(
                            path: "standard input", option: "SOURCE", reason: String(cString: strerror(errno)))
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

final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

func writeToStandardOutput(_ bytes: [UInt8]) async throws {
    try await runBlocking(on: standardOutputQueue) { try FileHandle.standardOutput.write(contentsOf: bytes) }
}

let standardOutputQueue = DispatchQueue(label: "standard-output")
