import BackupEngine
import Foundation
import MariaDBClient
import ObjectStore
import Preflight
import UTCTime

/// What the `manifests` command and a runbook's manifests step ask for: everything but secret
/// values (those come as `ManifestSecrets`), so it can be stored in a state file.
public struct ManifestInputs: Codable, Sendable, Equatable {
    public var apiGroup = "enterprise.mariadb.com"
    public var namespace: String?
    public var name = "mariadb"
    public var replicas: Int?
    public var galera = false
    /// The operator's replication (a primary and replicas) instead of a single server.
    public var replication = false
    /// Start the servers with a row binlog that keeps what they apply (a reversible live cutover's way back
    /// replicates from it).
    public var binlog = false
    public var storageSize: String?
    public var image: String?
    /// The backup's server version when the source is not reachable (major.minor).
    public var mariadbVersion: String?
    /// name[:key] of the Secret with the root password.
    public var rootPasswordSecret = "mariadb:root-password"
    public var s3Bucket: String?
    public var s3Prefix: String?
    public var s3Endpoint: String?
    public var s3Region: String?
    public var s3TLS = false
    public var s3CredentialsSecret: String?
    public var s3CASecret: String?
    public var s3SSECSecret: String?
    public var backupRef: String?
    public var volumeClaim: String?
    /// server:/path
    public var volumeNFS: String?
    public var targetRecoveryTime: String?
    /// The backup to bootstrap from: its name sets targetRecoveryTime.
    public var backupFile: String?
    public var stagingSize: String?
    public var backupSchedule: String?
    public var backupMaxRetention: String?
    public var backupCompression = "gzip"
    public var restoreCR = false
    /// true: Secret manifests with the values given; false: only references to existing Secrets.
    public var writeSecrets = true
    /// The in-cluster route: the source's host as the cluster reaches it. The operator's own Job
    /// then dumps it (an ExternalMariaDB and a Backup; into S3 when a bucket is given, else a new
    /// volume of `backupStorageSize`), and the MariaDB bootstraps from that Backup.
    public var externalHost: String?
    public var externalPort: Int?
    public var externalUser = "root"
    /// name[:key] of the Secret with that user's password (default: NAME-source:password).
    public var externalPasswordSecret: String?
    public var backupStorageSize: String?
    /// Databases the in-cluster Backup dumps; empty: all.
    public var databases: [String] = []
    /// Do not connect to the source (no root password check; version and size must be given).
    public var skipSourceCheck = false
    /// Bootstrap from a physical backup (`backupContentType: Physical`): the source's own accounts
    /// come along, so root@localhost and root@'%' must take the root password.
    public var physical = false

    public init() {}

    var kind: BackupKind { physical ? .physical : .logical }

    /// The operator's `s3.endpoint` is host[:port], with `tls.enabled` beside it: a URL given as the endpoint
    /// (`https://minio:9000`, as aws-cli takes it) becomes the two.
    public var normalized: ManifestInputs {
        var copy = self
        if let endpoint = s3Endpoint, endpoint.contains("://"),
            let parsed = try? S3Endpoint.parse(endpoint, tlsEnabled: s3TLS)
        {
            copy.s3Endpoint = parsed.hostHeader
            copy.s3TLS = parsed.secure
        }
        return copy
    }

