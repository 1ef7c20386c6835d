import Foundation
import TestSupport
import Testing

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct BackupCommandTests {
    func connection(_ env: TestEnvironment) throws -> [String] {
        ["--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root"]
    }

    @Test func backupThenListWithJSON() throws {
        let env = try TestEnvironment.require()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-bk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let backup = try CLI.run(
            ["backup", "--database", "mysql", "--storage-dir", dir, "--json", "--max-retention", "720h"]
                + connection(env),
            environment: ["MARIADB_PASSWORD": env.rootPassword])
        #expect(backup.status == 0, "\(backup.stderr)")
        struct Result: Decodable {
            var name: String
            var location: String
        }
        let result = try JSONDecoder().decode(Result.self, from: Data(backup.stdout.utf8))
        #expect(result.name.hasPrefix("backup.") && result.name.hasSuffix(".sql.gz"))
        #expect(!backup.stdout.contains(env.rootPassword) && !backup.stderr.contains(env.rootPassword))
        // --json progress: one JSON object per line on stderr, the last one the final count.
        struct Event: Decodable {
            var event: String
            var label: String
            var bytes: UInt64
            var stored_bytes: UInt64
        }
        let events = try backup.stderr.split(separator: "\n").map {
            try JSONDecoder().decode(Event.self, from: Data($0.utf8))
        }
        let done = try #require(events.last)
        #expect(
            done.event == "done" && done.label == "dumped" && done.bytes > 0 && done.stored_bytes > 0
                && done.stored_bytes < done.bytes)
        let list = try CLI.run(["list", "--storage-dir", dir, "--json"])
        #expect(
            list.status == 0 && list.stdout.contains(result.name) && list.stdout.contains("\"manifest\" : \"ok\""),
            "\(list.stdout)")
        let gunzip = try CLI.run(["storage", "get", result.name, "-", "--storage-dir", dir])
        #expect(gunzip.status == 0 && !gunzip.stdout.isEmpty)
    }

    @Test func aScheduleStopsCleanlyOnSIGTERM() async throws {
        let env = try TestEnvironment.require()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-sched-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let process = Process()
        process.executableURL = try CLI.binary
        process.arguments = ["backup", "--schedule", "@yearly", "--storage-dir", dir] + (try connection(env))
        var environment = ProcessInfo.processInfo.environment
        environment["MARIADB_PASSWORD"] = env.rootPassword
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        try await Task.sleep(for: .milliseconds(1500))
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(stderr)")
        #expect(stderr.contains("next backup at") && stderr.contains("schedule stopped"))
    }

    @Test func badInputsNameTheValue() throws {
        let schedule = try CLI.run(["backup", "--user", "root", "--schedule", "0 25 * * *"])
        #expect(schedule.status != 0 && schedule.stderr.contains("hour '25'"))
        let retention = try CLI.run(["backup", "--user", "root", "--max-retention", "30d"])
        #expect(retention.status != 0 && retention.stderr.contains("'30d'"))
        let dumpArg = try CLI.run([
            "backup", "--host", "127.0.0.1", "--port", "1", "--user", "root", "--dump-arg=--password=EXAMPLEpw",
        ])
        #expect(dumpArg.status != 0 && !dumpArg.stderr.contains("EXAMPLEpw"))
    }
}
