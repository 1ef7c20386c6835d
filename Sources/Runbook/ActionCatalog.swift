/// The built-in actions a step may run: which inputs each takes and which outputs it gives.
/// Pure data, so loading can check a runbook without running anything; the actions themselves
/// live in RunbookActions.
public enum ActionCatalog {
    public struct Action: Sendable {
        public var required: [String]
        public var optional: [String]
        public var outputs: [String]

        public var accepts: Set<String> { Set(required + optional) }
    }

    static let source = [
        "source-host", "source-port", "source-socket", "source-user", "source-password", "source-defaults-file",
    ]
    static let target = [
        "target-host", "target-port", "target-socket", "target-user", "target-password", "target-defaults-file",
    ]
    static let store = [
        "store", "storage-dir", "s3-bucket", "s3-prefix", "s3-endpoint", "s3-region", "s3-tls", "s3-ca-file",
        "s3-skip-tls-verify", "s3-access-key-id", "s3-secret-access-key",
    ]

    public static let actions: [String: Action] = [
        "survey": Action(
            required: [], optional: source,
            outputs: [
                "version", "major-minor", "galera", "data-bytes", "databases", "binlog", "suggested-route",
                "route-estimate",
            ]),
        "preflight": Action(
            required: ["topology"], optional: source + ["databases", "target-version"],
            outputs: ["blockers", "warnings"]),
        "store-check": Action(
            required: ["store"], optional: store,
            outputs: ["location"]),
        "backup": Action(
            required: ["store"],
            optional: source + store + ["compression", "databases", "galera", "max-retention", "route"],
            outputs: ["name", "location", "target-time", "bytes", "sha256", "history-left-out"]),
        "accounts": Action(
            required: ["accounts-dir"],
            optional: source + [
                "mariadb-name", "namespace", "api-group", "sql-job", "databases", "root-password-secret", "accounts",
            ],
            outputs: ["directory", "users", "grants", "databases", "sql-statements", "sql-job"]),
        "apply-accounts": Action(
            required: [], optional: source + target + ["accounts", "databases", "other-nodes"],
            outputs: ["statements"]),
        "manifests": Action(
            required: ["manifests-dir", "store"],
            optional: source + store + [
                "root-password", "root-password-secret", "mariadb-name", "namespace", "api-group", "replicas",
                "galera", "storage-size", "backup-file", "cluster-s3-endpoint", "s3-credentials-secret",
                "volume-claim", "accounts-dir", "backup-schedule", "backup-max-retention", "write-secrets",
                "skip-source-check", "mariadb-version", "external-host", "external-port",
                "external-password-secret", "backup-storage-size", "databases", "replication", "route",
            ],
            outputs: ["directory", "files"]),
        "restore": Action(
            required: ["store"], optional: target + store + ["backup-file", "databases", "parallel"],
            outputs: ["location", "sql-bytes"]),
        "physical-restore": Action(
            required: ["store", "target-datadir"], optional: store + ["backup-file"],
            outputs: ["location", "data-directory", "stream-bytes"]),
        "replicate": Action(
            required: [],
            optional: source + target + store + [
                "backup-file", "databases", "replication-host", "replication-port", "replication-user",
                "replication-password", "new-password-file", "create-replication-user", "replication-ssl-ca",
            ],
            outputs: ["start", "lag", "password-file"]),
        "cutover": Action(
            required: [], optional: source + target + ["max-lag", "catch-up-timeout", "cutover-timeout", "lock"],
            outputs: ["downtime-seconds", "final-position"]),
        "verify": Action(
            required: [],
            optional: source + target + [
                "databases", "compare-accounts", "accounts", "other-nodes", "replication-user", "history-left-out",
            ],
            outputs: ["differences", "tables", "accounts", "nodes", "left-out"]),
    ]
}
