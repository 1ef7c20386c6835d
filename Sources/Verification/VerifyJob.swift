import MariaDBClient

/// The `verify` command and a runbook's verify step: two servers' inventories compared.
public struct VerifyJob: Codable, Sendable, Equatable {
    /// Databases to compare; empty: every non-system database.
    public var databases: [String] = []
    /// Compare accounts too; nil: on when every database is compared.
    public var accounts: Bool?
    /// SQL LIKE patterns on the user and role names to compare; empty: every account.
    public var accountPatterns: [String] = []
    /// User names this tool made for its own use (the replication account; a runbook adds the name it chose):
    /// left out of the comparison, and said so.
    public var toolUsers: [String] = Array(SystemObjects.toolAccounts.keys)
    /// Compare the history of system-versioned tables too: every version with its row start and end.
    public var history = true
    /// System-versioned tables (`schema.table`) whose history the backup left out on purpose: their current rows
    /// are compared, and the report names them.
    public var historyLeftOut: [String] = []
    /// The fixes the backup carried (`--fix`): the changes they made are reported as intended, not as differences.
    public var fixes: [String] = []

    public init(
        databases: [String] = [], accounts: Bool? = nil, accountPatterns: [String] = [], toolUsers: [String] = []
    ) {
        self.toolUsers = Array(Set(self.toolUsers + toolUsers)).sorted()
        self.accountPatterns = accountPatterns
        self.databases = databases
        self.accounts = accounts
    }

    public struct Report: Codable, Sendable, Equatable {
        public var source: String
        public var target: String
        public var databases: [String]
        public var tables: Int
        public var accounts: Int?
        public var differences: [String]
        /// Accounts this tool made for its own use, found on either server and not compared.
        public var leftOut: [String] = []
        /// System-versioned tables whose history was compared, and those whose history the backup left out.
        public var historyCompared: [String] = []
        public var historyLeftOut: [String] = []
        /// What the dump's fixes changed on purpose: an added invisible key (rows compared without it), an engine,
        /// a definer.
        public var intended: [String] = []

        /// One line on the history of system-versioned tables, nil when there are none.
        public var historyNote: String? {
            var parts: [String] = []
            if !historyCompared.isEmpty {
                parts.append("history compared for \(SystemVersionedTables.shortList(historyCompared))")
            }
            if !historyLeftOut.isEmpty {
                let tables = SystemVersionedTables.shortList(historyLeftOut)
                parts.append("current rows only for \(tables), whose history the backup left out")
            }
            return parts.isEmpty ? nil : "system-versioned tables: " + parts.joined(separator: "; ")
        }

        /// One line on the dump's fixes, nil without any.
        public var intendedNote: String? {
            guard !intended.isEmpty else { return nil }
            return "intended by the dump's fixes, not differences: " + intended.joined(separator: "; ")
        }

        /// One line on what was left out, nil when nothing was.
        public var leftOutNote: String? {
            guard !leftOut.isEmpty else { return nil }
            return "left out of the comparison: \(leftOut.joined(separator: ", ")) (made by mariadb-migrate for the "
                + "migration itself, not the application's)"
        }

        /// "3 databases, 12 tables, 5 accounts"
        public var scope: String {
            "\(databases.count) databases, \(tables) tables" + (accounts.map { ", \($0) accounts" } ?? "")
        }
    }

    public func run(
        source sourceSettings: ConnectionSettings, target targetSettings: ConnectionSettings
    ) async throws -> Report {
        async let sourceConnection = MariaDBConnection.connect(sourceSettings)
        async let targetConnection = MariaDBConnection.connect(targetSettings)
        let (source, target) = try await (sourceConnection, targetConnection)
        let databases = self.databases
        let accounts = self.accounts ?? databases.isEmpty
        let patterns = accountPatterns
        let tool = Set(toolUsers)
        let history = self.history
        let historyLeftOut = Set(self.historyLeftOut)
        let added = try await FixedDefinitions.addedKeyTables(source: source, target: target, databases: databases)
        let intended = try await FixedDefinitions.intendedChanges(
            source: source, target: target, databases: databases, fixes: Set(fixes), addedKeyTables: added)
        async let sourceInventory = Inventory.take(
            from: source, databases: databases, accounts: accounts, accountPatterns: patterns, toolUsers: tool,
            history: history, historyLeftOut: historyLeftOut, addedKeyTables: added)
        async let targetInventory = Inventory.take(
            from: target, databases: databases, accounts: accounts, accountPatterns: patterns, toolUsers: tool,
            history: history, historyLeftOut: historyLeftOut, addedKeyTables: added)
        let (a, b) = try await (sourceInventory, targetInventory)
        var report = Report(
            source: source.endpoint, target: target.endpoint, databases: a.schemas.keys.sorted(),
            tables: a.schemas.values.reduce(0) { $0 + $1.tables.count }, accounts: a.accounts?.count,
            differences: Inventory.differences(source: a, target: b),
            leftOut: Array(Set(a.leftOut + b.leftOut)).sorted(), historyCompared: a.historyCompared,
            historyLeftOut: a.historyLeftOut)
        report.intended = intended
        return report
    }

    /// The source against each node of a target cluster in turn (what replicated must be on every node), up to
    /// the first that differs: its report is the last.
    public func run(source: ConnectionSettings, targets: [ConnectionSettings]) async throws -> [Report] {
        var reports: [Report] = []
        for target in targets {
            let report = try await run(source: source, target: target)
            reports.append(report)
            if !report.differences.isEmpty { break }
        }
        return reports
    }
}
