import ArgumentParser
import BackupEngine
import Foundation
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
            let input = try LocalFileReader(path: source)
            let meter = ProgressMeter(
                label: "upload \(objectName)", total: input.knownSize, mode: ProgressMeter.mode(json: output.json))
            let json = output.json
            let info = try await runCancellingOnSignals {
                let result = try await ObjectTransfer.upload(input, to: store, name: objectName, progress: meter.add)
                meter.finish()
                return result
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
            let meter = ProgressMeter(label: "download \(name)", total: nil, mode: ProgressMeter.mode(json: json))
            let result = try await runCancellingOnSignals {
                let result = try await ObjectTransfer.download(
                    name, from: store, to: target, opened: meter.setTotal, progress: meter.add)
                meter.finish()
                return result
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
