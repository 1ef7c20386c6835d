import Accounts
import BackupEngine
import Dump
import Compression
import Foundation
import Manifests
import MariaDBClient
import ObjectStore
import Preflight
import Presentation
import Replication
import RestoreEngine
import Runbook
import Terminal
import UTCTime
import Verification

/// The values a step runs with: non-secret inputs and, apart, the secrets (never stored).
public struct StepValues: Sendable {
    public var values: [String: String]
    public var secrets: [String: String]

    public init(values: [String: String], secrets: [String: String]) {
        self.values = values
        self.secrets = secrets
    }

    func text(_ name: String) -> String? { values[name].flatMap { $0.isEmpty ? nil : $0 } }
    func flag(_ name: String) -> Bool { text(name).flatMap(Runbook.parseBool) ?? false }
    func number(_ name: String) -> Int? { text(name).flatMap { Int($0) } }
    func list(_ name: String) -> [String] {
        (text(name) ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
    }

    /// `source-…` or `target-…` inputs as a connection request.
    public func connection(_ side: String) -> ConnectionRequest {
        var request = ConnectionRequest(environmentPrefix: side == "source" ? "MARIADB_" : "MARIADB_TARGET_")
        request.host = text("\(side)-host")
        request.port = number("\(side)-port")
        request.socket = text("\(side)-socket")
        request.user = text("\(side)-user")
        request.defaultsFile = text("\(side)-defaults-file")
        request.password = secrets["\(side)-password"]
        return request
    }

    /// The process environment with the step's replication password where replicate and cutover read it (never
    /// argv).
    var replicationEnvironment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        if let password = secrets["replication-password"] {
            environment[ReplicationPassword.environmentVariable] = password
        }
        return environment
    }

    public var store: StoreSettings {
        var settings = StoreSettings()
        if let directory = text("storage-dir") { settings.directory = directory }
        guard text("store") == "s3" else { return settings }
        settings.s3Bucket = text("s3-bucket")
        settings.s3Prefix = text("s3-prefix") ?? ""
        settings.s3Endpoint = text("s3-endpoint")
        settings.s3Region = text("s3-region")
        settings.s3TLS = text("s3-tls").flatMap(Runbook.parseBool)
        settings.s3CAFile = text("s3-ca-file")
        settings.s3SkipTLSVerify = flag("s3-skip-tls-verify")
        settings.s3AccessKeyId = text("s3-access-key-id")
        settings.s3SecretAccessKey = secrets["s3-secret-access-key"]
        return settings
    }
}

/// Where a step keeps what an attempt may leave behind if stopped (an upload's name), so the next attempt can
/// clean it up: the wizard's state file.
public protocol AttemptJournal: Sendable {
    /// What an interrupted earlier attempt of this step recorded.
    var previous: [String: String] { get }
    /// Saved at once: the process may be killed right after.
    func record(_ attempt: [String: String]) throws
}

/// How a running action reports: progress meters, notes, and its attempt journal.
public struct ActionContext: Sendable {
    public var migrationID: String
    public var stepID: String
    public var progressMode: ProgressMeter.Mode
    public var note: @Sendable (String) -> Void
    public var attempts: any AttemptJournal

    func meter(_ label: String, output: String? = nil) -> ProgressMeter {
        ProgressMeter(
            label: label, total: nil, mode: progressMode, outputLabel: output,
            jsonOutput: .standardOutput, tags: ["migration": migrationID, "step": stepID])
    }
}

public struct ActionFailure: Error, LocalizedError {
    public var message: String
    public var errorDescription: String? { message }
}

/// The preflight's blockers, every one of which a fix in the dump can lift: the wizard offers each fix, and runs
/// the step again with those chosen.
public struct FixableBlockers: Error, LocalizedError {
    public struct Offer: Sendable, Equatable {
        public var fix: DumpFix
        public var blocker: String
    }

    public var message: String
    public var offers: [Offer]
    public var errorDescription: String? { message }
}

extension StepValues {
    /// The `fixes` input; an unknown name fails the step naming it.
    func fixes() throws -> [DumpFix] {
        do {
            return try DumpFix.parse(list("fixes").joined(separator: ","))
        } catch {
            throw ActionFailure(message: error.message)
        }
    }
}

