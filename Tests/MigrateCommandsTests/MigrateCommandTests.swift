import Foundation
import HTTPTransport
import ObjectStore
import TestSupport
import Testing

/// Runs SQL as root on a test server through the client (setup and cleanup of the tests here). The
/// SQL goes on stdin: it may hold a password, and SecretsAuditTests watches every command line.
func sql(_ env: TestEnvironment, port: String, _ statements: String) throws {
    let result = try CLI.shell(
        "mariadb --no-defaults -h127.0.0.1 -P\(port) -uroot", environment: ["MYSQL_PWD": env.rootPassword],
        stdin: statements)
    #expect(result.status == 0, "\(result.stderr)")
}

/// The wizard run as a script would run it, against the real servers of scripts/test-env.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct MigrateCommandTests {
    let awsEnvironment = ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func makeBucket(_ env: TestEnvironment) async throws -> String {
        let bucket = "wiz-\(UInt32.random(in: 0...UInt32.max))"
        _ = try await CurlClient().send(HTTPRequest(method: .put, url: "\(try env["MM_TEST_S3_ENDPOINT"])/\(bucket)"))
        return bucket
    }

    func s3Store(_ env: TestEnvironment, bucket: String) throws -> S3Store {
        var settings = StoreSettings()
        settings.s3Bucket = bucket
        settings.s3Prefix = "mariadb"
        settings.s3Endpoint = try env["MM_TEST_S3_ENDPOINT"]
        return try settings.makeStore(forWriting: false, environment: awsEnvironment) as! S3Store
    }

    @Test func externalToOperatorToS3WritesTheBackupTheCRsAndProvesTheRestore() async throws {
        let env = try TestEnvironment.require()
        let database = TestEnvironment.uniqueName("wiz")
        let user = TestEnvironment.uniqueName("wizuser")
        try sql(
            env, port: try env["MM_TEST_MARIADB_PORT"],
            """
            CREATE DATABASE \(database); CREATE TABLE \(database).t (id INT PRIMARY KEY, v VARCHAR(20));
            INSERT INTO \(database).t VALUES (1,'one'),(2,'two');
            CREATE VIEW \(database).v AS SELECT id FROM \(database).t;
            CREATE USER '\(user)'@'%' IDENTIFIED BY 'Wizard-pw-1'; GRANT SELECT ON \(database).* TO '\(user)'@'%';
            CREATE USER '\(user)'@'10.%' IDENTIFIED BY 'Wizard-pw-2';
            GRANT SELECT (v, id) ON \(database).t TO '\(user)'@'10.%';
            CREATE ROLE '\(user)_role'; GRANT INSERT ON \(database).* TO '\(user)_role';
            GRANT '\(user)_role' TO '\(user)'@'%'; SET DEFAULT ROLE '\(user)_role' FOR '\(user)'@'%';
            """)
        defer {
            try? sql(
                env, port: try env["MM_TEST_MARIADB_PORT"],
                "DROP DATABASE IF EXISTS \(database); DROP USER IF EXISTS '\(user)'@'%', '\(user)'@'10.%'; DROP ROLE "
                    + "IF EXISTS '\(user)_role'"
            )
        }
        let bucket = try await makeBucket(env)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keyFile = dir.appendingPathComponent("s3.key")
        try "testing\n".write(to: keyFile, atomically: true, encoding: .utf8)
        let run = try CLI.run(
            [
                "migrate", "external-to-operator", "--yes", "--json", "--state-dir",
                dir.appendingPathComponent("state").path,
                "--source-port", try env["MM_TEST_MARIADB_PORT"], "--databases", database,
                "--store", "s3", "--s3-bucket", bucket, "--s3-prefix", "mariadb", "--s3-endpoint",
                try env["MM_TEST_S3_ENDPOINT"],
                "--s3-region", "us-east-1", "--s3-access-key-id", "testing", "--s3-secret-access-key-file",
                keyFile.path,
                "--s3-credentials-secret", "s3-keys", "--cluster-s3-endpoint", "minio.minio.svc.cluster.local:9000",
                "--output-dir", dir.appendingPathComponent("out").path,
                "--target-host", "127.0.0.1", "--target-port", try env["MM_TEST_TARGET_PORT"], "--accounts", "\(user)%",
            ],
            environment: [
                "MARIADB_PASSWORD": env.rootPassword, "MARIADB_ROOT_PASSWORD": env.rootPassword,
                "MARIADB_TARGET_PASSWORD": env.rootPassword,
            ])
        defer {
            try? sql(
                env, port: try env["MM_TEST_TARGET_PORT"],
                "DROP DATABASE IF EXISTS \(database); DROP USER IF EXISTS '\(user)'@'%', '\(user)'@'10.%'; DROP ROLE "
                    + "IF EXISTS '\(user)_role'"
            )
        }
        #expect(run.status == 0, "\(run.stderr)")
        let events = MigrateEvents(run.stdout)
        let finished = events.finishedSteps
        #expect(
            finished == [
                "survey", "store-check", "backup", "accounts", "manifests", "restore", "apply-accounts", "verify",
            ],
            "\(run.stdout)")
        #expect(!run.stdout.contains(env.rootPassword) && !run.stderr.contains(env.rootPassword))
        // verify compared the migrated accounts too: two users and a role, applied as the operator would.
        let outputs = events.outputs(of: "verify")
        #expect(outputs?["accounts"] == "3" && outputs?["differences"] == "0", "\(outputs ?? [:])")

        // The operator-named backup and its manifest in S3.
        let names = try await s3Store(env, bucket: bucket).list().map(\.name)
        let backup = try #require(names.first { $0.hasPrefix("backup.") && $0.hasSuffix(".sql.gz") }, "\(names)")
        #expect(names.contains(backup + ".manifest.json"))

        // The MariaDB, its Secrets and the accounts' CRs, all valid against the CRDs.
        let manifests = dir.appendingPathComponent("out/manifests")
        let accounts = dir.appendingPathComponent("out/accounts")
        let manifestFiles = try FileManager.default.contentsOfDirectory(atPath: manifests.path)
        let accountFiles = try FileManager.default.contentsOfDirectory(atPath: accounts.path)
        let mariadb = try String(contentsOf: manifests.appendingPathComponent("mariadb-mariadb.yaml"), encoding: .utf8)
        #expect(mariadb.contains("bootstrapFrom") && mariadb.contains("minio.minio.svc.cluster.local:9000"))
        #expect(mariadb.contains("targetRecoveryTime: \(backup.split(separator: ".")[1])"), "\(mariadb)")
        #expect(
            manifestFiles.contains("secret-mariadb.yaml") && manifestFiles.contains("secret-s3-keys.yaml"),
            "\(manifestFiles)")
        let kustomization = try String(
            contentsOf: manifests.appendingPathComponent("kustomization.yaml"), encoding: .utf8)
        #expect(kustomization.contains("../accounts"))
        #expect(
            accountFiles.contains { $0.hasPrefix("user-") } && accountFiles.contains { $0.hasPrefix("grant-") }
                && accountFiles.contains { $0.hasPrefix("database-") }, "\(accountFiles)")
        let documents =
            (manifestFiles.map { manifests.appendingPathComponent($0).path }
            + accountFiles.map { accounts.appendingPathComponent($0).path })
            .filter { $0.hasSuffix(".yaml") && !$0.hasSuffix("kustomization.yaml") }
        let validate = try CLI.run(["manifests", "validate"] + documents)
        #expect(validate.status == 0, "\(validate.stdout)")

        // The state file: mode 0600, and no secret in it.
        let stateFiles = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("state").path)
        let statePath = dir.appendingPathComponent("state").appendingPathComponent(try #require(stateFiles.first)).path
        let state = try String(contentsOfFile: statePath, encoding: .utf8)
        #expect(!state.contains(env.rootPassword) && !state.contains("Wizard-pw-1"))
        #expect((try FileManager.default.attributesOfItem(atPath: statePath)[.posixPermissions] as? Int) == 0o600)
    }

    @Test func withoutATerminalEveryMissingInputIsListedAndNothingRuns() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try CLI.run([
            "migrate", "external-to-operator", "--state-dir", dir.appendingPathComponent("state").path,
            "--output-dir", dir.appendingPathComponent("out").path,
        ])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(
            run.stderr.contains("--source-password-file") && run.stderr.contains("--root-password-file")
                && run.stderr.contains("nothing was run"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let secretOnArgv = try CLI.run(["migrate", "backup-restore", "--set", "source-password=x"])
        #expect(secretOnArgv.status != 0 && secretOnArgv.stderr.contains("secret"))
        let unreadable = try CLI.run([
            "migrate", "backup-restore", "--source-password-file", "/nonexistent/pw",
            "--state-dir", dir.appendingPathComponent("state").path,
        ])
        #expect(unreadable.status == 2 && unreadable.stderr.contains("'/nonexistent/pw'"), "\(unreadable.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let unknown = try CLI.run(["migrate", "backup-restore", "--colour", "blue"])
        #expect(unknown.status != 0 && unknown.stderr.contains("'--colour'"))
    }

    @Test func aFailedStepResumesThereAndRedoesNothingBeforeIt() throws {
        let env = try TestEnvironment.require()
        let database = TestEnvironment.uniqueName("wizresume")
        try sql(
            env, port: try env["MM_TEST_MARIADB_PORT"],
            "CREATE DATABASE \(database); CREATE TABLE \(database).t (id INT PRIMARY KEY); "
                + "INSERT INTO \(database).t VALUES (1),(2),(3);"
        )
        defer {
            try? sql(env, port: try env["MM_TEST_MARIADB_PORT"], "DROP DATABASE IF EXISTS \(database)")
            try? sql(env, port: try env["MM_TEST_TARGET_PORT"], "DROP DATABASE IF EXISTS \(database)")
        }
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["--state-dir", dir.appendingPathComponent("state").path]
        let passwords = ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": env.rootPassword]
        let first = try CLI.run(
            [
                "migrate", "backup-restore", "--yes", "--source-port", try env["MM_TEST_MARIADB_PORT"], "--databases",
                database,
                "--storage-dir", dir.appendingPathComponent("backups").path, "--target-host", "127.0.0.1",
                "--target-port", "1",
            ] + common,
            environment: passwords)
        #expect(first.status == 1, "\(first.stderr)")
        #expect(first.stderr.contains("step 'restore'") && first.stderr.contains("--resume"))
        let id = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("state").path).first
        ).replacingOccurrences(of: ".json", with: "")
        let status = try CLI.run(["migrate", "status", id] + common)
        #expect(
            status.stdout.contains("failed at restore") && status.stdout.contains("backup: done"), "\(status.stdout)")

        let second = try CLI.run(
            ["migrate", "--resume", id, "--yes", "--target-port", try env["MM_TEST_TARGET_PORT"]] + common,
            environment: passwords)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(
            second.stdout.contains("Back up the databases: done before, with the same inputs; not redone"),
            "\(second.stdout)")
        #expect(second.stdout.contains("differences 0"))
        let backups = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("backups").path)
            .filter { $0.hasSuffix(".sql.gz") }
        #expect(backups.count == 1, "\(backups)")
        let list = try CLI.run(["migrate", "list"] + common)
        #expect(list.stdout.contains(id) && list.stdout.contains("done"))
    }

    @Test func aKilledUploadResumesWithOneBackupAndNoUploadLeft() async throws {
        let env = try TestEnvironment.require()
        let database = TestEnvironment.uniqueName("wizkill")
        // About 16 MiB of incompressible rows: a multipart upload of more than one part.
        try sql(
            env, port: try env["MM_TEST_MARIADB_PORT"],
            """
            CREATE DATABASE \(database); USE \(database); CREATE TABLE t (id INT PRIMARY KEY, b BLOB);
            INSERT INTO t SELECT seq, RANDOM_BYTES(1024) FROM seq_1_to_16000;
            """)
        defer {
            try? sql(env, port: try env["MM_TEST_MARIADB_PORT"], "DROP DATABASE IF EXISTS \(database)")
            try? sql(env, port: try env["MM_TEST_TARGET_PORT"], "DROP DATABASE IF EXISTS \(database)")
        }
        let bucket = try await makeBucket(env)
        let store = try s3Store(env, bucket: bucket)
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // The first run goes through a proxy that holds every upload of part 2: the upload is open
        // for as long as the test needs, whatever the machine's load.
        let proxy = try FaultProxy(upstream: try env["MM_TEST_S3_ENDPOINT"])
        try await proxy.set([.init(method: "PUT", query: "partNumber=2", times: 10, action: "stall", seconds: 120)])
        let arguments = [
            "migrate", "backup-restore", "--yes", "--state-dir", dir.appendingPathComponent("state").path,
            "--source-port", try env["MM_TEST_MARIADB_PORT"], "--databases", database, "--compression", "none",
            "--store", "s3", "--s3-bucket", bucket, "--s3-prefix", "mariadb", "--s3-endpoint", proxy.endpoint,
            "--target-host", "127.0.0.1", "--target-port", try env["MM_TEST_TARGET_PORT"],
        ]
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("MARIADB_") && !$0.key.hasPrefix("AWS_")
        }
        environment.merge(awsEnvironment) { $1 }
        environment["MARIADB_PASSWORD"] = env.rootPassword
        environment["MARIADB_TARGET_PASSWORD"] = env.rootPassword
        let process = Process()
        process.executableURL = try CLI.binary
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Killed once part 2 reached the proxy: the upload is open then, and stays open.
        for _ in 0..<1200 where process.isRunning {
            if try await proxy.log().contains(where: { $0.query.contains("partNumber=2") }) { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the run ended before the upload was held")
        #expect(try await store.pendingMultipartUploads().count == 1)
        let id = try #require(
            try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("state").path).first
        ).replacingOccurrences(of: ".json", with: "")
        // The resume goes to the S3 server directly (a changed input reruns the step anyway).
        let resumed = try CLI.run(
            [
                "migrate", "--resume", id, "--yes", "--state-dir", dir.appendingPathComponent("state").path,
                "--s3-endpoint", try env["MM_TEST_S3_ENDPOINT"],
            ],
            environment: awsEnvironment.merging([
                "MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": env.rootPassword,
            ]) { $1 })
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("aborted 1 unfinished upload"), "\(resumed.stdout)")
        let backups = try await store.list().map(\.name).filter { $0.hasSuffix(".sql") }
        #expect(backups.count == 1, "\(backups)")
        #expect(try await store.pendingMultipartUploads().isEmpty)
    }
}

