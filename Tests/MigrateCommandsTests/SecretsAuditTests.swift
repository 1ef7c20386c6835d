import Foundation
import TestSupport
import Testing

/// No password, key or token in any process's argv while backup, restore and a wizard run go on,
/// nor in their output, the wizard's state file or any generated YAML that is not a Secret.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct SecretsAuditTests {
    @Test func secretsStayOutOfArgvOutputStateAndManifests() async throws {
        let env = try TestEnvironment.require()
        let name = TestEnvironment.uniqueName("audit")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)").path
        let sourcePort = try env["MM_TEST_MARIADB_PORT"]
        let targetPort = try env["MM_TEST_TARGET_PORT"]
        try sql(
            env, port: sourcePort,
            "CREATE DATABASE \(name); CREATE TABLE \(name).t (id INT PRIMARY KEY, v TEXT); INSERT INTO \(name).t "
                + "SELECT seq, REPEAT('s', 200) FROM \(name).seq_1_to_20000")
        defer {
            try? FileManager.default.removeItem(atPath: dir)
            try? sql(env, port: sourcePort, "DROP DATABASE IF EXISTS \(name)")
            try? sql(env, port: targetPort, "DROP DATABASE IF EXISTS \(name)")
        }
        // The plain S3 server takes any key (the signing one refuses ':' in object names, a moto fault):
        // a secret of its own, which nothing else here holds.
        let s3Secret = "audit-secret-\(UUID().uuidString)"
        let endpoint = try env["MM_TEST_S3_ENDPOINT"]
        let bucket = "audit-\(UInt32.random(in: 0...UInt32.max))"
        let aws = ["AWS_ACCESS_KEY_ID": "AKIDAUDIT", "AWS_SECRET_ACCESS_KEY": s3Secret]
        let made = try CLI.shell("curl -sf -X PUT \(endpoint)/\(bucket)")
        #expect(made.status == 0, "\(made.stderr)")
        let secrets = [env.rootPassword, s3Secret]
        let passwords = ["MARIADB_PASSWORD": env.rootPassword, "MARIADB_ROOT_PASSWORD": env.rootPassword]
        let s3 = ["--s3-bucket", bucket, "--s3-prefix", "audit", "--s3-endpoint", endpoint]
        var outputs: [String] = []

        let watch = ArgvWatch(secrets: secrets)
        let backup = try CLI.run(
            ["backup", "--database", name, "--host", "127.0.0.1", "--port", sourcePort, "--user", "root", "--json"]
                + s3,
            environment: passwords.merging(aws) { a, _ in a })
        #expect(backup.status == 0, "\(backup.stderr)")
        let restore = try CLI.run(
            ["restore", "--host", "127.0.0.1", "--port", targetPort, "--user", "root", "--parallel", "1", "--json"]
                + s3, environment: passwords.merging(aws) { a, _ in a })
        #expect(restore.status == 0, "\(restore.stderr)")
        let wizard = try CLI.run(
            [
                "migrate", "external-to-operator", "--yes", "--json", "--state-dir", dir + "/state", "--source-port",
                sourcePort, "--databases", name, "--accounts", "audit%", "--storage-dir", dir + "/store",
                "--output-dir", dir + "/out", "--target-host", "127.0.0.1", "--target-port", targetPort,
            ],
            environment: passwords.merging(["MARIADB_TARGET_PASSWORD": env.rootPassword]) { a, _ in a })
        #expect(wizard.status == 0, "\(wizard.stderr)")
        let (offending, polls) = watch.stop()
        #expect(offending.isEmpty, "secrets on argv: \(offending.prefix(3))")
        #expect(polls > 10)
        outputs += [backup.stdout, backup.stderr, restore.stdout, restore.stderr, wizard.stdout, wizard.stderr]

        // The state file, and every generated file that is not a Secret.
        var checked = 0
        let files = FileManager.default.enumerator(atPath: dir)
        while let file = files?.nextObject() as? String {
            let path = dir + "/" + file
            guard !file.hasPrefix("store/"), let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                continue
            }
            if text.contains("kind: Secret") { continue }
            checked += 1
            outputs.append(text)
            for secret in secrets { #expect(!text.contains(secret), "a secret in \(file)") }
        }
        #expect(checked >= 3, "state file and manifests read: \(checked)")
        for (index, output) in outputs.enumerated() {
            for secret in secrets { #expect(!output.contains(secret), "a secret in output \(index)") }
        }
    }

    /// The watch itself: a secret on a child's argv is seen.
    @Test func theWatchSeesASecretOnArgv() throws {
        let canary = "canary-\(UUID().uuidString)"
        let watch = ArgvWatch(secrets: [canary])
        _ = try CLI.shell("sleep 0.2; : \(canary)")
        #expect(!watch.stop().offending.isEmpty)
    }
}
