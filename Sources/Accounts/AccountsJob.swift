import Dump
import Foundation
import Manifests
import MariaDBClient

/// The `users` command and a runbook's accounts step: read the accounts (a server or a
/// `--system=users` dump), convert them, and write CRs, the SQL file and the report.
public struct AccountsJob: Codable, Sendable, Equatable {
    public var mariaDB = "mariadb"
    public var apiGroup = "enterprise.mariadb.com"
    public var namespace: String?
    /// Databases to write Database CRs for; empty: every non-system database.
    public var databases: [String] = []
    /// Accounts to convert: SQL LIKE patterns on user and role names; empty: every account.
    public var accounts: [String] = []
    /// Read a `mariadb-dump --system=users` file instead of the server.
    public var fromDump: String?
    /// Write what CRs cannot say as an SqlJob in the kustomization when that SQL holds no
    /// password hash (the SqlJob's SQL lands in a ConfigMap, which is not a Secret).
    public var sqlJob = false
    /// name[:key] of the root password Secret the SqlJob logs in with.
    public var rootPasswordSecret = "mariadb:root-password"

    public init() {}

    public func problems() -> [String] {
        ManifestCatalog.problems(apiGroup: apiGroup, mariaDB: mariaDB, namespace: namespace)
    }

    public struct Result: Codable, Sendable, Equatable {
        public var directory: String
        public var files: [String]
        public var converted: [AccountPlan.Note]
        public var sqlOnly: [AccountPlan.Note]
        public var skipped: [AccountPlan.Note]
        /// Whether the SQL CRs cannot say went into an SqlJob (else it stays in after-bootstrap.sql).
        public var sqlJob: Bool
        public var counts: [String: Int]
    }

