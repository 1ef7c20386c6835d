import BackupEngine
import Dump
import Runbook

/// How a step's input appears on the command line the step amounts to (the wizard's "runs:" line).
public enum CLIFlag: Sendable, Equatable {
    /// `--flag VALUE`.
    case option(String)
    /// `--flag ITEM` for each comma-separated item.
    case list(String)
    /// `--flag <secret>`: the command reads the value from a file, never from argv.
    case secretFile(String)
    /// Words by value (a bool input's value as `yes` or `no`).
    case words([String: [String]])
    /// Not on that command line (read another way, or shown after it).
    case none

    /// `--flag` when the input is yes.
    static func toggle(_ flag: String) -> CLIFlag { .words(["yes": [flag]]) }
}

/// One built-in action: its inputs with their command-line flags, its outputs, what it changes, and the code
/// that runs it. The loader's catalog (`Actions.specs`), the dispatch (`Actions.perform`) and the preview
/// (`CommandPreview`) all come from this one table, so adding an action is one entry.
public struct ActionDescriptor: Sendable {
    public typealias Perform = @Sendable (StepValues, ActionContext) async throws -> [String: String]

    public var name: String
    /// The subcommand (and fixed words) of `mariadb-migrate` the step amounts to.
    public var command: [String]
    public var required: Set<String>
    /// Every input the action takes, with how it appears on the command line.
    public var inputs: [String: CLIFlag]
    public var outputs: [String]
    public var effect: ActionEffect
    /// The step's values as the action reads them: applied before both the run and the preview.
    public var normalize: @Sendable (StepValues) -> StepValues = { $0 }
    /// Words shown after the command (apply-accounts pipes into the client).
    public var trailer: @Sendable (StepValues) -> [String] = { _ in [] }
    public var perform: Perform

    public var spec: ActionSpec {
        ActionSpec(name: name, required: required, accepts: Set(inputs.keys), outputs: outputs, effect: effect)
    }
}

extension ActionDescriptor {
    /// The source connection as the command's own flags.
    static let source: [String: CLIFlag] = [
        "source-host": .option("--host"), "source-port": .option("--port"), "source-socket": .option("--socket"),
        "source-user": .option("--user"), "source-password": .secretFile("--password-file"),
        "source-defaults-file": .option("--defaults-file"),
    ]
    /// The target connection as `--target-…` flags.
    static let target: [String: CLIFlag] = [
        "target-host": .option("--target-host"), "target-port": .option("--target-port"),
        "target-socket": .option("--target-socket"), "target-user": .option("--target-user"),
        "target-password": .secretFile("--target-password-file"),
        "target-defaults-file": .option("--target-defaults-file"),
    ]
    /// The target connection of a command whose only connection it is (restore).
    static let targetAsOwn: [String: CLIFlag] = [
        "target-host": .option("--host"), "target-port": .option("--port"), "target-socket": .option("--socket"),
        "target-user": .option("--user"), "target-password": .secretFile("--password-file"),
        "target-defaults-file": .option("--defaults-file"),
    ]
    /// The store, as the storage commands take it (the `store` choice shows as which flags are given).
    static let store: [String: CLIFlag] = [
        "store": .none, "storage-dir": .option("--storage-dir"), "s3-bucket": .option("--s3-bucket"),
        "s3-prefix": .option("--s3-prefix"), "s3-endpoint": .option("--s3-endpoint"),
        "s3-region": .option("--s3-region"), "s3-tls": .words(["yes": ["--s3-tls"], "no": ["--no-s3-tls"]]),
        "s3-ca-file": .option("--s3-ca-file"), "s3-skip-tls-verify": .toggle("--s3-skip-tls-verify"),
        "s3-access-key-id": .option("--s3-access-key-id"),
        "s3-secret-access-key": .secretFile("--s3-secret-access-key-file"),
    ]
    /// How a switch (cutover or revert) goes, and the account the way back replicates with.
    static let switchOver: [String: CLIFlag] = [
        "max-lag": .option("--max-lag"), "catch-up-timeout": .option("--catch-up-timeout"),
        "cutover-timeout": .option("--timeout"), "lock": .toggle("--lock"),
        "galera-nodes": .option("--galera-nodes"), "replication-user": .option("--replication-user"),
        "new-password-file": .option("--replication-password-file"),
        // Read from MARIADB_REPLICATION_PASSWORD, never from argv.
        "replication-password": .none,
    ]
    static let route: CLIFlag = .words([BackupKind.physical.rawValue: ["--physical"]])