/// The in-cluster route: the operator's own Job takes the backup of an ExternalMariaDB.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct InClusterRunbookTests {
    @Test func writesTheExternalMariaDBItsBackupAndTheMariaDBThatBootstrapsFromIt() throws {
        let env = try TestEnvironment.require()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-incluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try CLI.run(
            [
                "migrate", "external-to-operator-in-cluster", "--yes", "--state-dir",
                dir.appendingPathComponent("state").path,
                "--source-port", try env["MM_TEST_MARIADB_PORT"], "--external-host",
                "legacy-db.default.svc.cluster.local",
                "--external-port", "3306", "--galera", "yes", "--mariadb-name", "galera", "--accounts", "nobody-at-all",
                "--store", "s3", "--s3-bucket", "backups", "--cluster-s3-endpoint",
                "minio.minio.svc.cluster.local:9000",
                "--s3-credentials-secret", "minio", "--output-dir", dir.appendingPathComponent("out").path,
            ],
            environment: [
                "MARIADB_PASSWORD": env.rootPassword, "MARIADB_ROOT_PASSWORD": env.rootPassword,
                "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-example",
            ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!run.stdout.contains(env.rootPassword) && !run.stdout.contains("wJalrXUtnFEMI-example"))
        let manifests = dir.appendingPathComponent("out/manifests")
        let files = try FileManager.default.contentsOfDirectory(atPath: manifests.path).sorted()
        #expect(
            files == [
                "backup-galera-migration.yaml", "externalmariadb-galera-source.yaml", "kustomization.yaml",
                "mariadb-galera.yaml", "secret-galera-source.yaml", "secret-mariadb.yaml", "secret-minio.yaml",
            ])
        func text(_ file: String) throws -> String {
            try String(contentsOf: manifests.appendingPathComponent(file), encoding: .utf8)
        }
        let external = try text("externalmariadb-galera-source.yaml")
        #expect(
            external.contains("host: legacy-db.default.svc.cluster.local") && external.contains("name: galera-source"))
        #expect(!external.contains(env.rootPassword), "the CR holds the password instead of referencing it")
        let backup = try text("backup-galera-migration.yaml")
        #expect(
            backup.contains("kind: ExternalMariaDB") && backup.contains("--skip-add-locks")
                && backup.contains("--ignore-table=mysql.roles_mapping") && backup.contains("bucket: backups"),
            "\(backup)")
        let mariadb = try text("mariadb-galera.yaml")
        #expect(
            mariadb.contains("backupRef:") && mariadb.contains("name: galera-migration")
                && mariadb.contains("replicas: 3"))
        let secret = manifests.appendingPathComponent("secret-galera-source.yaml").path
        #expect((try FileManager.default.attributesOfItem(atPath: secret)[.posixPermissions] as? Int) == 0o600)
        let documents = files.filter { $0 != "kustomization.yaml" }.map { manifests.appendingPathComponent($0).path }
        let validate = try CLI.run(["manifests", "validate"] + documents)
        #expect(validate.status == 0, "\(validate.stdout)")
    }
}

