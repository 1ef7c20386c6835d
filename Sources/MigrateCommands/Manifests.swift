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
            abstract:
                "Write the MariaDB (bootstrapFrom), Secret, Backup and Restore manifests, validated offline against "
                + "the CRD schemas.",
            subcommands: [Generate.self, Validate.self],
            defaultSubcommand: Generate.self)
    }
}

extension MariaDBMigrate.Manifests {
    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate", abstract: "Generate the manifests (the default).")

        @OptionGroup(title: "Source connection (checks the root password, reads the version and size)") var connection:
            ConnectionOptions
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
        @Flag(help: "The operator's replication: a primary and replicas (replication.enabled; 3 instances by default).")
        var replication = false
        @Flag(
            help: ArgumentHelp(
                "Every pod keeps a row binlog of what it takes and applies (myCnf log_bin, log_slave_updates), as a "
                    + "reversible live cutover's way back replicates from it."))
        var binlog = false
        @Option(help: "Volume size per instance (default: twice the source's data, at least 1Gi).")
        var storageSize: String?
        @Option(help: "Server image (default: the source's major.minor from the operator's registry).")
        var image: String?
        @Option(
            help: ArgumentHelp(
                "The backup's server version when the source is not reachable (e.g. 10.11).", valueName: "major.minor"))
        var mariadbVersion: String?

        @Option(help: ArgumentHelp("Secret and key holding the root password.", valueName: "name[:key]"))
        var rootPasswordSecret = "mariadb:root-password"
        @Option(
            help: ArgumentHelp(
                "The source's root password (checked against the source; written to the Secret).", valueName: "path"))
        var rootPasswordFile: String?

        @Option(help: "S3 bucket of the backup.") var s3Bucket: String?
        @Option(help: "S3 prefix of the backup.") var s3Prefix: String?
        @Option(help: ArgumentHelp("S3 endpoint as the cluster reaches it (host:port).", valueName: "host:port"))
        var s3Endpoint: String?
        @Option(help: "S3 region.") var s3Region: String?
        @Flag(help: "TLS to the S3 endpoint (tls.enabled).") var s3Tls = false
        @Option(
            help: ArgumentHelp("Secret holding the S3 keys (keys access-key-id, secret-access-key).", valueName: "name")
        ) var s3CredentialsSecret: String?
        @Option(help: ArgumentHelp("File with the S3 access key id, for the Secret.", valueName: "path"))
        var s3AccessKeyIdFile: String?
        @Option(help: ArgumentHelp("File with the S3 secret access key, for the Secret.", valueName: "path"))
        var s3SecretAccessKeyFile: String?
        @Option(help: ArgumentHelp("File with an S3 session token, for the Secret.", valueName: "path"))
        var s3SessionTokenFile: String?
        @Option(help: ArgumentHelp("Secret and key of the CA that signs the S3 endpoint.", valueName: "name[:key]"))
        var s3CaSecret: String?
        @Option(help: ArgumentHelp("PEM file of that CA, for the Secret.", valueName: "path")) var s3CaFile: String?
        @Option(help: ArgumentHelp("Secret and key of the SSE-C customer key.", valueName: "name[:key]"))
        var s3SsecSecret: String?
        @Option(help: ArgumentHelp("File with the base64 SSE-C key, for the Secret.", valueName: "path"))
        var s3SsecKeyFile: String?

        @Option(help: ArgumentHelp("Bootstrap from this Backup resource instead of S3.", valueName: "name"))
        var backupRef: String?
        @Option(
            help: ArgumentHelp(
                "Bootstrap from this PersistentVolumeClaim (the directory store) instead of S3.", valueName: "claim"))
        var volumeClaim: String?
        @Option(help: ArgumentHelp("Bootstrap from an NFS export instead of S3.", valueName: "server:/path"))
        var volumeNfs: String?

        @Option(
            help: ArgumentHelp(
                "targetRecoveryTime (RFC 3339); default: the time in --backup-file's name, else none (the newest).",
                valueName: "time"))
        var targetRecoveryTime: String?
        @Option(
            help: ArgumentHelp("The backup to bootstrap from (its name sets targetRecoveryTime).", valueName: "name"))
        var backupFile: String?
        @Option(help: ArgumentHelp("Stage the download on a PVC of this size (stagingStorage).", valueName: "size"))
        var stagingSize: String?

        @Option(
            help: ArgumentHelp(
                "Also write a Backup CR for scheduled backups in the cluster, on this cron.", valueName: "cron"))
        var backupSchedule: String?
        @Option(help: "maxRetention of that Backup CR (e.g. 720h).") var backupMaxRetention: String?
        @Option(help: "compression of that Backup CR (none, gzip, bzip2).") var backupCompression = "gzip"
        @Flag(help: "Also write a Restore CR for a later restore from the same source.") var restoreCr = false

        @Option(
            help: ArgumentHelp(
                "The in-cluster route: the source's host as the cluster reaches it. Writes an ExternalMariaDB, a "
                    + "Backup of it that the operator's own Job takes (into --s3-bucket, or a new volume), and a "
                    + "MariaDB that bootstraps from that Backup.",
                valueName: "host"))
        var externalHost: String?
        @Option(help: "Port of --external-host (default 3306).") var externalPort: Int?
        @Option(help: "User the operator's backup Job logs in with.") var externalUser = "root"
        @Option(
            help: ArgumentHelp(
                "Secret and key with that user's password (default: NAME-source:password).", valueName: "name[:key]"))
        var externalPasswordSecret: String?
        @Option(help: ArgumentHelp("That user's password, for the Secret.", valueName: "path"))
        var externalPasswordFile: String?
        @Option(
            help: ArgumentHelp(
                "Volume size of the in-cluster Backup without --s3-bucket (default: the MariaDB's storage size).",
                valueName: "size"))
        var backupStorageSize: String?
        @Option(
            name: .customLong("database"),
            help: "A database the in-cluster Backup dumps (repeat for several; default: all).")
        var databases: [String] = []