    /// The input rules, shared by the command's validate(), a prompt and an answers file.
    public func problems() -> [String] {
        var problems = ManifestCatalog.problems(apiGroup: apiGroup, mariaDB: name, namespace: namespace)
        if galera && replication { problems.append("Galera and replication exclude each other: choose one topology") }
        if let replicas, replicas < 1 { problems.append("replicas '\(replicas)' must be 1 or more") }
        if galera, let replicas, replicas % 2 == 0 {
            problems.append(
                "replicas '\(replicas)' is even: a Galera cluster needs an odd number of nodes so that a split "
                    + "leaves a majority (the mariadbs CRD refuses it)")
        }
        // In the in-cluster route an S3 bucket is where the operator's Backup writes, not a second source.
        let sources = [externalHost != nil || s3Bucket != nil, backupRef != nil, volumeClaim != nil, volumeNFS != nil]
            .filter { $0 }.count
        if sources != 1 {
            problems.append(
                "give exactly one backup source: an S3 bucket, a Backup reference, a volume claim, an NFS export "
                    + "or an external host for the in-cluster route")
        }
        if let s3Endpoint, s3Endpoint.contains("://") {
            do { _ = try S3Endpoint.parse(s3Endpoint, tlsEnabled: s3TLS) } catch {
                problems.append(error.localizedDescription)
            }
        }
        if s3Bucket != nil && s3Endpoint == nil {
            problems.append(
                "an S3 endpoint is required with an S3 bucket (the CRD requires spec.bootstrapFrom.s3.endpoint)")
        }
        if let targetRecoveryTime, UTCDateTime.parseRFC3339(targetRecoveryTime) == nil {
            problems.append(
                "target recovery time '\(targetRecoveryTime)' is not an RFC 3339 time: write e.g. 2024-08-26T12:24:34Z")
        }
        if let backupFile, targetRecoveryTime == nil, BackupName(parsing: backupFile, kind: kind) == nil {
            problems.append(
                "backup file '\(backupFile)' is not a \(kind.rawValue) backup name the operator reads ("
                    + (physical ? "physicalbackup-<YYYYMMDDHHMMSS>.xb[.gz|.bz2])" : "backup.<time>.sql[.gz|.bz2])"))
        }
        if physical && restoreCR {
            problems.append("a Restore resource replays a logical backup: drop --restore-cr with --physical")
        }
        if physical && (externalHost != nil || backupRef != nil) {
            problems.append(
                "a physical bootstrap reads an S3 bucket or a volume that 'mariadb-migrate backup --physical' wrote "
                    + "(the operator's PhysicalBackup cannot reach an external server): drop "
                    + (externalHost != nil ? "--external-host" : "--backup-ref") + " or --physical")
        }
        if let volumeNFS {
            let parts = volumeNFS.split(separator: ":", maxSplits: 1)
            if parts.count != 2 || !parts[1].hasPrefix("/") {
                problems.append("NFS export '\(volumeNFS)' is not server:/path")
            }
        }
        if let mariadbVersion, mariadbVersion.split(separator: ".").compactMap({ Int($0) }).count < 2 {
            problems.append("MariaDB version '\(mariadbVersion)' is not major.minor (e.g. 10.11)")
        }
        return problems
    }
}

/// Secret values for the Secret manifests, read by the caller from files, the environment or a prompt.
public struct ManifestSecrets: Sendable {
    public var rootPassword: String?
    public var s3AccessKeyId: String?
    public var s3SecretAccessKey: String?
    public var s3SessionToken: String?
    public var s3CAPEM: String?
    public var s3SSECKey: String?
    /// The password of the in-cluster route's ExternalMariaDB user.
    public var externalPassword: String?

    public init(
        rootPassword: String? = nil, s3AccessKeyId: String? = nil, s3SecretAccessKey: String? = nil,
        s3SessionToken: String? = nil, s3CAPEM: String? = nil, s3SSECKey: String? = nil, externalPassword: String? = nil
    ) {
        self.externalPassword = externalPassword
        self.rootPassword = rootPassword
        self.s3AccessKeyId = s3AccessKeyId
        self.s3SecretAccessKey = s3SecretAccessKey
        self.s3SessionToken = s3SessionToken
        self.s3CAPEM = s3CAPEM
        self.s3SSECKey = s3SSECKey
    }
}

public enum ManifestJobError: Error, LocalizedError, Equatable {
    case invalid(String)
    case rootPasswordRefused(endpoint: String, message: String)
    case rootAccounts(endpoint: String, problems: [String])
    case invalidDocuments([String])

    public var errorDescription: String? {
        switch self {
        case .invalid(let message): return message
        case .rootPasswordRefused(let endpoint, let message):
            return
                "the root password given does not log in as root on the source \(endpoint) (\(message)): "
                + "the restored MariaDB would fail its probes; nothing was written"
        case .rootAccounts(let endpoint, let problems):
            return "a physical bootstrap keeps the accounts of \(endpoint), and " + problems.joined(separator: "; and ")
                + " (the operator's probes log in as root@localhost, the operator as root@'%', both with the root "
                + "Secret); nothing was written"
        case .invalidDocuments(let faults):
            return "the generated manifests do not validate (a bug; nothing was written): "
                + faults.joined(separator: "; ")
        }
    }
}

public enum ManifestJob {
    public struct Result: Sendable {
        public var documents: [ManifestDocument]
        /// What the job checked or assumed, one line each (root login, a Secret that must exist).
        public var notes: [String]
    }