/// Answers files and the plan, which need no server.
@Suite struct MigrateAnswersTests {
    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-answers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func flagsBeatAnswersWhichBeatTheEnvironmentAndTheDryRunChangesNothing() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "s3cret-pw\n".write(to: dir.appendingPathComponent("pw"), atomically: true, encoding: .utf8)
        let answers = dir.appendingPathComponent("answers.yaml")
        try """
        source-host: db.example.com
        source-port: 3307
        databases: shop
        source-password: {file: \(dir.appendingPathComponent("pw").path)}
        target-host: 127.0.0.1
        """.write(to: answers, atomically: true, encoding: .utf8)
        let run = try CLI.run(
            [
                "migrate", "backup-restore", "--answers", answers.path, "--set", "source-port=3308", "--dry-run",
                "--json",
                "--state-dir", dir.appendingPathComponent("state").path, "--storage-dir",
                dir.appendingPathComponent("b").path,
            ],
            environment: ["MARIADB_HOST": "from-env", "MARIADB_TARGET_PASSWORD": "t"])
        #expect(run.status == 0, "\(run.stderr)")
        let plan = try #require(
            try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
        let steps = try #require(plan["steps"] as? [[String: Any]])
        #expect(steps.map { $0["id"] as? String } == ["survey", "backup", "restore", "verify"])
        let survey = try #require(steps.first?["inputs"] as? [String: String])
        #expect(survey["source-host"] == "db.example.com" && survey["source-port"] == "3308")
        let backup = try #require(steps[1]["command"] as? String)
        #expect(backup.contains("--database shop") && backup.contains("--password-file <secret>"), "\(backup)")
        // With a directory store the S3 inputs are off, as in a run: empty, and no s3 flag in the command.
        let backupInputs = try #require(steps[1]["inputs"] as? [String: String])
        #expect(backupInputs["s3-endpoint"] == "" && backupInputs["s3-region"] == "", "\(backupInputs)")
        #expect(!backup.contains("--s3-"), "\(backup)")
        #expect(steps[1]["when"] is NSNull)
        #expect(!run.stdout.contains("s3cret-pw"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["answers.yaml", "pw"])
    }

    @Test(arguments: [
        ("source-host: a\ncolour: blue\n", "answers.yaml:2: unknown input 'colour'"),
        ("source-password: plain\n", "'source-password' is a secret"),
        ("source-host: [a, b]\n", "'source-host' must be a single value"),
        ("- a\n- b\n", "must be a mapping"),
    ])
    func aBadAnswersFileNamesTheLineAndRunsNothing(text: String, message: String) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let answers = dir.appendingPathComponent("answers.yaml")
        try text.write(to: answers, atomically: true, encoding: .utf8)
        let run = try CLI.run([
            "migrate", "backup-restore", "--answers", answers.path, "--state-dir", dir.appendingPathComponent("s").path,
        ])
        #expect(run.status != 0 && run.stderr.contains(message), "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["answers.yaml"])
    }
}

