import Foundation
import HTTPTransport
import TestSupport
import Testing

extension Duration {
    var inMilliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}

@testable import ObjectStore

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct StorageCommandTests {
    func s3Arguments(bucket: String) throws -> [String] {
        let env = try TestEnvironment.require()
        return ["--s3-bucket", bucket, "--s3-prefix", "mariadb", "--s3-endpoint", try env["MM_TEST_S3_ENDPOINT"]]
    }

    var awsEnvironment: [String: String] { ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"] }

    func makeBucket() async throws -> String {
        let env = try TestEnvironment.require()
        let bucket = "cli-\(UInt32.random(in: 0...UInt32.max))"
        _ = try await CurlClient().send(HTTPRequest(method: .put, url: "\(try env["MM_TEST_S3_ENDPOINT"])/\(bucket)"))
        return bucket
    }

    @Test func checkPutListGetRemoveOnS3() async throws {
        let bucket = try await makeBucket()
        let s3 = try s3Arguments(bucket: bucket)
        let check = try CLI.run(["storage", "check", "--json"] + s3, environment: awsEnvironment)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("\"ok\" : true"))

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let local = dir.appendingPathComponent("dump.sql")
        try Data(repeating: 65, count: 7_000_000).write(to: local)
        let put = try CLI.run(
            ["storage", "put", local.path, "backup.2024-08-26T12:24:34Z.sql"] + s3, environment: awsEnvironment)
        #expect(put.status == 0, "\(put.stderr)")
        let list = try CLI.run(["storage", "ls", "--json"] + s3, environment: awsEnvironment)
        #expect(list.stdout.contains("backup.2024-08-26T12:24:34Z.sql") && list.stdout.contains("7000000"))
        let back = dir.appendingPathComponent("back.sql")
        let get = try CLI.run(
            ["storage", "get", "backup.2024-08-26T12:24:34Z.sql", back.path] + s3, environment: awsEnvironment)
        #expect(get.status == 0, "\(get.stderr)")
        #expect(try Data(contentsOf: back) == Data(contentsOf: local))
        let again = try CLI.run(
            ["storage", "get", "backup.2024-08-26T12:24:34Z.sql", back.path] + s3, environment: awsEnvironment)
        #expect(again.status != 0 && again.stderr.contains("already exists"), "a download must not overwrite")
        let rm = try CLI.run(["storage", "rm", "backup.2024-08-26T12:24:34Z.sql"] + s3, environment: awsEnvironment)
        #expect(rm.status == 0)
        let missing = try CLI.run(
            ["storage", "rm", "backup.2024-08-26T12:24:34Z.sql"] + s3, environment: awsEnvironment)
        #expect(missing.status != 0 && missing.stderr.contains("does not exist"))
    }

    @Test func checkOnADirectoryAndBadInputs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let check = try CLI.run(["storage", "check", "--storage-dir", dir])
        #expect(check.status == 0 && check.stdout.contains("ok   delete"), "\(check.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        let badKey = FileManager.default.temporaryDirectory.appendingPathComponent("key-\(UUID().uuidString)")
        try "c2hvcnQ=".write(to: badKey, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: badKey) }
        let sse = try CLI.run(
            ["storage", "ls", "--s3-bucket", "b-b-b", "--s3-ssec-key-file", badKey.path], environment: awsEnvironment)
        #expect(sse.status != 0 && sse.stderr.contains("decodes to 5 bytes, not 32"))
        #expect(!sse.stderr.contains("c2hvcnQ="), "the key must not be printed")
        let endpoint = try CLI.run(
            ["storage", "ls", "--s3-bucket", "b-b-b", "--s3-endpoint", "ftp://x"], environment: awsEnvironment)
        #expect(endpoint.status != 0 && endpoint.stderr.contains("'ftp://x'"))
        let noCredentials = try CLI.run(["storage", "ls", "--s3-bucket", "b-b-b"], environment: ["HOME": dir])
        #expect(noCredentials.status != 0 && noCredentials.stderr.contains("no S3 credentials found"))
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalAbortsTheUpload(signalNumber: Int32) async throws {
        let bucket = try await makeBucket()
        let s3 = try s3Arguments(bucket: bucket)
        let process = Process()
        process.executableURL = try CLI.binary
        process.arguments = ["storage", "put", "-", "never-finished.sql"] + s3
        var environment = ProcessInfo.processInfo.environment
        environment.merge(awsEnvironment) { _, new in new }
        process.environment = environment
        let input = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        signal(SIGPIPE, SIG_IGN)  // a child that exits early must fail the test, not kill the runner
        try process.run()
        let pid = process.processIdentifier
        try #require(pid > 0)
        // 20 MiB in: the multipart upload has started and parts are in flight.
        let chunk = Data(repeating: 0x42, count: 1 << 20)
        for _ in 0..<20 { try input.fileHandleForWriting.write(contentsOf: chunk) }
        try await Task.sleep(for: .milliseconds(500))
        kill(pid, signalNumber)
        process.waitUntilExit()
        try? input.fileHandleForWriting.close()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        ErrorCatalog.expect("interrupted", status: process.terminationStatus, output: stderr)
        let env = try TestEnvironment.require()
        let store = S3Store(
            configuration: try S3Configuration(
                bucket: bucket, prefix: "mariadb",
                endpoint: S3Endpoint.parse(try env["MM_TEST_S3_ENDPOINT"], tlsEnabled: false)),
            credentials: StaticCredentials(.init(accessKeyId: "testing", secretAccessKey: "testing"), source: "test"))
        #expect(try await store.list().isEmpty)
        #expect(try await store.pendingMultipartUploads().isEmpty)
    }
}