    static func merged(_ groups: [String: CLIFlag]...) -> [String: CLIFlag] {
        groups.reduce(into: [:]) { result, group in result.merge(group) { _, new in new } }
    }
}

extension Actions {
    public static let table: [ActionDescriptor] = [
        ActionDescriptor(
            name: "survey", command: ["inspect"], required: [],
            // inspect surveys every database; the step weighs the history of the migrated ones only.
            inputs: ActionDescriptor.merged(ActionDescriptor.source, ["databases": .none]),
            outputs: [
                "version", "major-minor", "galera", "data-bytes", "databases", "binlog", "suggested-route",
                "route-estimate",
            ],
            effect: .none, perform: survey),
        ActionDescriptor(
            name: "preflight", command: ["preflight"], required: ["topology"],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.source,
                ["databases": .list("--database"), "topology": .option("--target"),
                 "target-version": .option("--target-version"), "fixes": .list("--fix")]),
            outputs: ["blockers", "warnings"], effect: .none, perform: preflight),
        ActionDescriptor(
            name: "store-check", command: ["storage", "check"], required: ["store"], inputs: ActionDescriptor.store,
            outputs: ["location"], effect: .store, perform: { values, _ in try await storeCheck(values) }),
        ActionDescriptor(
            name: "backup", command: ["backup"], required: ["store"],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.source, ActionDescriptor.store,
                ["compression": .option("--compression"), "databases": .list("--database"),
                 "galera": .toggle("--galera"), "max-retention": .option("--max-retention"),
                 "route": ActionDescriptor.route, "fixes": .list("--fix"), "definer": .option("--definer")]),
            outputs: ["name", "location", "target-time", "bytes", "sha256", "history-left-out"], effect: .store,
            // A physical backup holds every database; the definer means something with the definers fix only.
            normalize: { values in
                let values = values.physical ? values.without(["databases", "fixes"]) : values
                return values.list("fixes").contains(DumpFix.definers.rawValue) ? values : values.without(["definer"])
            },
            perform: backup),
        ActionDescriptor(
            name: "accounts", command: ["users"], required: ["accounts-dir"],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.source,
                ["mariadb-name": .option("--mariadb-name"), "namespace": .option("--namespace"),
                 "api-group": .option("--api-group"), "sql-job": .toggle("--sql-job"),
                 "databases": .list("--database"), "root-password-secret": .option("--root-password-secret"),
                 "accounts": .list("--account"), "accounts-dir": .option("--output-dir")]),
            outputs: ["directory", "users", "grants", "databases", "sql-statements", "sql-job"], effect: .none,
            perform: { values, _ in try await accounts(values) }),
        ActionDescriptor(
            name: "apply-accounts", command: ["users", "--emit-sql"], required: [],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.source, ActionDescriptor.target.mapValues { _ in .none },
                ["accounts": .list("--account"), "databases": .list("--database"), "other-nodes": .none]),
            outputs: ["statements"], effect: .target,
            // The SQL goes into the target through the client, as `users --emit-sql | mariadb` would.
            trailer: { values in
                ["|", "mariadb"]
                    + [("target-host", "--host"), ("target-port", "--port"), ("target-user", "--user")].flatMap {
                        name, flag in values.text(name).map { [flag, $0] } ?? []
                    } + ["-p"]
            },
            perform: { values, _ in try await applyAccounts(values) }),
        ActionDescriptor(
            name: "manifests", command: ["manifests"], required: ["manifests-dir", "store"],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.source,
                // The store as the cluster reads it: a bucket, or the volume claim of a directory store.
                ["store": .none, "storage-dir": .none, "s3-bucket": .option("--s3-bucket"),
                 "s3-prefix": .option("--s3-prefix"), "s3-endpoint": .option("--s3-endpoint"),
                 "s3-region": .option("--s3-region"), "s3-tls": .toggle("--s3-tls"),
                 "s3-ca-file": .option("--s3-ca-file"), "s3-skip-tls-verify": .none,
                 "s3-access-key-id": .secretFile("--s3-access-key-id-file"),
                 "s3-secret-access-key": .secretFile("--s3-secret-access-key-file"),
                 "cluster-s3-endpoint": .none, "s3-credentials-secret": .option("--s3-credentials-secret"),
                 "volume-claim": .option("--volume-claim")],
                ["root-password": .secretFile("--root-password-file"),
                 "root-password-secret": .option("--root-password-secret"), "mariadb-name": .option("--name"),
                 "namespace": .option("--namespace"), "api-group": .option("--api-group"),
                 "replicas": .option("--replicas"), "galera": .toggle("--galera"),
                 "storage-size": .option("--storage-size"), "backup-file": .option("--backup-file"),
                 "accounts-dir": .none, "backup-schedule": .option("--backup-schedule"),
                 "backup-max-retention": .option("--backup-max-retention"),
                 "write-secrets": .words(["no": ["--secrets", "reference"]]),
                 "skip-source-check": .toggle("--skip-source-check"), "mariadb-version": .option("--mariadb-version"),
                 "external-host": .option("--external-host"), "external-port": .option("--external-port"),
                 "external-password-secret": .option("--external-password-secret"),
                 "backup-storage-size": .option("--backup-storage-size"), "databases": .list("--database"),
                 "replication": .toggle("--replication"), "binlog": .toggle("--binlog"),
                 "route": ActionDescriptor.route, "manifests-dir": .option("--output-dir")]),
            outputs: ["directory", "files"], effect: .none, normalize: manifestValues, perform: manifests),
        ActionDescriptor(
            name: "restore", command: ["restore"], required: ["store"],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.targetAsOwn, ActionDescriptor.store,
                ["backup-file": .option("--file"), "databases": .list("--database"),
                 "parallel": .option("--parallel")]),
            outputs: ["location", "sql-bytes", "skipped-statements"], effect: .target, perform: restore),
        ActionDescriptor(
            name: "physical-restore", command: ["restore", "--physical"], required: ["store", "target-datadir"],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.store, ["backup-file": .option("--file"), "target-datadir": .option("--datadir")]),
            outputs: ["location", "data-directory", "stream-bytes"], effect: .dataDirectory,
            perform: physicalRestore),
        ActionDescriptor(
            name: "replicate", command: ["replicate"], required: [],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.source, ActionDescriptor.target, ActionDescriptor.store,
                ["backup-file": .option("--backup"), "databases": .list("--database"),
                 "replication-host": .option("--replication-host"),
                 "replication-port": .option("--replication-port"),
                 "replication-user": .option("--replication-user"),
                 // Read from MARIADB_REPLICATION_PASSWORD, never from argv.
                 "replication-password": .none,
                 "new-password-file": .option("--replication-password-file"),
                 "create-replication-user": .toggle("--create-replication-user"),
                 "replication-ssl-ca": .option("--replication-ssl-ca")]),
            outputs: ["start", "lag", "password-file"], effect: .sourceAndTarget, perform: replicate),
        ActionDescriptor(
            name: "cutover", command: ["cutover", "--yes"], required: [],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.source, ActionDescriptor.target, ActionDescriptor.switchOver,
                ["reversible": .toggle("--reversible"), "verify-live-state-dir": .option("--verify-state-directory"),
                 "reverse-host": .option("--reverse-host"), "reverse-port": .option("--reverse-port")]),
            outputs: ["downtime-seconds", "final-position", "way-back"], effect: .sourceAndTarget,
            perform: cutover(action: "cutover")),
        ActionDescriptor(
            name: "revert", command: ["cutover", "--yes", "--revert"], required: [],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.source, ActionDescriptor.target, ActionDescriptor.switchOver,
                ["replication-host": .option("--replication-host"),
                 "replication-port": .option("--replication-port")]),
            outputs: ["downtime-seconds", "final-position", "way-back"], effect: .sourceAndTarget,
            perform: cutover(action: "revert")),
        ActionDescriptor(
            name: "finish-way-back", command: ["cutover", "--yes", "--finish"], required: [],
            inputs: ActionDescriptor.merged(ActionDescriptor.source, ActionDescriptor.target),
            outputs: ["dropped"], effect: .source, perform: cutover(action: "finish-way-back")),
        ActionDescriptor(
            name: "verify-live", command: ["verify", "--live"], required: [],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.source, ActionDescriptor.target,
                ["databases": .list("--database"), "verify-live-state-dir": .option("--state-directory")]),
            outputs: ["differences", "tables", "rows"], effect: .none, perform: verifyLive),
        ActionDescriptor(
            name: "verify", command: ["verify"], required: [],
            inputs: ActionDescriptor.merged(
                ActionDescriptor.source, ActionDescriptor.target,
                ["databases": .list("--database"),
                 "compare-accounts": .words(["yes": ["--accounts"], "no": ["--no-accounts"]]),
                 "accounts": .list("--account"),
                 // The other nodes are compared by the step itself, one verify per node.
                 "other-nodes": .none,
                 "replication-user": .option("--tool-account"),
                 "history-left-out": .option("--history-left-out"), "fixes": .list("--fix")]),
            outputs: ["differences", "tables", "accounts", "nodes", "left-out"], effect: .none, perform: verify),
    ]

    public static let descriptors: [String: ActionDescriptor] = Dictionary(
        uniqueKeysWithValues: table.map { ($0.name, $0) })

    /// The loader's catalog.
    public static let specs: [String: ActionSpec] = descriptors.mapValues(\.spec)

    /// Runs `action` with the step's values, normalized as its descriptor says.
    public static func perform(
        _ action: String, _ values: StepValues, context: ActionContext
    ) async throws -> [String: String] {
        guard let descriptor = descriptors[action] else {
            throw ActionFailure(message: "action '\(action)' is not built into this version")
        }
        return try await descriptor.perform(descriptor.normalize(values), context)
    }

    /// The manifests step reads the store as the cluster will: its S3 endpoint is the cluster's when given, and
    /// the S3 keys go into a Secret only with a credentials Secret named.
    static func manifestValues(_ values: StepValues) -> StepValues {
        var values = values
        if let endpoint = values.text("cluster-s3-endpoint") { values.values["s3-endpoint"] = endpoint }
        values.values["cluster-s3-endpoint"] = nil
        // Without a scheme or s3-tls, the store is reached over HTTPS (StoreSettings' default): the CR says so.
        if values.text("store") == "s3" && values.text("s3-tls") == nil { values.values["s3-tls"] = "yes" }
        if values.text("s3-credentials-secret") == nil {
            values = values.without(["s3-access-key-id", "s3-secret-access-key"])
        }
        // The volume claim is the bootstrap's source only without a bucket or an in-cluster source.
        if values.text("store") == "s3" || values.text("external-host") != nil {
            values = values.without(["volume-claim"])
        } else if values.text("volume-claim") == nil {
            values.values["volume-claim"] = "mariadb-backups"
        }
        return values
    }
}

extension StepValues {
    /// The backup is physical (the route input).
    var physical: Bool { text("route") == BackupKind.physical.rawValue }

    func without(_ names: [String]) -> StepValues {
        var copy = self
        for name in names {
            copy.values[name] = nil
            copy.secrets[name] = nil
        }
        return copy
    }
}