/// SIGINT and SIGTERM in each step of a wizard run: the run stops with 130, keeps its state, and a
/// resume finishes it with the data equal on both servers.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct SignalInEachStepTests {
    static let cells: [(String, Int32)] = ["survey", "backup", "restore", "verify"].flatMap { step in
        [(step, SIGINT), (step, SIGTERM)]
    }

    @Test(arguments: cells)
    func aSignalStopsTheStepAndAResumeFinishes(step: String, signalNumber: Int32) async throws {
        let env = try TestEnvironment.require()
        let database = TestEnvironment.uniqueName("sig")
        let sourcePort = try env["MM_TEST_MARIADB_PORT"]
        let targetPort = try env["MM_TEST_TARGET_PORT"]
        try sql(
            env, port: sourcePort,
            "CREATE DATABASE \(database); CREATE TABLE \(database).t (id INT PRIMARY KEY, v TEXT); "
                + "INSERT INTO \(database).t SELECT seq, MD5(seq) FROM \(database).seq_1_to_50000")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sig-\(UUID().uuidString)").path
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? sql(env, port: sourcePort, "DROP DATABASE IF EXISTS \(database)")
            try? sql(env, port: targetPort, "DROP DATABASE IF EXISTS \(database)")
        }
        let common = ["--state-dir", dir + "/state"]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MARIADB_") }
        environment["MARIADB_PASSWORD"] = env.rootPassword
        environment["MARIADB_TARGET_PASSWORD"] = env.rootPassword
        let process = Process()
        process.executableURL = try CLI.binary
        process.arguments =
            [
                "migrate", "backup-restore", "--yes", "--json", "--source-port", sourcePort, "--databases", database,
                "--storage-dir", dir + "/store", "--target-host", "127.0.0.1", "--target-port", targetPort,
            ] + common
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let lines = LockedText()
        Thread.detachNewThread {
            while true {
                let data = output.fileHandleForReading.availableData
                if data.isEmpty { break }
                lines.append(String(decoding: data, as: UTF8.self))
            }
        }
        try process.run()
        let marker = "\"step\":\"\(step)\""
        for _ in 0..<3000 where process.isRunning {
            if lines.text.split(separator: "\n").contains(where: {
                $0.contains("\"event\":\"step-started\"") && $0.contains(marker)
            }) {
                break
            }
            usleep(2_000)
        }
        kill(process.processIdentifier, signalNumber)
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        // The last step may end before the signal lands: then the run is simply done.
        if process.terminationStatus == 0 { return }
        ErrorCatalog.expect("interrupted-step", status: process.terminationStatus, output: stderr)
        let store = (try? FileManager.default.contentsOfDirectory(atPath: dir + "/store")) ?? []
        #expect(!store.contains { $0.hasSuffix(".partial.tmp") }, "a temp file was left: \(store)")
        let id = try #require(try FileManager.default.contentsOfDirectory(atPath: dir + "/state").first)
            .replacingOccurrences(of: ".json", with: "")
        let resumed = try CLI.run(
            ["migrate", "--resume", id, "--yes"] + common,
            environment: ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_TARGET_PASSWORD": env.rootPassword])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let rows = try CLI.shell(
            "mariadb --no-defaults -h127.0.0.1 -P\(targetPort) -uroot -N -e 'SELECT COUNT(*) FROM \(database).t'",
            environment: ["MYSQL_PWD": env.rootPassword])
        #expect(rows.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "50000")
    }
}

