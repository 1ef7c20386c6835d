import Foundation
import TestSupport
import Testing

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct RestoreCommandTests {
    func source(_ env: TestEnvironment) throws -> [String] {
        ["--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root"]
    }

    func target(_ env: TestEnvironment) throws -> [String] {
        ["--host", "127.0.0.1", "--port", try env["MM_TEST_TARGET_PORT"], "--user", "root"]
    }

    func sql(_ env: TestEnvironment, port: String, _ statement: String) throws {
        let result = try CLI.shell(
            "mariadb --no-defaults -h127.0.0.1 -P\(port) -uroot", environment: ["MYSQL_PWD": env.rootPassword],
            stdin: statement)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func backupRestoreVerifyFromTheCommandLine() throws {
        let env = try TestEnvironment.require()
        let name = TestEnvironment.uniqueName("cli")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-rs-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? sql(env, port: (try? env["MM_TEST_MARIADB_PORT"]) ?? "", "DROP DATABASE IF EXISTS \(name)")
            try? sql(env, port: (try? env["MM_TEST_TARGET_PORT"]) ?? "", "DROP DATABASE IF EXISTS \(name)")
        }
        try sql(
            env, port: try env["MM_TEST_MARIADB_PORT"],
            "CREATE DATABASE \(name); CREATE TABLE \(name).t (id INT PRIMARY KEY, v TEXT); INSERT INTO \(name).t "
                + "SELECT seq, REPEAT('x', seq % 50) FROM \(name).seq_1_to_3000"
        )
        let password = ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": env.rootPassword]
        let backup = try CLI.run(
            ["backup", "--database", name, "--storage-dir", dir] + source(env), environment: password)
        #expect(backup.status == 0, "\(backup.stderr)")

        let restore = try CLI.run(["restore", "--storage-dir", dir, "--json"] + target(env), environment: password)
        #expect(restore.status == 0, "\(restore.stderr)")
        #expect(restore.stdout.contains("\"verifiedAgainstManifest\" : true"), "\(restore.stdout)")
        #expect(!restore.stdout.contains(env.rootPassword) && !restore.stderr.contains(env.rootPassword))
        // --json progress on stderr: the object's size is known, so events carry the total.
        struct Event: Decodable {
            var event: String
            var label: String
            var bytes: UInt64
            var total_bytes: UInt64
            var applied_bytes: UInt64
        }
        let done = try #require(
            try restore.stderr.split(separator: "\n").map { try JSONDecoder().decode(Event.self, from: Data($0.utf8)) }
                .last)
        #expect(
            done.event == "done" && done.label == "apply" && done.bytes == done.total_bytes
                && done.applied_bytes > done.bytes)

        let verifyArguments =
            [
                "verify", "--database", name, "--target-host", "127.0.0.1", "--target-port",
                try env["MM_TEST_TARGET_PORT"], "--target-user", "root",
            ] + (try source(env))
        let same = try CLI.run(verifyArguments, environment: password)
        #expect(same.status == 0 && same.stdout.contains("no differences"), "\(same.stdout) \(same.stderr)")

        try sql(env, port: try env["MM_TEST_TARGET_PORT"], "DELETE FROM \(name).t WHERE id = 7")
        let differs = try CLI.run(verifyArguments + ["--json"], environment: password)
        #expect(differs.status == 1)
        #expect(differs.stdout.contains("table \(name).t: source 3000 rows"), "\(differs.stdout)")
    }

    @Test func dryRunsChangeNothing() throws {
        let env = try TestEnvironment.require()
        let name = TestEnvironment.uniqueName("dry")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-dry-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? sql(env, port: (try? env["MM_TEST_MARIADB_PORT"]) ?? "", "DROP DATABASE IF EXISTS \(name)")
        }
        try sql(
            env, port: try env["MM_TEST_MARIADB_PORT"],
            "CREATE DATABASE \(name); CREATE TABLE \(name).t (id INT PRIMARY KEY)")
        let password = ["MARIADB_PASSWORD": env.rootPassword]
        let planned = try CLI.run(
            ["backup", "--dry-run", "--json", "--database", name, "--storage-dir", dir] + source(env),
            environment: password)
        #expect(planned.status == 0, "\(planned.stderr)")
        #expect(planned.stdout.contains("\"--databases\"") && planned.stdout.contains(name))
        #expect(planned.stdout.contains("\"rowsReadBy\" : \"mariadb-migrate\""), "\(planned.stdout)")
        let classic = try CLI.run(
            ["backup", "--dry-run", "--dump-reads-rows", "--database", name, "--storage-dir", dir] + source(env),
            environment: password)
        #expect(classic.stdout.contains("rows read by mariadb-dump: --dump-reads-rows"), "\(classic.stdout)")
        #expect(
            ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).isEmpty, "a dry run wrote to the store")
        let backup = try CLI.run(
            ["backup", "--database", name, "--storage-dir", dir] + source(env), environment: password)
        #expect(backup.status == 0, "\(backup.stderr)")
        let restore = try CLI.run(["restore", "--dry-run", "--storage-dir", dir] + target(env), environment: password)
        #expect(
            restore.status == 0 && restore.stdout.contains("would restore")
                && restore.stdout.contains("checked against its manifest"), "\(restore.stdout)\(restore.stderr)")
        let databases = try CLI.shell(
            "mariadb --no-defaults -h127.0.0.1 -P\(try env["MM_TEST_TARGET_PORT"]) -uroot -N -e 'SHOW DATABASES'",
            environment: ["MYSQL_PWD": env.rootPassword])
        #expect(!databases.stdout.contains(name), "a dry run applied the backup")
    }

    @Test func badInputsNameTheValue() throws {
        let time = try CLI.run(["restore", "--user", "root", "--target-time", "yesterday"])
        #expect(time.status != 0 && time.stderr.contains("'yesterday'"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cli-empty-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = try TestEnvironment.require()
        let none = try CLI.run(
            ["restore", "--storage-dir", dir] + target(env), environment: ["MARIADB_PASSWORD": env.rootPassword])
        #expect(none.status != 0 && none.stderr.contains("no backups") && none.stderr.contains(dir), "\(none.stderr)")
        let missing = try CLI.run(
            ["restore", "--storage-dir", dir, "--file", "backup.2024-01-01T00:00:00Z.sql"] + target(env),
            environment: ["MARIADB_PASSWORD": env.rootPassword])
        #expect(
            missing.status != 0 && missing.stderr.contains("backup.2024-01-01T00:00:00Z.sql does not exist"),
            "\(missing.stderr)")
    }
}