/// The engine job of each action (see `Actions.table`). Each returns the outputs its descriptor lists.
public enum Actions {
    static func survey(_ values: StepValues, context: ActionContext) async throws -> [String: String] {
        let connection = try await MariaDBConnection.connect(try values.connection("source").resolve())
        var survey = try await SourceSurvey.take(from: connection)
        // The history that matters is that of the databases migrated.
        let scope = Set(values.list("databases"))
        if !scope.isEmpty {
            func inScope(_ table: String) -> Bool { scope.contains(String(table.prefix { $0 != "." })) }
            survey.versionedTables = survey.versionedTables.filter(inScope)
            survey.transactionPreciseTables = survey.transactionPreciseTables.filter(inScope)
        }
        let server = survey.server
        // The physical route runs mariadb-backup here: possible only on the source's host.
        var physicalProblem: String?
        do {
            let host = try await PhysicalBackupPipeline.checkHost(connection, facts: server)
            try await PhysicalBackupPipeline.checkTableNames(connection, toolVersion: host.toolVersion)
            // The bootstrap keeps the source's accounts, and the operator logs in as root@'%' (checked again, with
            // the root password, by the manifests step).
            let missing = await RootAccounts.createUserStatements(on: connection).filter { $0.value == nil }.keys
            if !missing.isEmpty {
                physicalProblem = "the bootstrap keeps the source's accounts, and "
                    + missing.sorted().map { "root@'\($0)'" }.joined(separator: " and ") + " does not exist"
            }
        } catch {
            physicalProblem = error.localizedDescription
        }
        let bytes = survey.totals.sizeBytes
        let historyOnlyPhysical = !survey.transactionPreciseTables.isEmpty
        let suggested = RouteEstimate.suggested(
            dataBytes: bytes, physicalPossible: physicalProblem == nil, historyOnlyPhysical: historyOnlyPhysical)
        let estimate = RouteEstimate.describe(dataBytes: bytes)
        context.note(
            "\(ByteFormat.string(bytes)) of data: \(estimate); "
                + "suggested route: \(suggested.rawValue)"
                + (physicalProblem.map { " (physical not possible from here: \($0))" } ?? ""))
        if let note = survey.historyNote {
            context.note(
                note + (historyOnlyPhysical && suggested == .logical
                    ? "; the logical route keeps their current rows only (run this on the source's host for the "
                        + "physical route)" : ""))
        }
        return [
            "suggested-route": suggested.rawValue, "route-estimate": estimate,
            "version": server.version, "major-minor": "\(server.major).\(server.minor)",
            "galera": String(server.galera.enabled),
            "data-bytes": String(survey.totals.sizeBytes),
            "databases": survey.schemas.map(\.name).joined(separator: ","),
            "binlog": server.binlog.enabled
                ? "\(server.binlog.file ?? "-"):\(server.binlog.position.map(String.init) ?? "-")" : "off",
        ]
    }

    static func storeCheck(_ values: StepValues) async throws -> [String: String] {
        let report = await StoreCheck.run(try values.store.makeStore(forWriting: true))
        if let step = report.steps.first(where: { !$0.ok }) {
            throw ActionFailure(message: "the store \(report.store) failed its \(step.step) check: \(step.detail)")
        }
        return ["location": report.store]
    }

    /// The backup step's request, as `backup` builds it from its flags.
    public static func backupJob(_ values: StepValues) throws -> BackupJob {
        var job = BackupJob()
        job.databases = values.list("databases")
        job.galera = values.flag("galera")
        if let compression = values.text("compression") {
            guard let algorithm = CompressionAlgorithm(rawValue: compression) else {
                throw ActionFailure(message: "compression '\(compression)' is not none, gzip or bzip2")
            }
            job.compression = algorithm
        }
        job.maxRetention = values.text("max-retention")
        job.physical = values.physical
        job.fixes = try values.fixes()
        job.definer = values.text("definer")
        return job
    }

