import Foundation
import TestSupport
import Testing

@testable import Manifests

let fixtures = TestEnvironment.repositoryRoot.appendingPathComponent("fixtures")

/// The four shapes the issue names, with obviously fake secret values.
enum Scenario: String, CaseIterable, Sendable {
    case s3TLSAndSSEC = "s3-tls-ssec"
    case backupRef = "backup-ref"
    case volume = "volume"
    case galera = "galera-3-replicas"

    var plan: ManifestPlan {
        switch self {
        case .s3TLSAndSSEC:
            var plan = ManifestPlan(
                source: .s3(
                    .init(
                        bucket: "backups", prefix: "mariadb", endpoint: "minio.minio.svc.cluster.local:9000",
                        region: "us-east-1",
                        accessKeyId: SecretKeyRef(name: "minio", key: "access-key-id"),
                        secretAccessKey: SecretKeyRef(name: "minio", key: "secret-access-key"),
                        tls: true, ca: SecretKeyRef(name: "minio-ca", key: "ca.crt"),
                        customerKey: SecretKeyRef(name: "ssec-key", key: "customer-key"))))
            plan.namespace = "databases"
            plan.image = ManifestPlan.image(apiGroup: plan.apiGroup, major: 10, minor: 11)
            plan.storageSize = ManifestPlan.suggestedStorage(dataBytes: 3 << 30)
            plan.targetRecoveryTime = "2024-08-26T12:24:34Z"
            plan.stagingStorageSize = "10Gi"
            plan.secrets = [
                .init(name: "mariadb", values: [("root-password", "EXAMPLE-root-password")]),
                .init(
                    name: "minio",
                    values: [("access-key-id", "EXAMPLEKEYID"), ("secret-access-key", "EXAMPLE/secret/key")]),
                .init(
                    name: "minio-ca",
                    values: [("ca.crt", "-----BEGIN CERTIFICATE-----\nEXAMPLE\n-----END CERTIFICATE-----\n")]),
                .init(name: "ssec-key", values: [("customer-key", "RVhBTVBMRS0zMi1ieXRlcy1rZXktZm9yLXRlc3RzISE=")]),
            ]
            plan.backup = .init(name: "mariadb-backup", schedule: "0 3 * * *", maxRetention: "720h")
            plan.restoreName = "mariadb-restore"
            return plan
        case .backupRef:
            var plan = ManifestPlan(source: .backupRef("backup"))
            plan.apiGroup = "k8s.mariadb.com"
            plan.targetRecoveryTime = "2023-12-19T09:00:00Z"
            plan.restoreName = "restore"
            return plan
        case .volume:
            var plan = ManifestPlan(source: .persistentVolumeClaim("mariadb-backups"))
            plan.backup = .init(name: "mariadb-backup", schedule: "@daily", compression: "bzip2")
            return plan
        case .galera:
            var plan = ManifestPlan(
                source: .s3(.init(bucket: "backups", endpoint: "s3.amazonaws.com", region: "eu-west-1")))
            plan.name = "mariadb-galera"
            plan.galera = true
            plan.authPluginLibraries = ["auth_ed25519.so"]
            plan.backup = .init(name: "mariadb-galera-backup", schedule: "0 */6 * * *", maxRetention: "168h")
            return plan
        }
    }
}

@Suite struct ManifestTests {
    @Test(arguments: Scenario.allCases)
    func snapshotsMatchAndEveryDocumentValidates(scenario: Scenario) throws {
        let documents = scenario.plan.documents()
        for document in documents { #expect(ManifestCatalog.validate(document.json) == [], "\(document.fileName)") }
        let yaml = try YAMLOutput.stream(documents.map(\.json))
        let snapshot = fixtures.appendingPathComponent("manifests/\(scenario.rawValue).yaml")
        if ProcessInfo.processInfo.environment["MM_UPDATE_SNAPSHOTS"] == "1" {
            try yaml.write(to: snapshot, atomically: true, encoding: .utf8)
        }
        #expect(
            yaml == (try String(contentsOf: snapshot, encoding: .utf8)),
            "run with MM_UPDATE_SNAPSHOTS=1 after an intended change")
        // What was written reads back as the same documents.
        #expect(try ManifestCatalog.documents(yaml: yaml) == documents.map(\.json))
    }

