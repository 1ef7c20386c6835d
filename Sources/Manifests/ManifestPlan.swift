import Dump
import Foundation

/// A reference to one key of a Secret, as the CRDs spell it (`name`, `key`).
public struct SecretKeyRef: Sendable, Equatable {
    public var name: String
    public var key: String
    public init(name: String, key: String) {
        self.name = name
        self.key = key
    }

    /// `name` or `name:key`. Pure.
    public static func parse(_ text: String, defaultKey: String) -> SecretKeyRef {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        return SecretKeyRef(name: parts.first ?? "", key: parts.count > 1 ? parts[1] : defaultKey)
    }

    var json: JSON { .object(["name": .string(name), "key": .string(key)]) }
}

/// Where the cluster finds the backup (`bootstrapFrom`, `Restore`, `Backup.storage`).
public enum BackupSource: Sendable, Equatable {
    public struct S3: Sendable, Equatable {
        public var bucket: String
        public var prefix: String?
        public var endpoint: String
        public var region: String?
        public var accessKeyId: SecretKeyRef?
        public var secretAccessKey: SecretKeyRef?
        public var sessionToken: SecretKeyRef?
        public var tls: Bool
        public var ca: SecretKeyRef?
        public var customerKey: SecretKeyRef?

        public init(
            bucket: String, prefix: String? = nil, endpoint: String, region: String? = nil,
            accessKeyId: SecretKeyRef? = nil,
            secretAccessKey: SecretKeyRef? = nil, sessionToken: SecretKeyRef? = nil, tls: Bool = false,
            ca: SecretKeyRef? = nil,
            customerKey: SecretKeyRef? = nil
        ) {
            self.bucket = bucket
            self.prefix = prefix
            self.endpoint = endpoint
            self.region = region
            self.accessKeyId = accessKeyId
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
            self.tls = tls
            self.ca = ca
            self.customerKey = customerKey
        }
    }

    case s3(S3)
    case backupRef(String)
    case persistentVolumeClaim(String)
    case nfs(server: String, path: String)

    var s3JSON: JSON? {
        guard case .s3(let s3) = self else { return nil }
        return .object([
            "bucket": .string(s3.bucket),
            "prefix": s3.prefix.map(JSON.string),
            "endpoint": .string(s3.endpoint),
            "region": s3.region.map(JSON.string),
            "accessKeyIdSecretKeyRef": s3.accessKeyId?.json,
            "secretAccessKeySecretKeyRef": s3.secretAccessKey?.json,
            "sessionTokenSecretKeyRef": s3.sessionToken?.json,
            "tls": s3.tls || s3.ca != nil ? .object(["enabled": .bool(true), "caSecretKeyRef": s3.ca?.json]) : nil,
            "ssec": s3.customerKey.map { .object(["customerKeySecretKeyRef": $0.json]) },
        ])
    }

    var volumeJSON: JSON? {
        switch self {
        case .persistentVolumeClaim(let claim):
            return .object(["persistentVolumeClaim": .object(["claimName": .string(claim)])])
        case .nfs(let server, let path):
            return .object(["nfs": .object(["server": .string(server), "path": .string(path)])])
        default: return nil
        }
    }
}

/// Everything the generated manifests say. Secret values are only here when the user gave them
/// (`--secrets write`); CRs only ever reference Secrets.
public struct ManifestPlan: Sendable {
    public struct SecretFile: Sendable, Equatable {
        public var name: String
        public var values: [(key: String, value: String)]
        public init(name: String, values: [(key: String, value: String)]) {
            self.name = name
            self.values = values
        }
        public static func == (a: SecretFile, b: SecretFile) -> Bool {
            a.name == b.name && a.values.map(\.key) == b.values.map(\.key)
                && a.values.map(\.value) == b.values.map(\.value)
        }
    }

    public struct BackupCR: Sendable, Equatable {
        public var name: String
        public var schedule: String?
        public var maxRetention: String?
        public var compression: String
        public init(name: String, schedule: String? = nil, maxRetention: String? = nil, compression: String = "gzip") {
            self.name = name
            self.schedule = schedule
            self.maxRetention = maxRetention
            self.compression = compression
        }
    }

    public var apiGroup = "enterprise.mariadb.com"
    public var namespace: String?
    public var name = "mariadb"
    public var rootPassword = SecretKeyRef(name: "mariadb", key: "root-password")
    public var replicas: Int?
    public var galera = false
    /// Primary and replicas kept by the operator's replication (spec.replication.enabled).
    public var replication = false
    /// Every pod keeps a row binlog with what it applies (spec.myCnf), for a reversible cutover's way back.
    public var binlog = false
    public var storageSize = "1Gi"
    public var image: String?
    public var source: BackupSource
    public var targetRecoveryTime: String?
    /// `bootstrapFrom.backupContentType: Physical`: a mariadb-backup stream, not SQL.
    public var physical = false
    public var stagingStorageSize: String?
    public var backup: BackupCR?
    public var restoreName: String?
    /// The in-cluster route: the operator's own Job dumps this ExternalMariaDB into a Backup,
    /// and the MariaDB bootstraps from that Backup (`source` is then its `backupRef`).
    public var external: ExternalSource?
    /// Libraries of the authentication plugins the source's accounts use that a server does not build in
    /// (`auth_ed25519`): every pod loads them (spec.myCnf), or the User CRs of those accounts fail with error
    /// 1524 ('Plugin … is not loaded'), on each Galera node and replica alike.
    public var authPluginLibraries: [String] = []
    /// Secret manifests to write (empty with `--secrets reference`).
    public var secrets: [SecretFile] = []