    static func backup(_ values: StepValues, context: ActionContext) async throws -> [String: String] {
        var job = try backupJob(values)
        if let problem = job.problems().first { throw ActionFailure(message: problem) }
        let settings = values.store
        let store = try settings.makeStore(forWriting: true)
        // An interrupted attempt may have left its multipart upload open: abort it first.
        if let name = context.attempts.previous["name"] {
            let aborted = try await BackupJob.discardAttempt(name: name, in: store)
            if aborted > 0 {
                context.note(
                    "aborted \(aborted) unfinished upload\(aborted == 1 ? "" : "s") of \(name) "
                        + "left by the interrupted attempt"
                )
            }
        }
        let now = UTCDateTime.now()
        let started = BackupName(time: now, compression: job.compression, kind: job.kind)
        if job.physical { job.pendingRun = BackupName.newRun() }
        try context.attempts.record(["name": job.pendingRun.map { started.pendingName(run: $0) } ?? started.fileName])
        let meter = context.meter("dumped", output: "stored")
        let result = try await job.run(
            connection: try values.connection("source").resolve(), store: store, now: now,
            progress: .showing(meter, note: context.note))
        meter.finish()
        return [
            "name": result.name, "location": result.location,
            "target-time": (BackupName.parseAnyKind(result.name)?.time ?? result.manifest.startedAt).rfc3339,
            "bytes": String(result.manifest.object.bytes), "sha256": result.manifest.object.sha256,
            "history-left-out": (result.manifest.historyLeftOut ?? []).joined(separator: ","),
        ]
    }

    /// The accounts step's request, as `users` builds it from its flags.
    public static func accountsJob(_ values: StepValues) -> AccountsJob {
        var job = AccountsJob()
        job.mariaDB = values.text("mariadb-name") ?? job.mariaDB
        job.apiGroup = values.text("api-group") ?? job.apiGroup
        job.namespace = values.text("namespace")
        job.databases = values.list("databases")
        job.sqlJob = values.flag("sql-job")
        job.rootPasswordSecret = values.text("root-password-secret") ?? job.rootPasswordSecret
        job.accounts = values.list("accounts")
        return job
    }

    static func accounts(_ values: StepValues) async throws -> [String: String] {
        let job = accountsJob(values)
        if let problem = job.problems().first { throw ActionFailure(message: problem) }
        let source = try await MariaDBConnection.connect(try values.connection("source").resolve())
        let plan = try await job.plan(source: source)
        let directory = values.text("accounts-dir")!
        let result = try job.write(plan, to: directory)
        return [
            "directory": directory, "users": String(result.counts["User"] ?? 0),
            "grants": String(result.counts["Grant"] ?? 0),
            "databases": String(result.counts["Database"] ?? 0), "sql-statements": String(plan.fallbackSQL.count),
            "sql-job": String(result.sqlJob),
        ]
    }

    /// The manifests step's request, as `manifests` builds it from its flags.
    public static func manifestInputs(_ values: StepValues) -> ManifestInputs {
        var inputs = ManifestInputs()
        inputs.name = values.text("mariadb-name") ?? inputs.name
        inputs.namespace = values.text("namespace")
        inputs.apiGroup = values.text("api-group") ?? inputs.apiGroup
        inputs.replicas = values.number("replicas")
        inputs.galera = values.flag("galera")
        inputs.replication = values.flag("replication")
        inputs.binlog = values.flag("binlog")
        inputs.storageSize = values.text("storage-size")
        inputs.mariadbVersion = values.text("mariadb-version")
        inputs.rootPasswordSecret = values.text("root-password-secret") ?? inputs.rootPasswordSecret
        inputs.backupFile = values.text("backup-file")
        inputs.backupSchedule = values.text("backup-schedule")
        inputs.backupMaxRetention = values.text("backup-max-retention")
        inputs.writeSecrets = values.text("write-secrets").flatMap(Runbook.parseBool) ?? true
        inputs.skipSourceCheck = values.flag("skip-source-check")
        inputs.physical = values.physical
        let store = values.store
        if let bucket = store.s3Bucket {
            inputs.s3Bucket = bucket
            inputs.s3Prefix = store.s3Prefix.isEmpty ? nil : store.s3Prefix
            // The endpoint as the cluster reaches it (normalizing put cluster-s3-endpoint there), else this
            // machine's; the manifests engine splits a URL into host:port and TLS.
            inputs.s3Endpoint = store.s3Endpoint
            inputs.s3Region = store.s3Region
            inputs.s3TLS = store.s3TLS ?? false
            inputs.s3CredentialsSecret = values.text("s3-credentials-secret")
        } else {
            inputs.volumeClaim = values.text("volume-claim")
        }
        if let host = values.text("external-host") {
            // The in-cluster route: the operator's Job dumps the source as the cluster reaches it,
            // logging in as the source user of this migration.
            inputs.externalHost = host
            inputs.externalPort = values.number("external-port")
            inputs.externalUser = values.text("source-user") ?? "root"
            inputs.externalPasswordSecret = values.text("external-password-secret")
            inputs.backupStorageSize = values.text("backup-storage-size")
            inputs.databases = values.list("databases")
        }
        return inputs
    }

