import Foundation
import Manifests
import TestSupport
import Testing

@Suite struct ManifestsCommandTests {
    @Test func theRunbookExampleFromFlags() throws {
        let result = try CLI.run([
            "manifests", "--skip-source-check", "--secrets", "reference", "--stdout",
            "--name", "mariadb-galera", "--root-password-secret", "mariadb:root-password", "--replicas", "3",
            "--galera", "--storage-size", "1Gi",
            "--s3-bucket", "backups", "--s3-prefix", "mariadb", "--s3-endpoint", "minio.minio.svc.cluster.local:9000",
            "--s3-credentials-secret", "minio", "--s3-tls", "--s3-ca-secret", "minio-ca:tls.crt",
            "--backup-file", "backup.2024-08-26T12:24:34Z.sql",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let runbook = TestEnvironment.repositoryRoot.appendingPathComponent("fixtures/runbook-mariadb-galera.yaml")
        #expect(
            try ManifestCatalog.documents(yaml: result.stdout)
                == ManifestCatalog.documents(yaml: String(contentsOf: runbook, encoding: .utf8)))
    }

    @Test func badInputsNameTheValue() throws {
        let name = try CLI.run(["manifests", "--skip-source-check", "--name", "My_DB", "--backup-ref", "b"])
        #expect(name.status != 0 && name.stderr.contains("'My_DB'"))
        let group = try CLI.run([
            "manifests", "--skip-source-check", "--api-group", "mariadb.mmontes.io", "--backup-ref", "b",
        ])
        #expect(group.status != 0 && group.stderr.contains("'mariadb.mmontes.io'"))
        let two = try CLI.run(["manifests", "--skip-source-check", "--backup-ref", "b", "--volume-claim", "c"])
        #expect(two.status != 0 && two.stderr.contains("exactly one backup source"))
    }

    @Test func validateReportsThePathOfEachFault() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        let broken =
            "apiVersion: k8s.mariadb.com/v1alpha1\nkind: MariaDB\nmetadata:\n  name: m\n"
            + "spec:\n  replicas: '3'\n  storage:\n    sise: 1Gi\n"
        try broken.write(to: file, atomically: true, encoding: .utf8)
        let result = try CLI.run(["manifests", "validate", file.path])
        #expect(result.status == 1)
        #expect(
            result.stdout.contains("spec.replicas: expected an integer")
                && result.stdout.contains("spec.storage.sise: unknown field"), "\(result.stdout)")
    }
}

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct ManifestsRootPasswordTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aWrongRootPasswordIsCaughtBeforeAnyFileIsWritten() throws {
        let env = try TestEnvironment.require()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mf-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = [
            "manifests", "--host", "127.0.0.1", "--port", try env["MM_TEST_MARIADB_PORT"], "--output-dir", dir,
            "--s3-bucket", "backups", "--s3-endpoint", "minio:9000", "--s3-credentials-secret", "minio",
        ]
        let wrong = try write("not-the-root-password\n")
        let refused = try CLI.run(base + ["--root-password-file", wrong])
        #expect(refused.status != 0 && refused.stderr.contains("does not log in as root"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir))

        let right = try write(env.rootPassword + "\n")
        let accessKey = try write("EXAMPLEKEYID\n")
        let secretKey = try write("EXAMPLE-secret-key\n")
        let written = try CLI.run(
            base + [
                "--root-password-file", right, "--s3-access-key-id-file", accessKey, "--s3-secret-access-key-file",
                secretKey,
            ])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stderr.contains("checked: the root password logs in as root"))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        #expect(files == ["kustomization.yaml", "mariadb-mariadb.yaml", "secret-mariadb.yaml", "secret-minio.yaml"])
        for file in files {
            let attributes = try FileManager.default.attributesOfItem(atPath: "\(dir)/\(file)")
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
            let text = try String(contentsOfFile: "\(dir)/\(file)", encoding: .utf8)
            if file.hasPrefix("secret-") {
                #expect(mode == 0o600)
            } else {
                #expect(!text.contains(env.rootPassword) && !text.contains("EXAMPLE-secret-key"))
            }
        }
        #expect(try String(contentsOfFile: "\(dir)/secret-mariadb.yaml", encoding: .utf8).contains(env.rootPassword))
        let mariadb = try String(contentsOfFile: "\(dir)/mariadb-mariadb.yaml", encoding: .utf8)
        #expect(mariadb.contains("image: docker.mariadb.com/enterprise-server:10.11"), "\(mariadb)")
        // What was written validates as hand-written files would.
        let check = try CLI.run(
            ["manifests", "validate"] + files.filter { $0 != "kustomization.yaml" }.map { "\(dir)/\($0)" })
        #expect(check.status == 0, "\(check.stdout)")
    }
}

@Suite struct GaleraReplicasCommandTests {
    @Test func validateRefusesGaleraWithTwoReplicasWithTheCRDsMessage() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("galera-2-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: file) }
        let yaml = "apiVersion: k8s.mariadb.com/v1alpha1\nkind: MariaDB\nmetadata:\n  name: g\n"
            + "spec:\n  replicas: 2\n  galera:\n    enabled: true\n  storage:\n    size: 1Gi\n"
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        let result = try CLI.run(["manifests", "validate", file.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("spec: An odd number of MariaDB instances"), "\(result.stdout)")
    }
}