    public init(source: BackupSource) { self.source = source }

    public struct ExternalSource: Sendable, Equatable {
        /// The ExternalMariaDB's name.
        public var name: String
        /// Host and port as the cluster reaches the source.
        public var host: String
        public var port: Int?
        public var username: String
        public var password: SecretKeyRef?
        /// The Backup the operator takes of it.
        public var backupName: String
        /// Where that Backup writes: S3, or else a new PersistentVolumeClaim of `storageSize`.
        public var s3: BackupSource.S3?
        public var storageSize: String
        public var databases: [String]

        public init(
            name: String, host: String, port: Int?, username: String, password: SecretKeyRef?, backupName: String,
            s3: BackupSource.S3?, storageSize: String, databases: [String]
        ) {
            self.name = name
            self.host = host
            self.port = port
            self.username = username
            self.password = password
            self.backupName = backupName
            self.s3 = s3
            self.storageSize = storageSize
            self.databases = databases
        }
    }

    /// The ExternalMariaDB and the one-off Backup of it. On a Galera target the Backup leaves
    /// every privilege table out and skips LOCK TABLES, as `backup --galera` does.
    func externalDocuments(_ external: ExternalSource) -> [ManifestDocument] {
        let source = ManifestDocument(
            kind: "ExternalMariaDB", name: external.name, isSecret: false,
            json: .object([
                "apiVersion": apiVersion, "kind": .string("ExternalMariaDB"), "metadata": metadata(external.name),
                "spec": .object([
                    "host": .string(external.host),
                    "port": external.port.map { .int(Int64($0)) },
                    "username": .string(external.username),
                    "passwordSecretKeyRef": external.password?.json,
                ]),
            ]))
        let storage: JSON =
            external.s3.map { .object(["s3": BackupSource.s3($0).s3JSON]) }
            ?? .object([
                "persistentVolumeClaim": .object([
                    "resources": .object(["requests": .object(["storage": .string(external.storageSize)])]),
                    "accessModes": .array([.string("ReadWriteOnce")]),
                ])
            ])
        let galeraArguments = ["--skip-add-locks"] + DumpOptions.privilegeTables.map { "--ignore-table=mysql.\($0)" }
        let backup = ManifestDocument(
            kind: "Backup", name: external.backupName, isSecret: false,
            json: .object([
                "apiVersion": apiVersion, "kind": .string("Backup"), "metadata": metadata(external.backupName),
                "spec": .object([
                    "mariaDbRef": .object(["name": .string(external.name), "kind": .string("ExternalMariaDB")]),
                    "databases": external.databases.isEmpty ? nil : .array(external.databases.map(JSON.string)),
                    "compression": .string("gzip"),
                    "ignoreGlobalPriv": galera ? .bool(true) : nil,
                    "args": galera ? .array(galeraArguments.map(JSON.string)) : nil,
                    "storage": storage,
                ]),
            ]))
        return [source, backup]
    }

    var apiVersion: JSON { .string("\(apiGroup)/v1alpha1") }

    func metadata(_ name: String) -> JSON { .object(["name": .string(name), "namespace": namespace.map(JSON.string)]) }