    static func manifests(_ values: StepValues, context: ActionContext) async throws -> [String: String] {
        let inputs = manifestInputs(values)
        var secrets = ManifestSecrets(
            rootPassword: values.secrets["root-password"], externalPassword: values.secrets["source-password"])
        if inputs.s3CredentialsSecret != nil {
            secrets.s3AccessKeyId = values.store.s3AccessKeyId
            secrets.s3SecretAccessKey = values.store.s3SecretAccessKey
        }
        var source: ConnectionSettings?
        if !inputs.skipSourceCheck {
            var request = values.connection("source")
            request.user = "root"
            source = try request.resolve()
        }
        let result = try await ManifestJob.run(inputs, secrets: secrets, source: source)
        for note in result.notes { context.note(note) }
        let directory = values.text("manifests-dir")!
        var resources: [String] = []
        // A physical bootstrap brings the source's accounts in its data files: no account CRs.
        if let accounts = values.text("accounts-dir"), !inputs.physical {
            resources.append(relativePath(from: directory, to: accounts))
        }
        let files = try ManifestDirectory.write(result.documents, resources: resources, to: directory)
        return ["directory": directory, "files": files.map(\.name).joined(separator: ",")]
    }

    /// `../accounts` for two siblings; the absolute path otherwise.
    static func relativePath(from directory: String, to other: String) -> String {
        let a = URL(fileURLWithPath: directory).standardizedFileURL.pathComponents
        let b = URL(fileURLWithPath: other).standardizedFileURL.pathComponents
        var common = 0
        while common < min(a.count, b.count) && a[common] == b[common] { common += 1 }
        return (Array(repeating: "..", count: a.count - common) + b[common...]).joined(separator: "/")
    }

    /// The restore step's request, as `restore` builds it from its flags.
    public static func restoreRequest(_ values: StepValues, connection: ConnectionSettings) -> RestoreRequest {
        RestoreRequest(
            connection: connection, target: values.text("backup-file").map { .file($0) } ?? .time(.now()),
            databases: values.list("databases"), parallel: values.number("parallel"))
    }

    static func restore(_ values: StepValues, context: ActionContext) async throws -> [String: String] {
        let store = try values.store.makeStore(forWriting: false)
        var request = restoreRequest(values, connection: try values.connection("target").resolve())
        // A resumed step goes on with the restore its interrupted attempt left on the target.
        if !context.attempts.previous.isEmpty { request.progressMode = .resumeIfAny }
        // The progress stays on the target, marked finished, until the verify step after it passes (which
        // drops it): a restore is finished when it is proved, not when its last statement ran.
        request.keepProgress = true
        try context.attempts.record(["restore": "started"])
        let meter = context.meter("apply", output: "applied")
        let report = try await RestorePipeline.run(request, store: store, progress: .showing(meter))
        meter.finish()
        return [
            "location": report.location, "sql-bytes": String(report.sqlBytes),
            "skipped-statements": String(report.skippedStatements),
        ]
    }

    /// The physical-restore step's request, as `restore --physical` builds it from its flags.
    public static func physicalRestoreRequest(_ values: StepValues) -> PhysicalRestoreRequest {
        PhysicalRestoreRequest(
            target: values.text("backup-file").map { .file($0) } ?? .time(.now()),
            dataDirectory: values.text("target-datadir") ?? "")
    }

