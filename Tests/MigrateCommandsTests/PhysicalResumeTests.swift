import Foundation
import TestSupport
import Testing

/// Issue #29 on the physical route, as a user meets it: `restore --physical` SIGKILLed while
/// mariadb-backup prepares (which a SIGKILL does not stop) is run again and goes on from the local
/// copy: the orphaned prepare is ended first, nothing is downloaded again, and the server on the
/// data directory serves the source's rows.
@Suite(.enabled(if: TestEnvironment.serversExpected))
struct PhysicalResumeTests {
    @Test(.timeLimit(.minutes(30)))
    func aKilledPhysicalRestoreEndsItsOrphanAndGoesOn() async throws {
        let env = try TestEnvironment.require()
        let port = try env["MM_TEST_MARIADB_PORT"]
        let database = TestEnvironment.uniqueName("presume")
        try sql(
            env, port: port,
            "CREATE DATABASE \(database); USE \(database); CREATE TABLE t (id INT PRIMARY KEY); "
                + "INSERT INTO t SELECT seq FROM seq_1_to_3000")
        defer { try? sql(env, port: port, "DROP DATABASE IF EXISTS \(database)") }
        let dir = NSTemporaryDirectory() + "mm-presume-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let password = ["MARIADB_PASSWORD": env.rootPassword]
        let backup = try CLI.run(
            [
                "backup", "--physical", "--storage-dir", dir + "/store", "--host", "127.0.0.1", "--port", port,
                "--user", "root",
            ], environment: password)
        try #require(backup.status == 0, "\(backup.stderr)")

        // A mariadb-backup first on PATH whose first prepare takes a minute (a big backup's would).
        let real = try #require(Self.onPath("mariadb-backup"))
        try """
            #!/bin/sh
            case " $* " in *" --prepare "*) [ -e "\(dir)/slow" ] && rm "\(dir)/slow" && sleep 60 ;; esac
            exec "\(real)" "$@"
            """.write(toFile: dir + "/bin/mariadb-backup", atomically: true, encoding: .utf8)
        #expect(chmod(dir + "/bin/mariadb-backup", 0o755) == 0)
        _ = FileManager.default.createFile(atPath: dir + "/slow", contents: nil)
        let environment = [
            "PATH": dir + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        ]
        let restore = [
            "restore", "--physical", "--storage-dir", dir + "/store", "--datadir", dir + "/data", "--staging-dir",
            dir + "/staging",
        ]
        let run = try BackgroundRun(restore, environment: environment)
        var preparing = false
        while run.process.isRunning && !preparing {
            let states = (try? FileManager.default.subpathsOfDirectory(atPath: dir + "/staging")) ?? []
            preparing = states.filter { $0.hasSuffix("state.json") }.contains { path in
                let text = (try? String(contentsOfFile: dir + "/staging/" + path, encoding: .utf8)) ?? ""
                return text.contains(#""step":"preparing""#)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(preparing, "the restore ended before its prepare: \(run.wait().stderr)")
        // A second run while the first goes on is refused, and changes nothing.
        ErrorCatalog.expect("physical-restore-running", try CLI.run(restore, environment: environment))
        try await Task.sleep(for: .milliseconds(300))
        kill(run.process.processIdentifier, SIGKILL)
        _ = run.wait()
        #expect(Self.processes(naming: dir + "/staging") > 0, "the prepare went on after its parent was killed")

        let again = try CLI.run(restore, environment: environment)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("went on after the step 'preparing' of an earlier run"), "\(again.stdout)")
        #expect(Self.processes(naming: dir + "/staging") == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/staging") == [])

        let server = try await ScratchServer(dataDirectory: dir + "/data", password: env.rootPassword)
        defer { server.stop() }
        let count = try CLI.run(
            [
                "verify", "--host", "127.0.0.1", "--port", port, "--user", "root", "--target-host", "127.0.0.1",
                "--target-port", String(server.port), "--target-user", "root", "--database", database,
            ],
            environment: ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": env.rootPassword])
        #expect(count.status == 0 && count.stdout.contains("no differences"), "\(count.stdout) \(count.stderr)")
    }

    static func onPath(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Processes whose arguments name `path` (what a killed restore left running).
    static func processes(naming path: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { Int32($0) != nil }.filter { pid in
            let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
            return data.split(separator: 0).contains { String(decoding: $0, as: UTF8.self).contains(path) }
        }.count
    }
}