    /// The documents in the order kubectl should apply them: Secrets, MariaDB, Backup, Restore.
    public func documents() -> [ManifestDocument] {
        var documents: [ManifestDocument] = secrets.map { secret in
            ManifestDocument(
                kind: "Secret", name: secret.name, isSecret: true,
                json: .object([
                    "apiVersion": .string("v1"), "kind": .string("Secret"), "metadata": metadata(secret.name),
                    "type": .string("Opaque"),
                    "stringData": .object(secret.values.map { JSON.Field($0.key, .string($0.value)) }),
                ]))
        }
        var bootstrap: [JSON.Field] = []
        switch source {
        case .s3: bootstrap.append(.init("s3", source.s3JSON!))
        case .backupRef(let backup): bootstrap.append(.init("backupRef", .object(["name": .string(backup)])))
        case .persistentVolumeClaim, .nfs: bootstrap.append(.init("volume", source.volumeJSON!))
        }
        if physical { bootstrap.append(.init("backupContentType", .string("Physical"))) }
        if let targetRecoveryTime { bootstrap.append(.init("targetRecoveryTime", .string(targetRecoveryTime))) }
        if let stagingStorageSize {
            bootstrap.append(
                .init(
                    "stagingStorage",
                    .object([
                        "persistentVolumeClaim": .object([
                            "resources": .object(["requests": .object(["storage": .string(stagingStorageSize)])]),
                            "accessModes": .array([.string("ReadWriteOnce")]),
                        ])
                    ])))
        }
        if let external { documents += externalDocuments(external) }
        let effectiveReplicas = replicas ?? (galera || replication ? 3 : nil)
        documents.append(
            ManifestDocument(
                kind: "MariaDB", name: name, isSecret: false,
                json: .object([
                    "apiVersion": apiVersion, "kind": .string("MariaDB"), "metadata": metadata(name),
                    "spec": .object([
                        "image": image.map(JSON.string),
                        "rootPasswordSecretKeyRef": rootPassword.json,
                        "replicas": effectiveReplicas.map { .int(Int64($0)) },
                        "galera": galera ? .object(["enabled": .bool(true)]) : nil,
                        "replication": replication ? .object(["enabled": .bool(true)]) : nil,
                        "storage": .object(["size": .string(storageSize)]),
                        "myCnf": Self.myCnf(pluginLibraries: authPluginLibraries, binlog: binlog).map(JSON.string),
                        "bootstrapFrom": .object(bootstrap),
                    ]),
                ])))
        if let backup {
            var storage: JSON
            switch source {
            case .s3: storage = .object(["s3": source.s3JSON])
            case .persistentVolumeClaim, .nfs: storage = .object(["volume": source.volumeJSON])
            case .backupRef:
                storage = .object([
                    "persistentVolumeClaim": .object([
                        "resources": .object(["requests": .object(["storage": .string(storageSize)])]),
                        "accessModes": .array([.string("ReadWriteOnce")]),
                    ])
                ])
            }
            documents.append(
                ManifestDocument(
                    kind: "Backup", name: backup.name, isSecret: false,
                    json: .object([
                        "apiVersion": apiVersion, "kind": .string("Backup"), "metadata": metadata(backup.name),
                        "spec": .object([
                            "mariaDbRef": .object(["name": .string(name)]),
                            "schedule": backup.schedule.map {
                                .object(["cron": .string($0), "suspend": .bool(false)])
                            },
                            "maxRetention": backup.maxRetention.map(JSON.string),
                            "compression": .string(backup.compression),
                            "ignoreGlobalPriv": galera ? .bool(true) : nil,
                            "storage": storage,
                        ]),
                    ])))
        }
        if let restoreName {
            var spec: [JSON.Field] = [.init("mariaDbRef", .object(["name": .string(name)]))]
            switch source {
            case .s3: spec.append(.init("s3", source.s3JSON!))
            case .backupRef(let backup): spec.append(.init("backupRef", .object(["name": .string(backup)])))
            case .persistentVolumeClaim, .nfs: spec.append(.init("volume", source.volumeJSON!))
            }
            if let targetRecoveryTime { spec.append(.init("targetRecoveryTime", .string(targetRecoveryTime))) }
            documents.append(
                ManifestDocument(
                    kind: "Restore", name: restoreName, isSecret: false,
                    json: .object([
                        "apiVersion": apiVersion, "kind": .string("Restore"), "metadata": metadata(restoreName),
                        "spec": .object(spec),
                    ])))
        }
        return documents
    }

    /// The storage a MariaDB needs for `dataBytes` of data: twice it (indexes rebuilt, binlogs,
    /// growth), rounded up to whole GiB, at least 1Gi. Pure.
    public static func suggestedStorage(dataBytes: UInt64) -> String {
        let gib = (dataBytes * 2 + (1 << 30) - 1) >> 30
        return "\(max(1, gib))Gi"
    }

    /// The MariaDB's spec.myCnf that loads `libraries` (file names with or without `.so`) and, with `binlog`, keeps
    /// a row binlog of every write a pod takes or applies (from the source, from Galera); nil for neither. Pure.
    public static func myCnf(pluginLibraries libraries: [String], binlog: Bool) -> String? {
        let names = Set(libraries.map { $0.hasSuffix(".so") ? String($0.dropLast(3)) : $0 }.filter { !$0.isEmpty })
        let lines =
            names.sorted().map { "plugin_load_add = \($0)" }
            + (binlog ? ["log_bin = mariadb-bin", "binlog_format = ROW", "log_slave_updates = ON"] : [])
        guard !lines.isEmpty else { return nil }
        return "[mariadb]\n" + lines.map { $0 + "\n" }.joined()
    }

    /// The server image for a source's major.minor: the Enterprise registry for the Enterprise
    /// API group, the community one otherwise. Pure.
    public static func image(apiGroup: String, major: Int, minor: Int) -> String {
        apiGroup == "enterprise.mariadb.com"
            ? "docker.mariadb.com/enterprise-server:\(major).\(minor)"
            : "docker-registry1.mariadb.com/library/mariadb:\(major).\(minor)"
    }
}

/// One generated manifest.
public struct ManifestDocument: Sendable, Equatable {
    public var kind: String
    public var name: String
    public var isSecret: Bool
    public var json: JSON

    public init(kind: String, name: String, isSecret: Bool, json: JSON) {
        self.kind = kind
        self.name = name
        self.isSecret = isSecret
        self.json = json
    }

    /// `secret-mariadb.yaml`, `mariadb-mariadb.yaml`, …
    public var fileName: String { "\(kind.lowercased())-\(name).yaml" }
}