final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    var text: String { lock.withLock { value } }
    func append(_ more: String) { lock.withLock { value += more } }
}

/// The live runbook's verify step previews a command `verify` parses: its replication account goes in as
/// `--tool-account` (it read `--replication-user`, an option verify does not have).
@Suite struct LiveVerifyPreviewTests {
    @Test func theVerifyStepsRunsLineParses() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mm-preview-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = try CLI.run(
            [
                "migrate", "external-to-operator-live", "--dry-run", "--target-host", "db.invalid", "--databases",
                "app", "--accounts", "app%", "--state-dir", dir.path,
            ],
            environment: ["MARIADB_PASSWORD": "x", "MARIADB_TARGET_PASSWORD": "x", "MARIADB_ROOT_PASSWORD": "x"])
        let line = try #require(
            plan.stdout.split(separator: "\n").first {
                $0.contains("runs: mariadb-migrate verify") && !$0.contains("verify --live")
            })
        #expect(line.contains("--tool-account mariadb_migrate_repl"), "\(line)")
        // The words after the program name, a secret as a file, no quotes. Run as is (--help would hide an unknown
        // option): it parses, then fails to reach the servers (exit 1), not the parser's usage error (64).
        let secret = dir.appendingPathComponent("secret").path
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "x".write(toFile: secret, atomically: true, encoding: .utf8)
        let words = line.split(separator: " ").drop { $0 != "verify" }.map {
            $0 == "<secret>" ? secret : $0.replacingOccurrences(of: "'", with: "")
        }
        let parsed = try CLI.run(words)
        #expect(parsed.status == 1 && !parsed.stderr.contains("Unknown option"), "\(parsed.stderr)")
    }
}
