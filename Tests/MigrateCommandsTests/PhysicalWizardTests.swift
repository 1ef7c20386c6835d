import Foundation
import TestSupport
import Testing

/// The external-to-operator wizard on its physical route, as a script runs it: mariadb-backup of the
/// source into the directory store, the MariaDB with backupContentType Physical (no account CRs:
/// the data files carry the accounts), and the bootstrap rehearsed into an empty data directory,
/// which a server then serves equal to the source.
@Suite(.enabled(if: TestEnvironment.serversExpected))
struct PhysicalWizardTests {
    @Test func thePhysicalRouteBacksUpWritesTheCRsAndRehearsesTheBootstrap() async throws {
        let env = try TestEnvironment.require()
        let port = try env["MM_TEST_MARIADB_PORT"]
        let database = TestEnvironment.uniqueName("pwiz")
        let user = TestEnvironment.uniqueName("pwizuser")
        // The operator logs in as root@'%' after a physical bootstrap: the source must have it.
        try sql(
            env, port: port,
            """
            CREATE USER IF NOT EXISTS root@'%' IDENTIFIED BY '\(env.rootPassword)';
            GRANT ALL PRIVILEGES ON *.* TO root@'%' WITH GRANT OPTION;
            CREATE DATABASE \(database); CREATE TABLE \(database).t (id INT PRIMARY KEY, v VARCHAR(20));
            INSERT INTO \(database).t VALUES (1,'one'),(2,'two');
            CREATE USER '\(user)'@'%' IDENTIFIED BY 'Wizard-pw-1'; GRANT SELECT ON \(database).* TO '\(user)'@'%';
            """)
        defer { try? sql(env, port: port, "DROP DATABASE IF EXISTS \(database); DROP USER IF EXISTS '\(user)'@'%'") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-pwiz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataDirectory = dir.appendingPathComponent("rehearsal/data").path
        let run = try CLI.run(
            [
                "migrate", "external-to-operator", "--yes", "--json", "--state-dir",
                dir.appendingPathComponent("state").path,
                "--source-port", port, "--route", "physical", "--store", "directory",
                "--storage-dir", dir.appendingPathComponent("backups").path, "--output-dir",
                dir.appendingPathComponent("out").path, "--target-datadir", dataDirectory,
            ],
            environment: ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_ROOT_PASSWORD": env.rootPassword])
        #expect(run.status == 0, "\(run.stderr)")
        let events = MigrateEvents(run.stdout)
        #expect(events.finishedSteps == ["survey", "store-check", "backup", "manifests", "rehearse"], "\(run.stdout)")
        #expect(!run.stdout.contains(env.rootPassword) && !run.stderr.contains(env.rootPassword))
        #expect(events.outputs(of: "survey")?["route-estimate"]?.hasPrefix("logical ≈ ") == true)

        let backups = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("backups").path)
        #expect(
            backups.contains { $0.range(of: #"^physicalbackup-\d{14}\.xb\.gz$"#, options: .regularExpression) != nil })
        let manifests = dir.appendingPathComponent("out/manifests")
        let mariadb = try String(contentsOf: manifests.appendingPathComponent("mariadb-mariadb.yaml"), encoding: .utf8)
        #expect(mariadb.contains("backupContentType: Physical"))
        #expect(mariadb.contains("claimName: mariadb-backups"))
        let kustomization = try String(
            contentsOf: manifests.appendingPathComponent("kustomization.yaml"), encoding: .utf8)
        #expect(!kustomization.contains("accounts"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/accounts").path))

        // The rehearsed datadir serves the source's database and account.
        let server = try await ScratchServer(dataDirectory: dataDirectory, password: env.rootPassword)
        defer { server.stop() }
        let verify = try CLI.run(
            [
                "verify", "--host", "127.0.0.1", "--port", port, "--user", "root", "--target-host", "127.0.0.1",
                "--target-port", String(server.port), "--target-user", "root", "--database", database, "--account",
                user, "--accounts",
            ],
            environment: ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": env.rootPassword])
        #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
        #expect(verify.stdout.contains("no differences"), "\(verify.stdout)")
    }
}