    /// Builds and validates the documents. Unless `skipSourceCheck`, logs in as root on the
    /// source with the root password (the operator's probes will use it after the restore) and
    /// takes the image and storage size from the source.
    public static func run(
        _ inputs: ManifestInputs, secrets: ManifestSecrets, source: ConnectionSettings?
    ) async throws -> Result {
        if let problem = inputs.problems().first { throw ManifestJobError.invalid(problem) }
        var plan = try plan(inputs, secrets: secrets)
        var notes: [String] = []
        if !inputs.skipSourceCheck, var settings = source {
            settings.user = "root"
            if let password = secrets.rootPassword { settings.password = password }
            let connection: MariaDBConnection
            do {
                connection = try await MariaDBConnection.connect(settings)
            } catch let error as MariaDBError where error.isAccessDenied {
                throw ManifestJobError.rootPasswordRefused(
                    endpoint: settings.endpointDescription, message: error.message)
            }
            if inputs.physical {
                let statements = await RootAccounts.createUserStatements(on: connection)
                let problems = RootAccounts.problems(createUser: statements, password: settings.password ?? "")
                guard problems.isEmpty else {
                    throw ManifestJobError.rootAccounts(endpoint: settings.endpointDescription, problems: problems)
                }
                notes.append("checked: root@localhost and root@'%' on the source take the root password")
            }
            let survey = try await SourceSurvey.take(from: connection)
            notes.append(
                "checked: the root password logs in as root on \(settings.endpointDescription) "
                    + "(MariaDB \(survey.server.version))"
            )
            if inputs.image == nil {
                plan.image = ManifestPlan.image(
                    apiGroup: inputs.apiGroup, major: survey.server.major, minor: survey.server.minor)
            }
            if inputs.storageSize == nil {
                plan.storageSize = ManifestPlan.suggestedStorage(dataBytes: survey.totals.sizeBytes)
            }
            plan.authPluginLibraries = try await connection.query(
                """
                SELECT DISTINCT p.PLUGIN_LIBRARY FROM mysql.user u JOIN information_schema.PLUGINS p
                  ON p.PLUGIN_NAME = u.plugin AND p.PLUGIN_TYPE = 'AUTHENTICATION' AND p.PLUGIN_LIBRARY IS NOT NULL
                """
            ).rows.compactMap { $0[0].string }
            if let cnf = ManifestPlan.myCnf(pluginLibraries: plan.authPluginLibraries, binlog: false) {
                notes.append(
                    "the source's accounts use authentication plugins a server does not build in: the MariaDB loads "
                        + "them (myCnf: \(cnf.split(separator: "\n").dropFirst().joined(separator: "; ")))")
            }
        } else if inputs.image == nil, let version = inputs.mariadbVersion {
            let parts = version.split(separator: ".").compactMap { Int($0) }
            plan.image = ManifestPlan.image(apiGroup: inputs.apiGroup, major: parts[0], minor: parts[1])
        }
        if inputs.writeSecrets, let rootPassword = secrets.rootPassword {
            plan.secrets.insert(
                .init(name: plan.rootPassword.name, values: [(plan.rootPassword.key, rootPassword)]), at: 0)
        } else if secrets.rootPassword == nil {
            notes.append(
                "note: no root password given: the Secret '\(plan.rootPassword.name)' (key \(plan.rootPassword.key)) "
                    + "must exist and hold the source's root password"
            )
        }
        let documents = plan.documents()
        let faults = documents.flatMap { document in
            ManifestCatalog.validate(document.json).map { "\(document.fileName): \($0)" }
        }
        guard faults.isEmpty else { throw ManifestJobError.invalidDocuments(faults) }
        return Result(documents: documents, notes: notes)
    }