    /// Every pod loads the authentication plugins the accounts use, or their User CRs fail with error 1524.
    /// With `binlog` (a reversible live cutover), every pod keeps a row binlog of what it takes and applies.
    @Test(arguments: [
        ([String](), false, nil), (["auth_ed25519.so"], false, "[mariadb]\nplugin_load_add = auth_ed25519\n"),
        (["auth_pam.so", "auth_ed25519", "auth_ed25519.so"], false,
         "[mariadb]\nplugin_load_add = auth_ed25519\nplugin_load_add = auth_pam\n"),
        ([], true, "[mariadb]\nlog_bin = mariadb-bin\nbinlog_format = ROW\nlog_slave_updates = ON\n"),
        (["auth_ed25519"], true,
         "[mariadb]\nplugin_load_add = auth_ed25519\nlog_bin = mariadb-bin\nbinlog_format = ROW\n"
            + "log_slave_updates = ON\n"),
    ] as [([String], Bool, String?)])
    func authenticationPluginsAndTheBinlogAreInMyCnf(libraries: [String], binlog: Bool, expected: String?) {
        #expect(ManifestPlan.myCnf(pluginLibraries: libraries, binlog: binlog) == expected)
    }

    @Test func galeraGetsThreeReplicasAndIgnoreGlobalPriv() {
        let documents = Scenario.galera.plan.documents()
        let mariadb = documents.first { $0.kind == "MariaDB" }!.json
        #expect(mariadb["spec"]?["replicas"] == .int(3))
        #expect(mariadb["spec"]?["galera"]?["enabled"] == .bool(true))
        #expect(documents.first { $0.kind == "Backup" }!.json["spec"]?["ignoreGlobalPriv"] == .bool(true))
    }

    @Test func crsOnlyReferenceSecrets() throws {
        for document in Scenario.s3TLSAndSSEC.plan.documents() where !document.isSecret {
            let text = try YAMLOutput.render(document.json)
            for secret in ["EXAMPLE-root-password", "EXAMPLEKEYID", "EXAMPLE/secret/key", "RVhBTVBMRS0zMi1ieXRl"] {
                #expect(!text.contains(secret))
            }
        }
    }

    static func runbookFlagsPlan() -> ManifestPlan {
        var plan = ManifestPlan(
            source: .s3(
                .init(
                    bucket: "backups", prefix: "mariadb", endpoint: "minio.minio.svc.cluster.local:9000",
                    accessKeyId: SecretKeyRef(name: "minio", key: "access-key-id"),
                    secretAccessKey: SecretKeyRef(name: "minio", key: "secret-access-key"),
                    tls: true, ca: SecretKeyRef.parse("minio-ca:tls.crt", defaultKey: "ca.crt"))))
        plan.name = "mariadb-galera"
        plan.replicas = 3
        plan.galera = true
        plan.targetRecoveryTime = "2024-08-26T12:24:34Z"
        return plan
    }

    @Test func theRunbookExampleIsReproducedFieldForField() throws {
        let runbook = try ManifestCatalog.documents(
            yaml: String(contentsOf: fixtures.appendingPathComponent("runbook-mariadb-galera.yaml"), encoding: .utf8))
        #expect(Self.runbookFlagsPlan().documents().map(\.json) == runbook)
        #expect(ManifestCatalog.validate(runbook[0]) == [])
    }

    static let broken: [(String, String, String)] = [
        ("spec:\n  storage:\n    size: 1Gi\n    sise: 2Gi\n", "spec.storage.sise", "unknown field"),
        (
            "spec:\n  bootstrapFrom:\n    s3:\n      bucket: b\n      endpoint: e\n  storage:\n    size: 1Gi\n  "
                + "replicas: three\n",
            "spec.replicas", "expected an integer"
        ),
        ("spec:\n  bootstrapFrom:\n    s3:\n      bucket: b\n", "spec.bootstrapFrom.s3.endpoint", "is required"),
        ("spec:\n  rootPasswordSecretKeyRef:\n    name: x\n", "spec.rootPasswordSecretKeyRef.key", "is required"),
        (
            "spec:\n  bootstrapFrom:\n    targetRecoveryTime: yesterday\n", "spec.bootstrapFrom.targetRecoveryTime",
            "RFC 3339"
        ),
    ]

    @Test(arguments: 0..<5)
    func aBrokenMariaDBIsRefusedWithThePathOfTheFault(index: Int) throws {
        let (spec, path, message) = Self.broken[index]
        let document = try ManifestCatalog.documents(
            yaml: "apiVersion: k8s.mariadb.com/v1alpha1\nkind: MariaDB\nmetadata:\n  name: m\n" + spec)[0]
        let issues = ManifestCatalog.validate(document)
        #expect(issues.contains { $0.path == path && $0.message.contains(message) }, "\(issues)")
    }

    @Test func aWrongEnumAndABadNameAreRefused() throws {
        let backup = try ManifestCatalog.documents(
            yaml: """
                apiVersion: enterprise.mariadb.com/v1alpha1
                kind: Backup
                metadata:
                  name: Nightly_Backup
                spec:
                  mariaDbRef:
                    name: mariadb
                  compression: zstd
                  storage:
                    persistentVolumeClaim:
                      resources:
                        requests:
                          storage: 1Gi
                """)[0]
        let issues = ManifestCatalog.validate(backup)
        #expect(issues.contains { $0.path == "spec.compression" && $0.message.contains("'zstd' is not one of") })
        #expect(issues.contains { $0.path == "metadata.name" && $0.message.contains("DNS-1123") })
        let wrongGroup = try ManifestCatalog.documents(
            yaml: "apiVersion: mariadb.mmontes.io/v1alpha1\nkind: MariaDB\nmetadata:\n  name: m\n")[0]
        #expect(ManifestCatalog.validate(wrongGroup).contains { $0.path == "apiVersion" })
    }

