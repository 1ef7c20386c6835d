import Foundation
import TestSupport
import Testing

/// One test per class of docs/errors.md: the case is made, the tool run as users run it, and its
/// exit status and message held against the page.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct ErrorCatalogTests {
    let env: TestEnvironment
    let dir: String

    init() throws {
        env = try TestEnvironment.require()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("errors-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    var source: [String] {
        get throws { ["--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--user", "root"] }
    }
    var target: [String] {
        get throws { ["--host", "127.0.0.1", "--port", try env["MM_TEST_TARGET_PORT"], "--user", "root"] }
    }
    var password: [String: String] { ["MARIADB_PASSWORD": env.rootPassword] }

    func write(_ name: String, _ text: String) throws -> String {
        let path = dir + "/" + name
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let path = dir + "/" + name
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func shell(_ command: String) throws -> CLI.Result { try CLI.shell(command) }

    /// A dump of one table, as mariadb-dump writes it, with its completion line.
    static let dump = """
        CREATE TABLE `t` (`id` int(11) NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB;
        INSERT INTO `t` VALUES (1),(2),(3);
        -- Dump completed on 2024-08-26 12:24:34

        """

    // MARK: flags and inputs

    @Test func unknownOption() throws {
        ErrorCatalog.expect("unknown-option", try CLI.run(["backup", "--colour", "blue"]))
    }

    @Test func invalidRFC3339() throws {
        ErrorCatalog.expect("invalid-time", try CLI.run(["restore", "--target-time", "2024-13-01"]))
    }

    @Test func invalidCron() throws {
        ErrorCatalog.expect(
            "invalid-cron",
            try CLI.run(
                ["backup", "--schedule", "61 * * * *", "--storage-dir", dir] + source,
                environment: password))
    }

    @Test func invalidDuration() throws {
        ErrorCatalog.expect("invalid-duration", try CLI.run(["backup", "--max-retention", "3d"]))
    }

    @Test func noUser() throws {
        ErrorCatalog.expect("no-user", try CLI.run(["inspect", "--host", "127.0.0.1", "--port", "1"]))
    }

    @Test func secretOnArgv() throws {
        ErrorCatalog.expect("secret-on-argv", try CLI.run(["migrate", "backup-restore", "--set", "source-password=x"]))
    }

    @Test func invalidAnswersFile() throws {
        let answers = try write("answers.yaml", "source-host: [a, b\n")
        ErrorCatalog.expect(
            "invalid-answers", try CLI.run(["migrate", "backup-restore", "--answers", answers, "--dry-run"]))
    }

    @Test func unknownRunbookInput() throws {
        let answers = try write("unknown.yaml", "source-hots: db\n")
        ErrorCatalog.expect(
            "unknown-runbook-input", try CLI.run(["migrate", "backup-restore", "--answers", answers, "--dry-run"]))
    }

    @Test func runbookCycle() throws {
        let runbook = try write(
            "cycle.yaml",
            """
            name: cycle
            summary: two defaults that name each other
            inputs:
              - {name: a, type: text, default: "${b}"}
              - {name: b, type: text, default: "${a}"}
            steps:
              - {id: s, title: S, why: W, action: survey, inputs: []}
            """)
        ErrorCatalog.expect("runbook-cycle", try CLI.run(["migrate", "--runbook-file", runbook, "--dry-run"]))
    }

    @Test func nonDNS1123Name() throws {
        ErrorCatalog.expect(
            "non-dns-1123-name",
            try CLI.run(["migrate", "external-to-operator", "--mariadb-name", "Old_DB", "--dry-run"]))
    }

    @Test func optionFileIncludeMissing() throws {
        let file = try write("my.cnf", "[client]\nuser=root\n!include \(dir)/missing.cnf\n")
        ErrorCatalog.expect("option-file-include", try CLI.run(["inspect", "--defaults-file", file]))
    }

    @Test func optionFileIncludesAreRead() throws {
        let port = try env["MM_TEST_MARIADB_PORT"]
        _ = try write("conf.d/10-port.cnf", "[client]\nport=\(port)\nhost=127.0.0.1\n")
        _ = try write("conf.d/ignored.txt", "[client]\nport=1\n")
        let file = try write("with-includes.cnf", "[client]\nuser=root\n!includedir \(dir)/conf.d\n")
        ErrorCatalog.expect(
            "option-file-includedir",
            try CLI.run(["inspect", "--defaults-file", file, "--json"], environment: password))
    }

    @Test func ciFlagSpellings() {
        for value in ["true", "1", "True", "TRUE", "yes"] { #expect(TestEnvironment.ciEnabled(value)) }
        for value in [nil, "", "0", "false", "no"] { #expect(!TestEnvironment.ciEnabled(value)) }
        ErrorCatalog.expect("ci-flag", status: 0, output: "CI=1, CI=True: on")
    }

    // MARK: servers

    @Test func unreachableServer() throws {
        ErrorCatalog.expect(
            "unreachable-server",
            try CLI.run(["inspect", "--host", "127.0.0.1", "--port", "1", "--user", "root"], environment: password))
    }

    @Test func wrongPassword() throws {
        ErrorCatalog.expect(
            "wrong-password", try CLI.run(["inspect"] + source, environment: ["MARIADB_PASSWORD": "wrong"]))
    }

    func limitedAccount(
        _ grants: String, global: Bool = false
    ) throws -> (database: String, user: String, cleanup: () -> Void) {
        let name = TestEnvironment.uniqueName("priv")
        let port = try env["MM_TEST_MARIADB_PORT"]
        try sql(
            env, port: port,
            "CREATE DATABASE \(name); CREATE TABLE \(name).t (id INT PRIMARY KEY); "
                + "CREATE VIEW \(name).v AS SELECT id FROM \(name).t; "
                + "CREATE USER \(name)@'127.0.0.1' IDENTIFIED BY 'pw'; "
                + "GRANT \(grants) ON \(global ? "*" : name).* TO \(name)@'127.0.0.1'"
        )
        return (name, name, { try? sql(self.env, port: port, "DROP DATABASE \(name); DROP USER \(name)@'127.0.0.1'") })
    }

    /// The last case: a global SELECT lets the account read every account's rows of
    /// information_schema.USER_PRIVILEGES (root's included), which once hid its own missing TRIGGER.
    @Test(arguments: [
        ("missing-privilege-trigger", "SELECT, SHOW VIEW, EVENT", false),
        ("missing-privilege-show-view", "SELECT, TRIGGER, EVENT", false),
        ("missing-privilege-event", "SELECT, SHOW VIEW, TRIGGER", false),
        ("missing-privilege-trigger", "SELECT, SHOW VIEW, EVENT", true),
    ])
    func missingDumpPrivilege(id: String, grants: String, global: Bool) throws {
        let account = try limitedAccount(grants, global: global)
        defer { account.cleanup() }
        let result = try CLI.run(
            [
                "backup", "--database", account.database, "--storage-dir", dir, "--host", "127.0.0.1", "--port",
                try env["MM_TEST_MARIADB_PORT"], "--user", account.user,
            ], environment: ["MARIADB_PASSWORD": "pw"])
        ErrorCatalog.expect(id, result)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func noBinlogMonitorMeansNoPositionAndSaysSo() throws {
        let account = try limitedAccount("SELECT, SHOW VIEW, TRIGGER, EVENT")
        defer { account.cleanup() }
        let result = try CLI.run(
            [
                "backup", "--database", account.database, "--storage-dir", dir + "/store", "--host", "127.0.0.1",
                "--port", try env["MM_TEST_MARIADB_PORT"], "--user", account.user,
            ], environment: ["MARIADB_PASSWORD": "pw"])
        ErrorCatalog.expect("missing-privilege-binlog-monitor", result)
    }

    @Test func databaseMissingOnTarget() throws {
        let store = dir + "/store"
        _ = try write("store/backup.2024-08-26T12:24:34Z.sql", Self.dump)
        ErrorCatalog.expect(
            "database-missing",
            try CLI.run(
                ["restore", "--storage-dir", store, "--database", "no_such_db"] + target, environment: password))
    }

    /// A 512 KiB tmpfs (the tests run as root, as scripts/test does) that a 12 MiB dump overflows.
    func smallFileSystem() throws -> (path: String, unmount: () -> Void) {
        let path = dir + "/small"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let mount = try shell("mount -t tmpfs -o size=512k tmpfs \(path)")
        #expect(mount.status == 0, "a test of a full disk mounts a tmpfs: \(mount.stderr)")
        return (path, { _ = try? self.shell("umount \(path)") })
    }

    func largeDatabase() throws -> (name: String, drop: () -> Void) {
        let name = TestEnvironment.uniqueName("full")
        let port = try env["MM_TEST_MARIADB_PORT"]
        try sql(
            env, port: port,
            "CREATE DATABASE \(name); CREATE TABLE \(name).t (id INT PRIMARY KEY, v TEXT); INSERT INTO \(name).t "
                + "SELECT seq, CONCAT(MD5(seq), SHA2(seq, 256), RAND()) FROM \(name).seq_1_to_60000")
        return (name, { try? sql(self.env, port: port, "DROP DATABASE \(name)") })
    }

    @Test func diskFullInTheDirectoryStore() throws {
        let small = try smallFileSystem()
        defer { small.unmount() }
        let database = try largeDatabase()
        defer { database.drop() }
        let result = try CLI.run(
            ["backup", "--database", database.name, "--storage-dir", small.path + "/store"] + source,
            environment: password)
        ErrorCatalog.expect("disk-full-store", result)
        #expect(try FileManager.default.contentsOfDirectory(atPath: small.path + "/store").isEmpty)
    }

    @Test func diskFullInTheStagingDirectory() throws {
        let small = try smallFileSystem()
        defer { small.unmount() }
        let database = try largeDatabase()
        defer { database.drop() }
        let backup = try CLI.run(
            ["backup", "--database", database.name, "--storage-dir", dir + "/store"] + source, environment: password)
        #expect(backup.status == 0, "\(backup.stderr)")
        let result = try CLI.run(
            ["restore", "--storage-dir", dir + "/store", "--staging-dir", small.path + "/staging"] + target,
            environment: password)
        ErrorCatalog.expect("disk-full-staging", result)
        #expect(try FileManager.default.contentsOfDirectory(atPath: small.path + "/staging").isEmpty)
    }

    @Test func theRestoreConnectionKilledMidStream() async throws {
        let database = try largeDatabase()
        defer { database.drop() }
        let targetPort = try env["MM_TEST_TARGET_PORT"]
        defer { try? sql(env, port: targetPort, "DROP DATABASE IF EXISTS \(database.name)") }
        let backup = try CLI.run(
            ["backup", "--database", database.name, "--storage-dir", dir + "/store"] + source, environment: password)
        #expect(backup.status == 0, "\(backup.stderr)")
        let process = Process()
        process.executableURL = try CLI.binary
        process.arguments = ["restore", "--storage-dir", dir + "/store", "--parallel", "2"] + (try target)
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MARIADB_") }
            .merging(password) { _, b in b }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Kill one of its connections as soon as it loads rows.
        var killed = false
        for _ in 0..<500 where !killed && process.isRunning {
            // The password in the environment: SecretsAuditTests watches every command line.
            let root = ["MYSQL_PWD": env.rootPassword]
            let ids = try CLI.shell(
                "mariadb --no-defaults -h127.0.0.1 -P\(targetPort) -uroot -N -e "
                    + "\"SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'INSERT INTO%'\"",
                environment: root)
            if let id = ids.stdout.split(separator: "\n").first {
                killed =
                    try CLI.shell(
                        "mariadb --no-defaults -h127.0.0.1 -P\(targetPort) -uroot -e 'KILL CONNECTION \(id)'",
                        environment: root
                    ).status == 0
            }
            usleep(10_000)
        }
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        try #require(killed, "the restore ended before a connection could be killed: \(stderr)")
        ErrorCatalog.expect("restore-connection-killed", status: process.terminationStatus, output: stderr)
    }

    // MARK: backup names and the store

    @Test func lookAlikeNamesAreIgnoredAndSaidSo() throws {
        let store = dir + "/store"
        for name in [
            "backup.2024-08-26T12:24:34.123Z.sql", "backup.2024-08-26T12:24:34Z.sql.zst", "backup-2024-08-26.sql",
            "backup.2024-08-26T12:24:34Z.sql.gz.manifest.json",
        ] { _ = try write("store/" + name, "") }
        ErrorCatalog.expect("look-alike-names", try CLI.run(["list", "--storage-dir", store]))
        ErrorCatalog.expect(
            "fractional-seconds", try CLI.run(["list", "--storage-dir", store]))
        ErrorCatalog.expect(
            "no-backups", try CLI.run(["restore", "--storage-dir", store] + target, environment: password))
    }

    @Test func offsetNamesAreRead() throws {
        let store = dir + "/store"
        _ = try write("store/backup.2024-08-26T14:24:34+02:00.sql", Self.dump)
        ErrorCatalog.expect("offset-name", try CLI.run(["list", "--storage-dir", store]))
    }

    @Test func targetTimeBeforeEveryBackup() throws {
        let store = dir + "/store"
        _ = try write("store/backup.2024-08-26T12:24:34Z.sql", Self.dump)
        ErrorCatalog.expect(
            "target-time-before-all",
            try CLI.run(
                ["restore", "--storage-dir", store, "--target-time", "2020-01-01T00:00:00Z"] + target,
                environment: password))
    }

    @Test func missingObject() throws {
        _ = try write("store/backup.2024-08-26T12:24:34Z.sql", Self.dump)
        ErrorCatalog.expect(
            "object-missing",
            try CLI.run(
                ["restore", "--storage-dir", dir + "/store", "--file", "backup.2024-01-01T00:00:00Z.sql"]
                    + target, environment: password))
    }

    func compressed(_ tool: String) throws -> [UInt8] {
        let plain = try write("dump.sql", Self.dump + String(repeating: "-- padding line\n", count: 2000))
        let result = try shell("\(tool) -c \(plain) | base64 -w0")
        return Array(Data(base64Encoded: result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))!)
    }

    @Test(arguments: [
        ("corrupt-gzip", "gzip", "gz", true), ("truncated-gzip", "gzip", "gz", false),
        ("corrupt-bzip2", "bzip2", "bz2", true), ("truncated-bzip2", "bzip2", "bz2", false),
    ])
    func damagedCompression(id: String, tool: String, suffix: String, flip: Bool) throws {
        var bytes = try compressed(tool)
        if flip { bytes[bytes.count / 2] ^= 0xFF } else { bytes.removeLast(bytes.count / 3) }
        let name = TestEnvironment.uniqueName("damaged")
        try sql(env, port: try env["MM_TEST_TARGET_PORT"], "CREATE DATABASE \(name)")
        defer { try? sql(env, port: (try? env["MM_TEST_TARGET_PORT"]) ?? "", "DROP DATABASE \(name)") }
        _ = try write("store/backup.2024-08-26T12:24:34Z.sql.\(suffix)", bytes: bytes)
        ErrorCatalog.expect(
            id,
            try CLI.run(
                ["restore", "--storage-dir", dir + "/store", "--database", name] + target,
                environment: password))
    }

    @Test func dumpWithoutItsCompletionLine() throws {
        _ = try write("scan/backup.2024-08-26T12:24:34Z.sql", "CREATE TABLE `t` (`id` int PRIMARY KEY);\n")
        ErrorCatalog.expect(
            "dump-without-trailer", try CLI.run(["scan", dir + "/scan/backup.2024-08-26T12:24:34Z.sql"]))
    }

    /// The same dump given to `restore`: refused before anything is applied; --force loads it, saying it is cut.
    @Test func restoreOfADumpWithoutItsCompletionLine() throws {
        let name = TestEnvironment.uniqueName("cut")
        let port = try env["MM_TEST_TARGET_PORT"]
        try sql(env, port: port, "CREATE DATABASE \(name)")
        defer { try? sql(env, port: port, "DROP DATABASE \(name)") }
        _ = try write(
            "cut/backup.2024-08-26T12:24:34Z.sql",
            "CREATE TABLE `t` (`id` int PRIMARY KEY);\nINSERT INTO `t` VALUES (1),(2);\n")
        let restore = ["restore", "--storage-dir", dir + "/cut", "--database", name] + (try target)
        ErrorCatalog.expect("restore-without-trailer", try CLI.run(restore, environment: password))
        func scalar(_ query: String) throws -> String {
            try CLI.shell(
                "mariadb --no-defaults -h127.0.0.1 -P\(port) -uroot -N -B",
                environment: ["MYSQL_PWD": env.rootPassword],
                stdin: query
            ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try scalar("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='\(name)'") == "0")
        let forced = try CLI.run(restore + ["--force"], environment: password)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(forced.stdout.contains("warning: the dump has no completion line"))
        #expect(try scalar("SELECT COUNT(*) FROM `\(name)`.t") == "2")
    }

    @Test func checksumMismatch() throws {
        let store = dir + "/store"
        _ = try write("store/backup.2024-08-26T12:24:34Z.sql", Self.dump)
        let manifest = """
            {"formatVersion": 1, "name": "backup.2024-08-26T12:24:34Z.sql",
             "object": {"sha256": "\(String(repeating: "0", count: 64))", "bytes": 1},
             "sql": {"sha256": "\(String(repeating: "0", count: 64))", "bytes": 1}, "compression": "none",
             "serverVersion": "10.11", "galera": false, "databases": [], "dumpArguments": [],
             "startedAt": "2024-08-26T12:24:34Z", "finishedAt": "2024-08-26T12:24:35Z", "tool": "test"}
            """
        _ = try write("store/backup.2024-08-26T12:24:34Z.sql.manifest.json", manifest)
        let name = TestEnvironment.uniqueName("sum")
        try sql(env, port: try env["MM_TEST_TARGET_PORT"], "CREATE DATABASE \(name)")
        defer { try? sql(env, port: (try? env["MM_TEST_TARGET_PORT"]) ?? "", "DROP DATABASE \(name)") }
        ErrorCatalog.expect(
            "checksum-mismatch",
            try CLI.run(["restore", "--storage-dir", store, "--database", name] + target, environment: password))
    }

    @Test func unknownBucket() throws {
        ErrorCatalog.expect(
            "unknown-bucket",
            try CLI.run(
                [
                    "list", "--s3-bucket", "no-such-bucket-\(UInt32.random(in: 0...UInt32.max))", "--s3-endpoint",
                    try env["MM_TEST_S3_ENDPOINT"],
                ],
                environment: ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]))
    }

    @Test func wrongS3Secret() throws {
        ErrorCatalog.expect(
            "wrong-s3-secret",
            try CLI.run(
                ["list", "--s3-bucket", "any", "--s3-endpoint", try env["MM_TEST_S3AUTH_ENDPOINT"]],
                environment: [
                    "AWS_ACCESS_KEY_ID": try env["MM_TEST_S3AUTH_ACCESS_KEY_ID"], "AWS_SECRET_ACCESS_KEY": "wrong",
                ]))
    }

    @Test func unknownS3Key() throws {
        ErrorCatalog.expect(
            "unknown-s3-key",
            try CLI.run(
                ["list", "--s3-bucket", "any", "--s3-endpoint", try env["MM_TEST_S3AUTH_ENDPOINT"]],
                environment: ["AWS_ACCESS_KEY_ID": "AKIDNOTKNOWN", "AWS_SECRET_ACCESS_KEY": "wrong"]))
    }

    @Test func emptyPrefixIsTheBucketRoot() throws {
        let bucket = "root-\(UInt32.random(in: 0...UInt32.max))"
        let endpoint = try env["MM_TEST_S3_ENDPOINT"]
        _ = try shell("curl -sf -X PUT \(endpoint)/\(bucket)")
        _ = try shell("curl -sf -X PUT --data-binary @/dev/null \(endpoint)/\(bucket)/backup.2024-08-26T12:24:34Z.sql")
        ErrorCatalog.expect(
            "empty-prefix",
            try CLI.run(
                ["list", "--s3-bucket", bucket, "--s3-prefix", "", "--s3-endpoint", endpoint],
                environment: ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]))
    }

    /// An HTTPS server on loopback with a certificate for `name`, signed by its own CA.
    func tlsServer(certificateName: String) throws -> (port: String, ca: String, stop: () -> Void) {
        let keys = dir + "/tls-\(certificateName)"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        let setup = try shell(
            "cd \(keys) && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout ca.key "
                + "-out ca.pem 2>/dev/null && openssl req -newkey rsa:2048 -nodes -subj /CN=\(certificateName) "
                + "-keyout server.key -out server.csr 2>/dev/null && printf 'subjectAltName=DNS:\(certificateName)' "
                + "> ext.cnf && openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
                + "-extfile ext.cnf -out server.pem 2>/dev/null")
        #expect(setup.status == 0, "\(setup.stderr)")
        // Port 0: the server takes a free port and prints it ("ACCEPT 127.0.0.1:PORT"); a random port could be
        // taken by another suite's server, and a probe could race its bind.
        let log = keys + "/server.out"
        FileManager.default.createFile(atPath: log, contents: nil)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        server.arguments = [
            "s_server", "-accept", "127.0.0.1:0", "-cert", keys + "/server.pem", "-key", keys + "/server.key", "-www",
        ]
        server.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        server.standardError = FileHandle.nullDevice
        // s_server ends at the end of its standard input: a pipe kept open until stop.
        let input = Pipe()
        server.standardInput = input
        try server.run()
        var port = ""
        // Up to 20 s under a loaded CI.
        for _ in 0..<200 where port.isEmpty && server.isRunning {
            let printed = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let line = printed.split(separator: "\n").first(where: { $0.hasPrefix("ACCEPT 127.0.0.1:") }) {
                port = String(line.dropFirst("ACCEPT 127.0.0.1:".count))
            } else {
                usleep(100_000)
            }
        }
        try #require(!port.isEmpty, "openssl s_server did not say its port: \(server.isRunning ? "running" : "ended")")
        return (port, keys + "/ca.pem", {
            server.terminate()
            try? input.fileHandleForWriting.close()
        })
    }

    @Test func tlsWithAnUntrustedCA() throws {
        let server = try tlsServer(certificateName: "127.0.0.1")
        defer { server.stop() }
        ErrorCatalog.expect(
            "tls-untrusted-ca",
            try CLI.run(
                ["list", "--s3-bucket", "bucket", "--s3-endpoint", "https://127.0.0.1:\(server.port)"],
                environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]))
    }

    @Test func tlsWithAWrongHostName() throws {
        let server = try tlsServer(certificateName: "other.example")
        defer { server.stop() }
        ErrorCatalog.expect(
            "tls-wrong-host",
            try CLI.run(
                [
                    "list", "--s3-bucket", "bucket", "--s3-endpoint", "https://127.0.0.1:\(server.port)",
                    "--s3-ca-file",
                    server.ca,
                ],
                environment: ["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"]))
    }
}

/// The page and the tests agree: at least 30 classes, and each row has a test that holds the tool to it.
struct ErrorCatalogCoverageTests {
    @Test func everyRowIsTested() throws {
        let rows = ErrorCatalog.rows
        #expect(rows.count >= 30, "docs/errors.md has \(rows.count) rows")
        let tests = TestEnvironment.repositoryRoot.appendingPathComponent("Tests")
        var text = ""
        let files = FileManager.default.enumerator(atPath: tests.path)
        while let file = files?.nextObject() as? String {
            guard file.hasSuffix(".swift") else { continue }
            text += try String(contentsOfFile: tests.appendingPathComponent(file).path, encoding: .utf8)
        }
        for id in rows.keys.sorted() {
            #expect(text.contains("\"\(id)\""), "docs/errors.md row `\(id)` has no ErrorCatalog.expect in Tests/")
        }
    }
}