    /// The plan from the inputs, pure but for the secret values it carries.
    public static func plan(_ given: ManifestInputs, secrets: ManifestSecrets) throws -> ManifestPlan {
        let inputs = given.normalized
        let source: BackupSource
        var secretFiles: [ManifestPlan.SecretFile] = []
        let write = inputs.writeSecrets
        if let bucket = inputs.s3Bucket, let endpoint = inputs.s3Endpoint {
            var s3 = BackupSource.S3(
                bucket: bucket, prefix: inputs.s3Prefix, endpoint: endpoint, region: inputs.s3Region, tls: inputs.s3TLS)
            if let secret = inputs.s3CredentialsSecret {
                s3.accessKeyId = SecretKeyRef(name: secret, key: "access-key-id")
                s3.secretAccessKey = SecretKeyRef(name: secret, key: "secret-access-key")
                if secrets.s3SessionToken != nil { s3.sessionToken = SecretKeyRef(name: secret, key: "session-token") }
                if write, let id = secrets.s3AccessKeyId, let key = secrets.s3SecretAccessKey {
                    var values = [("access-key-id", id), ("secret-access-key", key)]
                    if let token = secrets.s3SessionToken { values.append(("session-token", token)) }
                    secretFiles.append(.init(name: secret, values: values.map { (key: $0.0, value: $0.1) }))
                }
            }
            if let caSecret = inputs.s3CASecret {
                let ref = SecretKeyRef.parse(caSecret, defaultKey: "ca.crt")
                s3.ca = ref
                if write, let pem = secrets.s3CAPEM {
                    secretFiles.append(.init(name: ref.name, values: [(ref.key, pem + "\n")]))
                }
            }
            if let ssecSecret = inputs.s3SSECSecret {
                let ref = SecretKeyRef.parse(ssecSecret, defaultKey: "customer-key")
                s3.customerKey = ref
                if write, let key = secrets.s3SSECKey {
                    secretFiles.append(.init(name: ref.name, values: [(ref.key, key)]))
                }
            }
            source = .s3(s3)
        } else if inputs.externalHost != nil {
            source = .backupRef("\(inputs.name)-migration")
        } else if let backupRef = inputs.backupRef {
            source = .backupRef(backupRef)
        } else if let claim = inputs.volumeClaim {
            source = .persistentVolumeClaim(claim)
        } else {
            let parts = (inputs.volumeNFS ?? "").split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[1].hasPrefix("/") else {
                throw ManifestJobError.invalid("NFS export '\(inputs.volumeNFS ?? "")' is not server:/path")
            }
            source = .nfs(server: parts[0], path: parts[1])
        }
        var plan = ManifestPlan(source: source)
        plan.apiGroup = inputs.apiGroup
        plan.namespace = inputs.namespace
        plan.name = inputs.name
        plan.replicas = inputs.replicas
        plan.galera = inputs.galera
        plan.replication = inputs.replication
        plan.binlog = inputs.binlog
        plan.image = inputs.image
        if let size = inputs.storageSize { plan.storageSize = size }
        plan.rootPassword = SecretKeyRef.parse(inputs.rootPasswordSecret, defaultKey: "root-password")
        plan.targetRecoveryTime =
            inputs.targetRecoveryTime
            ?? inputs.backupFile.flatMap { BackupName(parsing: $0, kind: inputs.kind)?.time.rfc3339 }
        plan.physical = inputs.physical
        plan.stagingStorageSize = inputs.stagingSize
        if inputs.backupSchedule != nil || inputs.backupMaxRetention != nil {
            plan.backup = .init(
                name: "\(inputs.name)-backup", schedule: inputs.backupSchedule, maxRetention: inputs.backupMaxRetention,
                compression: inputs.backupCompression)
        }
        if inputs.restoreCR { plan.restoreName = "\(inputs.name)-restore" }
        if let host = inputs.externalHost {
            let name = "\(inputs.name)-source"
            let password = SecretKeyRef.parse(
                inputs.externalPasswordSecret ?? "\(name):password", defaultKey: "password")
            if write, let value = secrets.externalPassword {
                secretFiles.append(.init(name: password.name, values: [(password.key, value)]))
            }
            let backupName = "\(inputs.name)-migration"
            var s3: BackupSource.S3?
            if case .s3(let bucket) = source { s3 = bucket }
            plan.source = .backupRef(backupName)
            plan.external = .init(
                name: name, host: host, port: inputs.externalPort, username: inputs.externalUser, password: password,
                backupName: backupName, s3: s3, storageSize: inputs.backupStorageSize ?? plan.storageSize,
                databases: inputs.databases)
        }
        plan.secrets = secretFiles
        return plan
    }
}

extension RootAccounts {
    /// `SHOW CREATE USER` of root at each of `hosts` on `connection`: every host a key, its value nil where the
    /// account does not exist.
    public static func createUserStatements(on connection: MariaDBConnection) async -> [String: String?] {
        var statements: [String: String?] = [:]
        for host in hosts {
            let user = "'root'@\(SQLQuoting.literal(host))"
            // Typed first: `try?` straight into the subscript would take its type and drop the key on an error.
            let statement: String? = try? await connection.query("SHOW CREATE USER \(user)").rows.first?[0].string
            statements[host] = .some(statement)
        }
        return statements
    }
}