    /// The schemas in the binary are the fixtures' CRDs (scripts/embed-crds.py was run).
    @Test func embeddedSchemasMatchTheFixtureCRDs() throws {
        func stripped(_ value: JSON) -> JSON {
            switch value {
            case .object(let fields):
                return .object(
                    fields.filter { $0.key != "description" }.map { .init($0.key, stripped($0.value)) }.sorted {
                        $0.key < $1.key
                    })
            case .array(let items): return .array(items.map(stripped))
            default: return value
            }
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("crds").path)
            .filter { $0.hasSuffix(".yaml") }
        #expect(files.count == ManifestCatalog.kinds.count)
        for file in files {
            let crd = try ManifestCatalog.documents(
                yaml: String(contentsOf: fixtures.appendingPathComponent("crds/\(file)"), encoding: .utf8))[0]
            let kind = try #require(crd["spec"]?["names"]?["kind"]?.string)
            guard case .array(let versions)? = crd["spec"]?["versions"] else {
                Issue.record("no versions in \(file)")
                continue
            }
            let schema = try #require(
                versions.first { $0["name"] == .string("v1alpha1") }?["schema"]?["openAPIV3Schema"])
            #expect(
                stripped(schema) == stripped(try #require(ManifestCatalog.schema(kind: kind))),
                "\(kind): run scripts/embed-crds.py")
        }
    }

    @Test(arguments: [
        (UInt64(0), "1Gi"), (UInt64(1) << 29, "1Gi"), (UInt64(3) << 30, "6Gi"), ((UInt64(5) << 30) + 1, "11Gi"),
    ])
    func storageIsTwiceTheDataInWholeGiB(bytes: UInt64, size: String) {
        #expect(ManifestPlan.suggestedStorage(dataBytes: bytes) == size)
    }
}

@Suite struct TopologyTests {
    func mariaDB(_ spec: String) throws -> JSON {
        try #require(
            ManifestCatalog.documents(
                yaml: "apiVersion: k8s.mariadb.com/v1alpha1\nkind: MariaDB\nmetadata:\n  name: m\nspec:\n"
                    + "  storage:\n    size: 1Gi\n" + spec
            ).first)
    }

    @Test(arguments: [
        ("  replicas: 2\n  galera:\n    enabled: true\n", false),
        ("  replicas: 3\n  galera:\n    enabled: true\n", true),
        ("  galera:\n    enabled: true\n", true),
        ("  replicas: 4\n  replicasAllowEvenNumber: true\n  galera:\n    enabled: true\n", true),
        ("  replicas: 2\n  galera:\n    enabled: false\n", true),
        ("  replicas: 2\n  replication:\n    enabled: true\n", true),
    ])
    func galeraWithAnEvenNumberOfReplicasIsRefusedWithTheCRDsMessage(spec: String, valid: Bool) throws {
        let issues = ManifestCatalog.validate(try mariaDB(spec))
        #expect(issues.isEmpty == valid, "\(issues)")
        if !valid {
            #expect(
                issues.first?.path == "spec"
                    && issues.first?.message.hasPrefix("An odd number of MariaDB instances") == true)
        }
    }

    @Test func replicationIsATopologyOfThreeInstancesByDefault() throws {
        var plan = ManifestPlan(source: .persistentVolumeClaim("backups"))
        plan.replication = true
        let mariadb = try #require(plan.documents().first { $0.kind == "MariaDB" })
        #expect(mariadb.json["spec"]?["replication"]?["enabled"] == .bool(true))
        #expect(mariadb.json["spec"]?["replicas"] == .int(3))
        #expect(ManifestCatalog.validate(mariadb.json).isEmpty)
    }

    @Test(arguments: [
        (true, true, 3, "exclude each other"), (true, false, 2, "is even"), (false, true, 2, ""), (true, false, 5, ""),
    ])
    func theInputsRefuseTwoTopologiesAndAnEvenGalera(galera: Bool, replication: Bool, replicas: Int, problem: String) {
        var inputs = ManifestInputs()
        inputs.volumeClaim = "backups"
        inputs.galera = galera
        inputs.replication = replication
        inputs.replicas = replicas
        let problems = inputs.problems()
        #expect(problem.isEmpty ? problems.isEmpty : problems.contains { $0.contains(problem) }, "\(problems)")
    }
}