    /// The operator's physical bootstrap rehearsed here: the backup restored into an empty data directory.
    static func physicalRestore(_ values: StepValues, context: ActionContext) async throws -> [String: String] {
        let store = try values.store.makeStore(forWriting: false)
        let request = physicalRestoreRequest(values)
        let meter = context.meter("extract", output: "stream")
        let report = try await PhysicalRestore.run(request, store: store, progress: .showing(meter))
        meter.finish()
        if let owner = report.owner { context.note("its files were given to \(owner.description)") }
        context.note(
            "start a server on it to compare: mariadbd --datadir=\(report.dataDirectory) …, then "
                + "mariadb-migrate verify --target-host … (the restored server has the source's accounts)")
        return [
            "location": report.location, "data-directory": report.dataDirectory,
            "stream-bytes": String(report.streamBytes),
        ]
    }

    /// The accounts into a reachable server as the operator would apply their CRs, so `verify` can
    /// compare them: the same conversion as the accounts step.
    static func applyAccounts(_ values: StepValues) async throws -> [String: String] {
        let source = try await MariaDBConnection.connect(try values.connection("source").resolve())
        let plan = try await accountsJob(values).plan(source: source)
        let target = try await MariaDBConnection.connect(try values.connection("target").resolve())
        let count = try await AccountsJob.apply(plan, to: target)
        // What Galera does not replicate runs on each other node of the cluster too.
        let unreplicated = AccountsJob.statements(plan).filter(AccountsJob.notReplicatedByGalera)
        if !unreplicated.isEmpty {
            for node in try otherNodes(values) {
                let connection = try await MariaDBConnection.connect(node)
                for statement in unreplicated { _ = try await connection.query(statement) }
            }
        }
        return ["statements": String(count)]
    }

    /// The cluster's other nodes (`other-nodes`, host:port), reached as the target is.
    static func otherNodes(_ values: StepValues) throws -> [ConnectionSettings] {
        try values.list("other-nodes").map { node in
            var request = values.connection("target")
            let parts = node.split(separator: ":", maxSplits: 1)
            request.host = String(parts[0])
            request.port = parts.count == 2 ? Int(parts[1]) : nil
            return try request.resolve()
        }
    }

    /// The checks before the migration; a blocker fails the step, warnings and notes are shown.
    /// The preflight step's request, as `preflight` builds it from its flags.
    public static func preflightJob(_ values: StepValues) throws -> PreflightJob {
        let topology = values.text("topology") ?? "galera"
        guard let target = TargetTopology(rawValue: topology) else {
            throw ActionFailure(message: "topology '\(topology)' is not galera, replication or standalone")
        }
        return PreflightJob(
            target: target, databases: values.list("databases"), targetVersion: values.text("target-version"),
            fixes: try values.fixes())
    }

    static func preflight(_ values: StepValues, context: ActionContext) async throws -> [String: String] {
        let job = try preflightJob(values)
        if let problem = job.problems().first { throw ActionFailure(message: problem) }
        let report = try await job.run(
            source: try await MariaDBConnection.connect(try values.connection("source").resolve()))
        for finding in report.findings where finding.severity != .blocker {
            context.note(
                "\(finding.severity.rawValue) \(finding.check): \(finding.message) "
                    + "(\(finding.objects.prefix(5).joined(separator: ", ")))"
            )
        }
        for finding in report.findings where finding.message.hasPrefix("handled in the dump") {
            context.note("\(finding.check) (\(finding.objects.prefix(5).joined(separator: ", "))): \(finding.message)")
        }
        let blockers = report.findings.filter { $0.severity == .blocker }
        let offers = blockers.compactMap { blocker in
            DumpFix.allCases.first { $0.covers == blocker.check }.map {
                let objects = blocker.objects.prefix(5).joined(separator: ", ")
                return FixableBlockers.Offer(fix: $0, blocker: "\(blocker.message) [\(objects)]")
            }
        }
        guard blockers.isEmpty else {
            let message = "\(blockers.count) blocker\(blockers.count == 1 ? "" : "s") for \(job.target.rawValue): "
                + blockers.map { "\($0.message) [\($0.objects.prefix(5).joined(separator: ", "))]; fix: \($0.fix)" }
                .joined(separator: " | ")
            if offers.count == blockers.count { throw FixableBlockers(message: message, offers: offers) }
            throw ActionFailure(
                message: "\(blockers.count) blocker\(blockers.count == 1 ? "" : "s") for \(job.target.rawValue): "
                    + blockers.map { "\($0.message) [\($0.objects.prefix(5).joined(separator: ", "))]; fix: \($0.fix)" }
                    .joined(separator: " | "))
        }
        return ["blockers": "0", "warnings": String(report.warnings)]
    }

