import Foundation
import TestSupport
import Testing

/// The wizard on a real pseudo-terminal: answers typed at its prompts, a secret never shown, a
/// wrong answer and a wrong password asked again, ^C at a confirmation, then `--resume` finishes the migration.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct WizardTerminalTests {
    @Test func typedAnswersAHiddenSecretAReaskAndCtrlCThenResume() throws {
        let env = try TestEnvironment.require()
        let database = TestEnvironment.uniqueName("wizpty")
        try sql(
            env, port: try env["MM_TEST_MARIADB_PORT"],
            "CREATE DATABASE \(database); CREATE TABLE \(database).t (id INT PRIMARY KEY); INSERT INTO \(database).t "
                + "VALUES (7);"
        )
        defer {
            try? sql(env, port: try env["MM_TEST_MARIADB_PORT"], "DROP DATABASE IF EXISTS \(database)")
            try? sql(env, port: try env["MM_TEST_TARGET_PORT"], "DROP DATABASE IF EXISTS \(database)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-pty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let stateDir = dir.appendingPathComponent("state").path
        let terminal = try PseudoTerminal(["migrate", "backup-restore", "--state-dir", stateDir], environment: [:])

        try terminal.expect("Survey the source")
        try terminal.expect("Source server host [127.0.0.1]:")
        terminal.type("\r")
        try terminal.expect("Source server port [3306]:")
        terminal.type("33o6\r")
        try terminal.expect("source-port '33o6' is not a whole number; try again")
        try terminal.expect("Source server port [3306]:")
        terminal.type("\(try env["MM_TEST_MARIADB_PORT"])\r")
        try terminal.expect("Source user [root]:")
        terminal.type("\r")
        try terminal.expect("Source password:")
        // A wrong password is asked again, as mariadb --password asks, and the step runs again.
        terminal.type("not-the-password\r")
        try terminal.expect("runs: mariadb-migrate inspect")
        try terminal.expect("Access denied")
        try terminal.expect("; try again")
        try terminal.expect("Source password:")
        terminal.type("\(env.rootPassword)\r")
        try terminal.expect("done: version")

        try terminal.expect("Back up the databases")
        try terminal.expect("Where the backup goes (directory/s3) [directory]:")
        terminal.type("\r")
        try terminal.expect("Backup directory [migration-out/backups]:")
        terminal.type("\(dir.appendingPathComponent("backups").path)\r")
        try terminal.expect("Databases to copy")
        terminal.type("\(database)\r")
        try terminal.expect("Backup compression (gzip/bzip2/none) [gzip]:")
        terminal.type("\r")
        try terminal.expect("runs: mariadb-migrate backup")
        // Into a local directory: nothing outside this machine changes, so nothing is asked.
        try terminal.expect("done: name backup.")

        try terminal.expect("Restore into the target")
        try terminal.expect("Target server host:")
        terminal.type("127.0.0.1\r")
        try terminal.expect("Target server port [3306]:")
        terminal.type("\(try env["MM_TEST_TARGET_PORT"])\r")
        try terminal.expect("Target user [root]:")
        terminal.type("\r")
        try terminal.expect("Target password:")
        terminal.type("\(env.rootPassword)\r")
        // The backup just made is restored without asking which; the question names the server it changes.
        let target = "127.0.0.1:\(try env["MM_TEST_TARGET_PORT"])"
        try terminal.expect("Run this step? It changes the server at \(target)? (yes/no):")
        #expect(!terminal.screen.contains("backup-file ["))
        terminal.type("\u{03}")
        #expect(try terminal.wait() == 130, "\(terminal.screen)")
        #expect(terminal.screen.contains("the state is kept"))
        #expect(!terminal.screen.contains(env.rootPassword), "the password was shown")

        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: stateDir).first)
            .replacingOccurrences(of: ".json", with: "")
        let resumed = try CLI.run(
            ["migrate", "--resume", id, "--yes", "--state-dir", stateDir],
            environment: ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": env.rootPassword])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("Back up the databases: done before, with the same inputs; not redone"))
        #expect(resumed.stdout.contains("differences 0"), "\(resumed.stdout)")
    }

    /// Issue #31: a preflight blocker a fix in the dump can lift is offered; taken, the preflight runs again with
    /// it, and the answer is kept for the backup.
    @Test func aPreflightBlockerIsOfferedAsAFixInTheDump() throws {
        let env = try TestEnvironment.require()
        let database = TestEnvironment.uniqueName("wizfix")
        try sql(
            env, port: try env["MM_TEST_MARIADB_PORT"],
            "CREATE DATABASE \(database); CREATE TABLE \(database).old (id INT PRIMARY KEY) ENGINE=MyISAM;")
        defer { try? sql(env, port: try env["MM_TEST_MARIADB_PORT"], "DROP DATABASE IF EXISTS \(database)") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-ptyfix-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let stateDir = dir.appendingPathComponent("state").path
        let terminal = try PseudoTerminal(
            [
                "migrate", "standalone-to-galera", "--state-dir", stateDir, "--source-host", "127.0.0.1",
                "--source-port", try env["MM_TEST_MARIADB_PORT"], "--source-user", "root", "--databases", database,
                "--topology", "galera", "--route", "logical",
            ],
            environment: ["MARIADB_PASSWORD": env.rootPassword])
        try terminal.expect("Check the source for Galera")
        try terminal.expect("Fix Galera blockers in the dump instead of on the source")
        terminal.type("\r")
        try terminal.expect("blocker: 1 table is not InnoDB")
        try terminal.expect("the innodb fix: tables of MyISAM")
        try terminal.expect(
            "fix it in the dump (the source is not changed), or stop, I will fix the source? (dump/stop)")
        terminal.type("later\r")
        try terminal.expect("answer dump or stop")
        terminal.type("dump\r")
        try terminal.expect("running the preflight again with the fixes innodb")
        try terminal.expect("non-innodb (\(database).old (MyISAM)): handled in the dump by the innodb fix")
        try terminal.expect("done: blockers 0")
        try terminal.expect("Check the backup store")
        terminal.type("\u{03}")
        #expect(try terminal.wait() == 130, "\(terminal.screen)")
        let file = try #require(try FileManager.default.contentsOfDirectory(atPath: stateDir).first)
        let state = try String(contentsOfFile: "\(stateDir)/\(file)", encoding: .utf8)
        #expect(state.contains("\"fixes\" : \"innodb\"") || state.contains("\"fixes\":\"innodb\""), "\(state)")
    }
}