        @Option(
            help: ArgumentHelp(
                "write: Secret manifests with the values given (mode 0600 files); reference: only refer to existing "
                    + "Secrets.")
        )
        var secrets = "write"
        @Option(help: ArgumentHelp("Directory to write to (with a kustomization.yaml).", valueName: "dir"))
        var outputDir = "migration-out/manifests"
        @Flag(help: "Print the manifests as one multi-document YAML stream instead (Secrets left out).") var stdout =
            false
        @Flag(help: "With --stdout, print the Secrets too.") var includeSecrets = false
        @Flag(help: "Do not connect to the source (no root password check; give --mariadb-version and --storage-size).")
        var skipSourceCheck = false
        @Flag(
            help: ArgumentHelp(
                "Bootstrap from a physical backup of 'backup --physical' (bootstrapFrom.backupContentType: Physical). "
                    + "The source's accounts come along: root@localhost and root@'%' must take the root password "
                    + "(checked), and the image must be the source's version."))
        var physical = false

        var inputs: ManifestInputs {
            var inputs = ManifestInputs()
            inputs.apiGroup = apiGroup
            inputs.namespace = namespace
            inputs.name = name
            inputs.replicas = replicas
            inputs.galera = galera
            inputs.replication = replication
            inputs.binlog = binlog
            inputs.storageSize = storageSize
            inputs.image = image
            inputs.mariadbVersion = mariadbVersion
            inputs.rootPasswordSecret = rootPasswordSecret
            inputs.s3Bucket = s3Bucket
            inputs.s3Prefix = s3Prefix
            inputs.s3Endpoint = s3Endpoint
            inputs.s3Region = s3Region
            inputs.s3TLS = s3Tls
            inputs.s3CredentialsSecret = s3CredentialsSecret
            inputs.s3CASecret = s3CaSecret
            inputs.s3SSECSecret = s3SsecSecret
            inputs.backupRef = backupRef
            inputs.volumeClaim = volumeClaim
            inputs.volumeNFS = volumeNfs
            inputs.targetRecoveryTime = targetRecoveryTime
            inputs.backupFile = backupFile
            inputs.stagingSize = stagingSize
            inputs.backupSchedule = backupSchedule
            inputs.backupMaxRetention = backupMaxRetention
            inputs.backupCompression = backupCompression
            inputs.restoreCR = restoreCr
            inputs.externalHost = externalHost
            inputs.externalPort = externalPort
            inputs.externalUser = externalUser
            inputs.externalPasswordSecret = externalPasswordSecret
            inputs.backupStorageSize = backupStorageSize
            inputs.databases = databases
            inputs.writeSecrets = secrets == "write"
            inputs.skipSourceCheck = skipSourceCheck
            inputs.physical = physical
            return inputs
        }

        func validate() throws {
            guard ["write", "reference"].contains(secrets) else {
                throw ValidationError("--secrets '\(secrets)' is not write or reference")
            }
            if let problem = inputs.problems().first { throw ValidationError(problem) }
        }

        func readSecretFiles() throws -> ManifestSecrets {
            func read(_ path: String?, _ option: String) throws -> String? {
                try path.map { try InputFiles.trimmed($0, option: option) }
            }
            return ManifestSecrets(
                rootPassword: try read(rootPasswordFile, "--root-password-file"),
                s3AccessKeyId: try read(s3AccessKeyIdFile, "--s3-access-key-id-file"),
                s3SecretAccessKey: try read(s3SecretAccessKeyFile, "--s3-secret-access-key-file"),
                s3SessionToken: try read(s3SessionTokenFile, "--s3-session-token-file"),
                s3CAPEM: try read(s3CaFile, "--s3-ca-file"),
                s3SSECKey: try read(s3SsecKeyFile, "--s3-ssec-key-file"),
                externalPassword: try read(externalPasswordFile, "--external-password-file"))
        }

        func run() async throws {
            // The check is of root's password: root is the user whatever else was given.
            var request = connection.request
            request.user = "root"
            let source = skipSourceCheck ? nil : try request.resolve()
            let result = try await ManifestJob.run(inputs, secrets: try readSecretFiles(), source: source)
            for note in result.notes { Console.error(note + "\n") }
            if stdout {
                let shown = result.documents.filter { includeSecrets || !$0.isSecret }
                print(try YAMLOutput.stream(shown.map(\.json)), terminator: "")
                return
            }
            let files = try ManifestDirectory.write(result.documents, to: outputDir)
            if output.json {
                struct Written: Codable {
                    var directory: String
                    var files: [String]
                    var secrets: [String]
                }
                try output.printJSON(
                    Written(directory: outputDir, files: files.map(\.name), secrets: files.filter(\.secret).map(\.name))
                )
            } else {
                print("wrote \(files.count) files to \(outputDir) (apply with: kubectl apply -k \(outputDir))")
                for file in files { print("  \(file.name)\(file.secret ? " (mode 0600: holds secret values)" : "")") }
            }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check hand-written manifests against the CRD schemas; exit 1 on any fault.")

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
                struct Report: Codable {
                    var documents: Int
                    var faults: [String]
                }
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
