import ArgumentParser
import BackupEngine
import Foundation
import Manifests
import MariaDBClient
import Preflight
import Terminal
import UTCTime

extension MariaDBMigrate {
    /// The runbook's step 3, written right: the MariaDB that bootstraps from the backup, its Secrets,
    /// and optional Backup and Restore CRs, validated against the operator's CRD schemas.
    struct Manifests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the MariaDB (bootstrapFrom), Secret, Backup and Restore manifests, validated offline against the CRD schemas.",
            subcommands: [Generate.self, Validate.self],
            defaultSubcommand: Generate.self)
    }
}

extension MariaDBMigrate.Manifests {
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "generate", abstract: "Generate the manifests (the default).")

        @OptionGroup(title: "Source connection (checks the root password, reads the version and size)") var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        @Option(help: "enterprise.mariadb.com (Enterprise operator) or k8s.mariadb.com (community operator).")
        var apiGroup = "enterprise.mariadb.com"
        @Option(help: "Namespace for every resource (default: none, kubectl's current).")
        var namespace: String?
        @Option(help: "Name of the MariaDB resource.")
        var name = "mariadb"
        @Option(help: "Instances (default: 3 with --galera, else the operator's 1).")
        var replicas: Int?
        @Flag(help: "Galera cluster (galera.enabled; the Backup CR gets ignoreGlobalPriv).")
        var galera = false
        @Option(help: "Volume size per instance (default: twice the source's data, at least 1Gi).")
        var storageSize: String?
        @Option(help: "Server image (default: the source's major.minor from the operator's registry).")
        var image: String?
        @Option(help: ArgumentHelp("The backup's server version when the source is not reachable (e.g. 10.11).", valueName: "major.minor"))
        var mariadbVersion: String?

        @Option(help: ArgumentHelp("Secret and key holding the root password.", valueName: "name[:key]"))
        var rootPasswordSecret = "mariadb:root-password"
        @Option(help: ArgumentHelp("The source's root password (checked against the source; written to the Secret).", valueName: "path"))
        var rootPasswordFile: String?

        @Option(help: "S3 bucket of the backup.") var s3Bucket: String?
        @Option(help: "S3 prefix of the backup.") var s3Prefix: String?
        @Option(help: ArgumentHelp("S3 endpoint as the cluster reaches it (host:port).", valueName: "host:port")) var s3Endpoint: String?
        @Option(help: "S3 region.") var s3Region: String?
        @Flag(help: "TLS to the S3 endpoint (tls.enabled).") var s3Tls = false
        @Option(help: ArgumentHelp("Secret holding the S3 keys (keys access-key-id, secret-access-key).", valueName: "name")) var s3CredentialsSecret: String?
        @Option(help: ArgumentHelp("File with the S3 access key id, for the Secret.", valueName: "path")) var s3AccessKeyIdFile: String?
        @Option(help: ArgumentHelp("File with the S3 secret access key, for the Secret.", valueName: "path")) var s3SecretAccessKeyFile: String?
        @Option(help: ArgumentHelp("File with an S3 session token, for the Secret.", valueName: "path")) var s3SessionTokenFile: String?
        @Option(help: ArgumentHelp("Secret and key of the CA that signs the S3 endpoint.", valueName: "name[:key]")) var s3CaSecret: String?
        @Option(help: ArgumentHelp("PEM file of that CA, for the Secret.", valueName: "path")) var s3CaFile: String?
        @Option(help: ArgumentHelp("Secret and key of the SSE-C customer key.", valueName: "name[:key]")) var s3SsecSecret: String?
        @Option(help: ArgumentHelp("File with the base64 SSE-C key, for the Secret.", valueName: "path")) var s3SsecKeyFile: String?

        @Option(help: ArgumentHelp("Bootstrap from this Backup resource instead of S3.", valueName: "name")) var backupRef: String?
        @Option(help: ArgumentHelp("Bootstrap from this PersistentVolumeClaim (the directory store) instead of S3.", valueName: "claim")) var volumeClaim: String?
        @Option(help: ArgumentHelp("Bootstrap from an NFS export instead of S3.", valueName: "server:/path")) var volumeNfs: String?

        @Option(help: ArgumentHelp("targetRecoveryTime (RFC 3339); default: the time in --backup-file's name, else none (the newest).", valueName: "time"))
        var targetRecoveryTime: String?
        @Option(help: ArgumentHelp("The backup to bootstrap from (its name sets targetRecoveryTime).", valueName: "name")) var backupFile: String?
        @Option(help: ArgumentHelp("Stage the download on a PVC of this size (stagingStorage).", valueName: "size")) var stagingSize: String?

        @Option(help: ArgumentHelp("Also write a Backup CR for scheduled backups in the cluster, on this cron.", valueName: "cron")) var backupSchedule: String?
        @Option(help: "maxRetention of that Backup CR (e.g. 720h).") var backupMaxRetention: String?
        @Option(help: "compression of that Backup CR (none, gzip, bzip2).") var backupCompression = "gzip"
        @Flag(help: "Also write a Restore CR for a later restore from the same source.") var restoreCr = false

        @Option(help: "write: Secret manifests with the values given (mode 0600 files); reference: only refer to existing Secrets.")
        var secrets = "write"
        @Option(help: ArgumentHelp("Directory to write to (with a kustomization.yaml).", valueName: "dir"))
        var outputDir = "migration-out/manifests"
        @Flag(help: "Print the manifests as one multi-document YAML stream instead (Secrets left out).") var stdout = false
        @Flag(help: "With --stdout, print the Secrets too.") var includeSecrets = false
        @Flag(help: "Do not connect to the source (no root password check; give --mariadb-version and --storage-size).") var skipSourceCheck = false

        func validate() throws {
            guard ManifestCatalog.apiGroups.contains(apiGroup) else {
                throw ValidationError("--api-group '\(apiGroup)' is not one of \(ManifestCatalog.apiGroups.joined(separator: ", "))")
            }
            guard ["write", "reference"].contains(secrets) else { throw ValidationError("--secrets '\(secrets)' is not write or reference") }
            guard ManifestCatalog.isDNS1123Label(name) else {
                throw ValidationError("--name '\(name)' is not a DNS-1123 label: lowercase letters, digits and '-', at most 63, starting and ending with a letter or digit")
            }
            if let namespace, !ManifestCatalog.isDNS1123Label(namespace) { throw ValidationError("--namespace '\(namespace)' is not a DNS-1123 label") }
            let sources = [s3Bucket != nil, backupRef != nil, volumeClaim != nil, volumeNfs != nil].filter { $0 }.count
            guard sources == 1 else { throw ValidationError("give exactly one backup source: --s3-bucket, --backup-ref, --volume-claim or --volume-nfs") }
            if s3Bucket != nil && s3Endpoint == nil { throw ValidationError("--s3-endpoint is required with --s3-bucket (the CRD requires spec.bootstrapFrom.s3.endpoint)") }
            if let targetRecoveryTime, UTCDateTime.parseRFC3339(targetRecoveryTime) == nil {
                throw ValidationError("--target-recovery-time '\(targetRecoveryTime)' is not an RFC 3339 time: write e.g. 2024-08-26T12:24:34Z")
            }
        }

        func readSecretFile(_ path: String, option: String) throws -> String { try InputFiles.trimmed(path, option: option) }

        func run() async throws {
            var plan = try makePlan()
            let rootPassword = try rootPasswordFile.map { try readSecretFile($0, option: "--root-password-file") }
            if !skipSourceCheck {
                // The check is of root's password: root is the user whatever else was given.
                var options = connection
                options.user = "root"
                var settings = try options.resolve(prompter: nil)
                if let rootPassword { settings.password = rootPassword }
                // The operator's probes log in as root with this password after the restore: it must match the backup.
                let source: MariaDBConnection
                do {
                    source = try await MariaDBConnection.connect(settings)
                } catch let error as MariaDBError where error.isAccessDenied {
                    throw ValidationError("the root password given does not log in as root on the source \(settings.endpointDescription) (\(error.message)): the restored MariaDB would fail its probes; nothing was written")
                }
                let survey = try await SourceSurvey.take(from: source)
                let facts = survey.server
                FileHandle.standardError.write(Data("checked: the root password logs in as root on \(settings.endpointDescription) (MariaDB \(facts.version))\n".utf8))
                if image == nil { plan.image = ManifestPlan.image(apiGroup: apiGroup, major: facts.major, minor: facts.minor) }
                if storageSize == nil { plan.storageSize = ManifestPlan.suggestedStorage(dataBytes: survey.totals.sizeBytes) }
            } else if image == nil, let mariadbVersion {
                let parts = mariadbVersion.split(separator: ".").compactMap { Int($0) }
                guard parts.count >= 2 else { throw ValidationError("--mariadb-version '\(mariadbVersion)' is not major.minor (e.g. 10.11)") }
                plan.image = ManifestPlan.image(apiGroup: apiGroup, major: parts[0], minor: parts[1])
            }
            if secrets == "write", let rootPassword {
                plan.secrets.insert(.init(name: plan.rootPassword.name, values: [(plan.rootPassword.key, rootPassword)]), at: 0)
            } else if rootPassword == nil {
                FileHandle.standardError.write(Data("note: no --root-password-file: the Secret '\(plan.rootPassword.name)' (key \(plan.rootPassword.key)) must exist and hold the source's root password\n".utf8))
            }

            let documents = plan.documents()
            var faults: [String] = []
            for document in documents {
                for issue in ManifestCatalog.validate(document.json) { faults.append("\(document.fileName): \(issue)") }
            }
            guard faults.isEmpty else { throw ValidationError("the generated manifests do not validate (a bug; nothing was written): " + faults.joined(separator: "; ")) }

            if stdout {
                let shown = documents.filter { includeSecrets || !$0.isSecret }
                print(try YAMLOutput.stream(shown.map(\.json)), terminator: "")
                return
            }
            try write(documents, namespace: namespace)
        }

        func write(_ documents: [ManifestDocument], namespace: String?) throws {
            let files = try ManifestDirectory.write(documents, to: outputDir)
            if output.json {
                struct Written: Codable { var directory: String; var files: [String]; var secrets: [String] }
                try output.printJSON(Written(directory: outputDir, files: files.map(\.name), secrets: files.filter(\.secret).map(\.name)))
            } else {
                print("wrote \(files.count) files to \(outputDir) (apply with: kubectl apply -k \(outputDir))")
                for file in files { print("  \(file.name)\(file.secret ? " (mode 0600: holds secret values)" : "")") }
            }
        }

        func makePlan() throws -> ManifestPlan {
            let source: BackupSource
            var secretFiles: [ManifestPlan.SecretFile] = []
            if let s3Bucket, let s3Endpoint {
                var s3 = BackupSource.S3(bucket: s3Bucket, prefix: s3Prefix, endpoint: s3Endpoint, region: s3Region, tls: s3Tls)
                if let s3CredentialsSecret {
                    s3.accessKeyId = SecretKeyRef(name: s3CredentialsSecret, key: "access-key-id")
                    s3.secretAccessKey = SecretKeyRef(name: s3CredentialsSecret, key: "secret-access-key")
                    if s3SessionTokenFile != nil { s3.sessionToken = SecretKeyRef(name: s3CredentialsSecret, key: "session-token") }
                    if secrets == "write", let s3AccessKeyIdFile, let s3SecretAccessKeyFile {
                        var values = [("access-key-id", try readSecretFile(s3AccessKeyIdFile, option: "--s3-access-key-id-file")),
                                      ("secret-access-key", try readSecretFile(s3SecretAccessKeyFile, option: "--s3-secret-access-key-file"))]
                        if let s3SessionTokenFile { values.append(("session-token", try readSecretFile(s3SessionTokenFile, option: "--s3-session-token-file"))) }
                        secretFiles.append(.init(name: s3CredentialsSecret, values: values.map { (key: $0.0, value: $0.1) }))
                    }
                }
                if let s3CaSecret {
                    s3.ca = SecretKeyRef.parse(s3CaSecret, defaultKey: "ca.crt")
                    if secrets == "write", let s3CaFile {
                        secretFiles.append(.init(name: s3.ca!.name, values: [(s3.ca!.key, try readSecretFile(s3CaFile, option: "--s3-ca-file") + "\n")]))
                    }
                }
                if let s3SsecSecret {
                    s3.customerKey = SecretKeyRef.parse(s3SsecSecret, defaultKey: "customer-key")
                    if secrets == "write", let s3SsecKeyFile {
                        secretFiles.append(.init(name: s3.customerKey!.name, values: [(s3.customerKey!.key, try readSecretFile(s3SsecKeyFile, option: "--s3-ssec-key-file"))]))
                    }
                }
                source = .s3(s3)
            } else if let backupRef {
                source = .backupRef(backupRef)
            } else if let volumeClaim {
                source = .persistentVolumeClaim(volumeClaim)
            } else {
                let parts = (volumeNfs ?? "").split(separator: ":", maxSplits: 1).map(String.init)
                guard parts.count == 2, parts[1].hasPrefix("/") else { throw ValidationError("--volume-nfs '\(volumeNfs ?? "")' is not server:/path") }
                source = .nfs(server: parts[0], path: parts[1])
            }
            var plan = ManifestPlan(source: source)
            plan.apiGroup = apiGroup
            plan.namespace = namespace
            plan.name = name
            plan.replicas = replicas
            plan.galera = galera
            plan.image = image
            if let storageSize { plan.storageSize = storageSize }
            plan.rootPassword = SecretKeyRef.parse(rootPasswordSecret, defaultKey: "root-password")
            plan.targetRecoveryTime = targetRecoveryTime
            if plan.targetRecoveryTime == nil, let backupFile {
                guard let time = BackupName(parsing: backupFile)?.time.rfc3339 else {
                    throw ValidationError("--backup-file '\(backupFile)' is not a backup name the operator reads (backup.<time>.sql[.gz|.bz2])")
                }
                plan.targetRecoveryTime = time
            }
            plan.stagingStorageSize = stagingSize
            if backupSchedule != nil || backupMaxRetention != nil {
                plan.backup = .init(name: "\(name)-backup", schedule: backupSchedule, maxRetention: backupMaxRetention, compression: backupCompression)
            }
            if restoreCr { plan.restoreName = "\(name)-restore" }
            plan.secrets = secretFiles
            return plan
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check hand-written manifests against the CRD schemas; exit 1 on any fault.")

        @Argument(help: "YAML files (multi-document allowed).") var files: [String]
        @OptionGroup var output: OutputOptions

        func run() async throws {
            var faults: [String] = []
            var count = 0
            for file in files {
                let documents = try ManifestCatalog.documents(yaml: try InputFiles.text(file, option: "FILE"))
                for (index, document) in documents.enumerated() {
                    count += 1
                    let label = documents.count > 1 ? "\(file)#\(index + 1)" : file
                    for issue in ManifestCatalog.validate(document) { faults.append("\(label): \(issue)") }
                }
            }
            if output.json {
                struct Report: Codable { var documents: Int; var faults: [String] }
                try output.printJSON(Report(documents: count, faults: faults))
            } else if faults.isEmpty {
                print("\(count) documents valid")
            } else {
                for fault in faults { print(fault) }
            }
            if !faults.isEmpty { throw ExitCode(1) }
        }
    }
}