    /// The verify step's request, as `verify` builds it from its flags.
    public static func verifyJob(_ values: StepValues) -> VerifyJob {
        var job = VerifyJob(
            databases: values.list("databases"), accounts: values.text("compare-accounts").flatMap(Runbook.parseBool),
            accountPatterns: values.list("accounts"), toolUsers: values.text("replication-user").map { [$0] } ?? [])
        job.historyLeftOut = values.list("history-left-out")
        job.fixes = values.list("fixes")
        return job
    }

    static func verify(_ values: StepValues, context: ActionContext) async throws -> [String: String] {
        // The replication account the live runbook made (under the name it was given) is the tool's, not the
        // application's: left out, and said so.
        let job = verifyJob(values)
        let source = try values.connection("source").resolve()
        // The other nodes of a cluster, compared too: what replicated must be on every node.
        let targets = [try values.connection("target").resolve()] + (try otherNodes(values))
        let reports = try await job.run(source: source, targets: targets)
        if let first = reports.first {
            for note in [first.historyNote, first.leftOutNote, first.intendedNote].compactMap({ $0 }) {
                context.note(note)
            }
        }
        if let report = reports.last, !report.differences.isEmpty {
            throw ActionFailure(
                message: "\(report.differences.count) differences between \(report.source) and \(report.target): "
                    + report.differences.prefix(5).joined(separator: "; "))
        }
        // Proved: what the restore step kept on the target goes (see `restore`).
        let dropped = try await RestoreLedger.dropFinished(on: try await MariaDBConnection.connect(targets[0]))
        if !dropped.isEmpty {
            context.note("dropped the restore progress of \(dropped.joined(separator: ", ")) (proved)")
        }
        return [
            "differences": "0", "tables": String(reports.last?.tables ?? 0),
            "accounts": String(reports.last?.accounts ?? 0), "nodes": String(targets.count),
            "left-out": Set(reports.flatMap(\.leftOut)).sorted().joined(separator: ","),
        ]
    }

    /// The live verify step's job, as `verify --live` builds it from its flags.
    public static func verifyLiveJob(_ values: StepValues) -> LiveVerifyJob {
        var job = LiveVerifyJob(stateDirectory: values.text("verify-live-state-dir") ?? "migration-out/verify-live")
        job.databases = values.list("databases")
        return job
    }

    /// The replicating target compared with the source while both run; a differing row fails the step.
    static func verifyLive(_ values: StepValues, context: ActionContext) async throws -> [String: String] {
        let report = try await verifyLiveJob(values).run(
            source: try values.connection("source").resolve(), target: try values.connection("target").resolve())
        if report.differences > 0 {
            let rows = report.tables.flatMap { table in
                table.differingRows.map { "\(table.name) \($0.kind) (\($0.key.joined(separator: ", ")))" }
            }
            throw ActionFailure(
                message: "\(report.differences) rows differ between \(report.source) and \(report.target) while "
                    + "replicating: " + rows.prefix(5).joined(separator: "; "))
        }
        for table in report.tables { if let note = table.note { context.note("\(table.name): \(note)") } }
        return [
            "differences": "0", "tables": String(report.tables.count),
            "rows": String(report.tables.reduce(0) { $0 + $1.rows }),
        ]
    }

    /// The target replicates from the source at the backup's position (the runbook's own output).
    /// The replicate step's request, as `replicate` builds it from its flags.
    public static func replicateRequest(_ values: StepValues) -> ReplicateRequest {
        var request = ReplicateRequest()
        request.backup = values.text("backup-file")
        request.databases = values.list("databases")
        request.user = values.text("replication-user") ?? request.user
        request.passwordFile = values.text("new-password-file")
        request.createUser = values.flag("create-replication-user")
        request.host = values.text("replication-host")
        request.port = values.number("replication-port")
        request.tlsCA = values.text("replication-ssl-ca")
        return request
    }