    /// The accounts of a dump file (`users --from-dump`): its statements as the client splits them, converted.
    public func plan(dumpFile path: String) async throws -> AccountPlan {
        let bytes: [UInt8]
        do { bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path))) } catch {
            throw AccountParseError(statement: path, reason: "cannot read the dump: \(error.localizedDescription)")
        }
        var splitter = SQLSplitter()
        let statements = (splitter.consume(bytes) + (try splitter.finish())).map { String(decoding: $0, as: UTF8.self) }
        return try await plan(source: nil, statements: statements)
    }

    /// Reads the accounts from `source` (or the dump) and converts them; validated against the CRDs.
    public func plan(source: MariaDBConnection?, statements dumpStatements: [String]? = nil) async throws -> AccountPlan
    {
        var statements = dumpStatements ?? []
        var definitions: [DatabaseDefinition] = []
        if dumpStatements == nil, let source {
            statements = try await AccountReader.statements(from: source)
            definitions = try await AccountReader.databases(from: source, only: databases)
        }
        let inventory = try AccountInventory.parse(statements: statements).only(accounts)
        var options = AccountOptions()
        options.mariaDB = mariaDB
        options.apiGroup = apiGroup
        options.namespace = namespace
        let plan = AccountPlan.convert(inventory, databases: definitions, options: options)
        let faults = plan.documents.flatMap { document in
            ManifestCatalog.validate(document.json).map { "\(document.fileName): \($0)" }
        }
        guard faults.isEmpty else { throw ManifestJobError.invalidDocuments(faults) }
        return plan
    }

    /// What the operator runs for the plan's CRs (its pkg/sql), then the SQL CRs cannot say: the
    /// accounts as they will be in the cluster, for a server outside it (`users --emit-sql`).
    public static func statements(_ plan: AccountPlan) -> [String] {
        OperatorSQL.statements(for: plan.documents) + plan.fallbackSQL
    }

    /// Applies `statements(plan)` to `target`, as the operator would apply the CRs; returns how many ran.
    public static func apply(_ plan: AccountPlan, to target: MariaDBConnection) async throws -> Int {
        let statements = statements(plan)
        for statement in statements { _ = try await target.query(statement) }
        return statements.count
    }

    /// Whether Galera leaves a statement on the node that ran it: GRANT PROXY (MariaDB 10.11 with galera-4
    /// writes mysql.proxies_priv on that node only; seen on the test cluster), so it runs on every node.
    public static func notReplicatedByGalera(_ statement: String) -> Bool {
        statement.uppercased().hasPrefix("GRANT PROXY ")
    }

    /// Whether a statement carries a password hash or plugin argument (it must not go to a ConfigMap).
    public static func holdsCredential(_ statement: String) -> Bool {
        let upper = statement.uppercased()
        return upper.contains("IDENTIFIED") || upper.contains("PASSWORD(") || upper.contains(" PASSWORD ")
    }

    /// The SqlJob that runs `sql` as root once the MariaDB is ready. Pure.
    public func sqlJobDocument(sql: [String]) -> ManifestDocument {
        let name = "\(mariaDB)-after-bootstrap"
        let root = SecretKeyRef.parse(rootPasswordSecret, defaultKey: "root-password")
        return ManifestDocument(
            kind: "SqlJob", name: name, isSecret: false,
            json: .object([
                "apiVersion": .string("\(apiGroup)/v1alpha1"), "kind": .string("SqlJob"),
                "metadata": .object(["name": .string(name), "namespace": namespace.map(JSON.string)]),
                "spec": .object([
                    "mariaDbRef": .object(["name": .string(mariaDB)]),
                    "username": .string("root"),
                    "passwordSecretKeyRef": .object(["name": .string(root.name), "key": .string(root.key)]),
                    "sql": .string(sql.map { $0 + ";\n" }.joined()),
                ]),
            ]))
    }

    /// The report.md text: what was converted, what went to SQL, what was skipped, and why.
    public static func report(_ plan: AccountPlan, sqlJob: Bool, sqlJobRefusal: String?) -> String {
        var report =
            "# accounts report\n\n## converted\n" + plan.converted.map { "- \($0.subject): \($0.decision)\n" }.joined()
        report += "\n## in after-bootstrap.sql\n" + plan.sqlOnly.map { "- \($0.subject): \($0.decision)\n" }.joined()
        if sqlJob { report += "\nThese statements also run in the SqlJob of the kustomization.\n" }
        if let sqlJobRefusal {
            report += "\nNo SqlJob was written: \(sqlJobRefusal). Run after-bootstrap.sql yourself as root.\n"
        }
        report += "\n## skipped\n" + plan.skipped.map { "- \($0.subject): \($0.decision)\n" }.joined()
        return report
    }

    /// Writes the CRs (with the SqlJob when allowed), after-bootstrap.sql (0600) and report.md.
    public func write(_ plan: AccountPlan, to directory: String) throws -> Result {
        var documents = plan.documents
        var refusal: String?
        var withJob = false
        if sqlJob && !plan.fallbackSQL.isEmpty {
            if plan.fallbackSQL.contains(where: Self.holdsCredential) {
                refusal =
                    "its SQL holds password hashes, and an SqlJob keeps its SQL in a ConfigMap, which is not a Secret"
            } else {
                documents.append(sqlJobDocument(sql: plan.fallbackSQL))
                withJob = true
            }
        }
        var sqlFile =
            "-- Run after the MariaDB is bootstrapped and the User/Grant CRs are ready: what CRs cannot express.\n"
        if plan.fallbackSQL.contains(where: Self.notReplicatedByGalera) {
            sqlFile += "-- On Galera, run the GRANT PROXY lines on every node: Galera does not replicate them.\n"
        }
        sqlFile += plan.fallbackSQL.map { $0 + ";\n" }.joined()
        let files = try ManifestDirectory.write(
            documents,
            extra: [
                ("after-bootstrap.sql", sqlFile, true),
                ("report.md", Self.report(plan, sqlJob: withJob, sqlJobRefusal: refusal), false),
            ],
            to: directory)
        var counts: [String: Int] = [:]
        for document in documents { counts[document.kind, default: 0] += 1 }
        return Result(
            directory: directory, files: files.map(\.name), converted: plan.converted, sqlOnly: plan.sqlOnly,
            skipped: plan.skipped, sqlJob: withJob, counts: counts)
    }
}