/// What killed backups leave behind, cleaned up by `storage gc` and by the next backup.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct StorageGCTests {
    let awsEnvironment = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]

    @Test func unfinishedUploadsOfBackupsAreAbortedOnceOlderThanTheAge() async throws {
        let env = try TestEnvironment.require()
        let bucket = "gc-\(UInt32.random(in: 0...UInt32.max))"
        _ = try await CurlClient().send(HTTPRequest(method: .put, url: "\(try env["MM_TEST_S3_ENDPOINT"])/\(bucket)"))
        var settings = StoreSettings()
        settings.s3Bucket = bucket
        settings.s3Prefix = "mariadb"
        settings.s3Endpoint = try env["MM_TEST_S3_ENDPOINT"]
        let store = try settings.makeStore(forWriting: true, environment: awsEnvironment) as! S3Store
        // What a backup killed with SIGKILL leaves: an upload nobody completes or aborts.
        for name in ["backup.2024-08-26T12:24:34Z.sql.gz", "notes.bin"] {
            _ = try await store.createMultipartUpload(key: "mariadb/" + name, location: store.location + name)
        }
        let s3 = ["--s3-bucket", bucket, "--s3-prefix", "mariadb", "--s3-endpoint", try env["MM_TEST_S3_ENDPOINT"]]
        // moto answers every upload's Initiated with 2010-11-10T20:48:33Z, so on it every upload is
        // old: the age rule is proven by the pure tests and on the directory store below.
        let preview = try CLI.run(["storage", "gc", "--dry-run"] + s3, environment: awsEnvironment)
        #expect(preview.stdout.contains("would discard 1 unfinished write older than 1h"), "\(preview.stdout)")
        #expect(try await store.unfinishedWrites().count == 2)
        let gc = try CLI.run(["storage", "gc"] + s3, environment: awsEnvironment)
        #expect(gc.status == 0 && gc.stdout.contains("discarded 1 unfinished write"), "\(gc.stdout)")
        // Only the backup's upload went: another program's upload under the prefix is not ours.
        #expect(try await store.unfinishedWrites().map(\.name) == ["notes.bin"])
        let bad = try CLI.run(["storage", "gc", "--gc-age", "a while"] + s3, environment: awsEnvironment)
        #expect(bad.status != 0 && bad.stderr.contains("--gc-age 'a while' is not a duration"))
    }

    /// The issue's trial: a backup to S3 killed with SIGKILL 8 times at random moments, then one more
    /// backup, which aborts every upload the killed runs left and says so.
    @Test func eightKilledBackupsLeaveNoUploadAfterTheNextOne() async throws {
        let env = try TestEnvironment.require()
        let name = TestEnvironment.uniqueName("killed")
        let port = try env["MM_TEST_MARIADB_PORT"]
        try sql(
            env, port: port,
            "CREATE DATABASE \(name); CREATE TABLE \(name).t (id INT PRIMARY KEY, v TEXT); INSERT INTO \(name).t "
                + "SELECT seq, CONCAT(MD5(seq), SHA2(seq, 256), RAND()) FROM \(name).seq_1_to_150000")
        defer { try? sql(env, port: port, "DROP DATABASE \(name)") }
        let bucket = "killed-\(UInt32.random(in: 0...UInt32.max))"
        _ = try await CurlClient().send(HTTPRequest(method: .put, url: "\(try env["MM_TEST_S3_ENDPOINT"])/\(bucket)"))
        let arguments = [
            "backup", "--database", name, "--host", "127.0.0.1", "--port", port, "--user", "root",
            "--s3-bucket", bucket, "--s3-prefix", "mariadb", "--s3-endpoint", try env["MM_TEST_S3_ENDPOINT"],
        ]
        let credentials = awsEnvironment.merging(["MARIADB_PASSWORD": env.rootPassword]) { a, _ in a }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MARIADB_") }
        environment.merge(credentials) { _, b in b }
        // One whole backup first, to know when a killed one is mid-upload (its length, not asserted).
        let started = ContinuousClock.now
        let whole = try CLI.run(arguments, environment: credentials)
        #expect(whole.status == 0, "\(whole.stderr)")
        let length = Int((ContinuousClock.now - started).inMilliseconds)
        for _ in 0..<8 {
            let process = Process()
            process.executableURL = try CLI.binary
            process.arguments = arguments
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .milliseconds(Int.random(in: (length * 3 / 10)...max(length * 9 / 10, 1))))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // The dump child is orphaned by SIGKILL and ends when its pipe closes.
        }
        let store = S3Store(
            configuration: try S3Configuration(
                bucket: bucket, prefix: "mariadb",
                endpoint: S3Endpoint.parse(try env["MM_TEST_S3_ENDPOINT"], tlsEnabled: false)),
            credentials: StaticCredentials(.init(accessKeyId: "testing", secretAccessKey: "testing"), source: "test"))
        // A run killed while its CompleteMultipartUpload was in flight still completes on the server a moment
        // later (seen once in CI under load): count once the listing has settled.
        var left = try await store.pendingMultipartUploads().count
        for _ in 0..<10 {
            try await Task.sleep(for: .milliseconds(500))
            let again = try await store.pendingMultipartUploads().count
            if again == left { break }
            left = again
        }
        let next = try CLI.run(arguments, environment: credentials)
        #expect(next.status == 0, "\(next.stderr)")
        let said =
            next.stdout.components(separatedBy: "discarded an unfinished upload of a killed run").count - 1 as Int
        #expect(said == left, "\(left) uploads were left; the backup said: \(next.stdout)")
        #expect(try await store.pendingMultipartUploads().isEmpty)
        print("killed 8 times: \(left) unfinished uploads left, all aborted by the next backup")
    }

    @Test func aDirectoryStoresTempFilesOfKilledBackupsGoWithTheNextBackup() throws {
        let env = try TestEnvironment.require()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let stale = dir.appendingPathComponent(".backup.2024-08-26T12:24:34Z.sql.gz.42.partial.tmp").path
        let other = dir.appendingPathComponent(".notes.txt.7.partial.tmp").path
        // Ten minutes old: it may be a run still writing, so it stays.
        let young = dir.appendingPathComponent(".backup.2024-08-27T12:24:34Z.sql.gz.9.partial.tmp").path
        for (path, age) in [(stale, -7200.0), (other, -7200), (young, -600)] {
            FileManager.default.createFile(atPath: path, contents: Data("half".utf8))
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: age)], ofItemAtPath: path)
        }
        let backup = try CLI.run(
            [
                "backup", "--database", "mysql", "--storage-dir", dir.path, "--host", "127.0.0.1",
                "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root",
            ], environment: ["MARIADB_PASSWORD": env.rootPassword])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(
            backup.stdout.contains("discarded an unfinished upload of a killed run: backup.2024-08-26T12:24:34Z.sql.gz")
        )
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: other) && FileManager.default.fileExists(atPath: young))
    }
}