    static func replicate(_ values: StepValues, context: ActionContext) async throws -> [String: String] {
        let request = replicateRequest(values)
        let environment = values.replicationEnvironment
        let outcome = try await request.run(
            source: try values.connection("source").resolve(), target: try values.connection("target").resolve(),
            store: { try values.store.makeStore(forWriting: false) }, environment: environment)
        for finding in outcome.report.findings {
            context.note("\(finding.severity.rawValue) \(finding.check): \(finding.message)")
        }
        if let file = outcome.passwordWrittenTo { context.note("the replication account's password is in \(file)") }
        return [
            "start": outcome.report.start, "lag": String(outcome.report.lagTransactions ?? 0),
            "password-file": outcome.passwordWrittenTo ?? "",
        ]
    }

    /// The request of a cutover, revert or finish step, as `cutover` builds it from its flags. A cutover step goes
    /// forward, reversibly when its `reversible` input says so.
    public static func cutoverRequest(_ values: StepValues, action: String) throws -> CutoverRequest {
        var request = CutoverRequest()
        if let nodes = values.text("galera-nodes") {
            guard let parsed = GaleraNodes(parsing: nodes) else {
                throw ActionFailure(message: "galera-nodes '\(nodes)' is not auto, none or HOST:PORT,…")
            }
            request.galeraNodes = parsed
        }
        request.job.lock = values.flag("lock")
        if let maxLag = values.text("max-lag").flatMap({ UInt64($0) }) { request.job.maxLag = maxLag }
        if let wait = values.text("catch-up-timeout").flatMap({ Double($0) }) { request.job.catchUpTimeout = wait }
        if let timeout = values.text("cutover-timeout").flatMap({ Double($0) }) { request.job.timeout = timeout }
        switch action {
        case "revert": request.direction = .revert
        case "finish-way-back": request.direction = .finish
        default: request.direction = values.flag("reversible") ? .reversible : .forward
        }
        if let directory = values.text("verify-live-state-dir") { request.verifyStateDirectory = directory }
        request.replicationUser = values.text("replication-user") ?? request.replicationUser
        request.replicationPasswordFile = values.text("new-password-file")
        request.reverseHost = values.text("reverse-host")
        request.reversePort = values.number("reverse-port")
        request.replicationHost = values.text("replication-host")
        request.replicationPort = values.number("replication-port")
        return request
    }

    /// The cutover, revert and finish steps: `cutover` with the step's direction.
    static func cutover(
        action: String
    ) -> @Sendable (StepValues, ActionContext) async throws -> [String: String] {
        { values, context in
            let request = try cutoverRequest(values, action: action)
            let sourceSettings = try values.connection("source").resolve()
            let targetSettings = try values.connection("target").resolve()
            let source = try await MariaDBConnection.connect(sourceSettings)
            let target = try await MariaDBConnection.connect(targetSettings)
            let environment = values.replicationEnvironment
            let display = CutoverDisplay(
                mode: context.progressMode, jsonOutput: .standardOutput,
                tags: ["migration": context.migrationID, "step": context.stepID])
            defer { display.finish() }
            let outcome: CutoverRequest.Outcome
            do {
                outcome = try await request.run(
                    source: source, target: target, sourceSettings: sourceSettings, targetSettings: targetSettings,
                    environment: environment, events: display.show)
            } catch GaleraNodesError.cannotReach(let cluster, let detail, _) {
                // In a runbook the nodes are an input.
                throw GaleraNodesError.cannotReach(cluster: cluster, detail: detail, option: "--set galera-nodes=")
            }
            switch outcome {
            case .finished(let dropped, let server):
                context.note("dropped the reverse stream \(dropped) on \(server): no way back any more")
                return ["dropped": dropped]
            case .switched(let report):
                context.note(
                    "writes were refused for \(String(format: "%.2f", report.writeDowntimeSeconds)) s; "
                        + "\(report.source) stays read-only: point the applications at \(report.target)")
                if let note = report.otherNodesNote { context.note(note) }
                if let note = report.leftAccountsNote { context.note(note) }
                if let way = report.wayBack {
                    context.note(
                        "way back: \(report.source) replicates from \(report.target) through '\(way)'; "
                            + "mariadb-migrate migrate --resume \(context.migrationID) "
                            + (action == "revert"
                                ? "--redo cutover switches forward once more"
                                : "--set after-cutover=revert switches back, after-cutover=finish drops it"))
                }
                return [
                    "downtime-seconds": String(format: "%.3f", report.writeDowntimeSeconds),
                    "final-position": report.finalPosition, "way-back": report.wayBack ?? "",
                ]
            }
        }
    }
}
