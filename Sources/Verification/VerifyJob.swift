import MariaDBClient

/// The `verify` command and a runbook's verify step: two servers' inventories compared.
public struct VerifyJob: Codable, Sendable, Equatable {
    /// Databases to compare; empty: every non-system database.
    public var databases: [String] = []
    /// Compare accounts too; nil: on when every database is compared.
    public var accounts: Bool?
    /// SQL LIKE patterns on the user and role names to compare; empty: every account.
    public var accountPatterns: [String] = []

    public init(databases: [String] = [], accounts: Bool? = nil, accountPatterns: [String] = []) {
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
        async let sourceInventory = Inventory.take(
            from: source, databases: databases, accounts: accounts, accountPatterns: patterns)
        async let targetInventory = Inventory.take(
            from: target, databases: databases, accounts: accounts, accountPatterns: patterns)
        let (a, b) = try await (sourceInventory, targetInventory)
        return Report(
            source: source.endpoint, target: target.endpoint, databases: a.schemas.keys.sorted(),
            tables: a.schemas.values.reduce(0) { $0 + $1.tables.count }, accounts: a.accounts?.count,
            differences: Inventory.differences(source: a, target: b))
    }
}
