/// A `CREATE TABLE` of a dump split so the table's plain secondary indexes are built after its rows
/// (what mydumper calls `--innodb-optimize-keys`): InnoDB then builds each index once, sorted, instead
/// of inserting every row's entry into it at a random place. Pure.
///
/// Only what gives the same table back is split: an InnoDB table in `mariadb-dump`'s layout (one
/// definition per line), whose deferred keys are plain `KEY` lines. Those sort after the primary and
/// unique keys and before full-text ones in `SHOW CREATE TABLE`, so adding them back in their order
/// keeps the definition. Left whole: tables with a foreign key or a check constraint (a foreign key
/// may need the index, and InnoDB would make its own), an `AUTO_INCREMENT` column that only a plain
/// key covers (the table cannot exist without it), system-versioned tables, and `CREATE TABLE IF NOT
/// EXISTS` (mariadb-dump writes it, with no `DROP TABLE` first, for tables a server makes itself, such
/// as `mysql.transaction_registry`): where the table is there already the CREATE does nothing and
/// the keys added afterwards would clash with its own (error 1061), where `mariadb < file` leaves it be.
public struct DeferredIndexes: Equatable, Sendable {
    /// The `CREATE TABLE` without the deferred keys.
    public var createTable: [UInt8]
    /// `ALTER TABLE <table> ADD KEY …, ADD KEY …`: to run once the table's rows are in.
    public var addIndexes: [UInt8]

    public init?(createTable statement: [UInt8]) {
        // Not a table with plain keys: skipped without decoding the text.
        guard statement.count < 1 << 20, Self.contains(statement[...], "\n  KEY ") else { return nil }
        let text = String(decoding: statement, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3, let head = lines.first, head.hasPrefix("CREATE TABLE "), head.hasSuffix(" (") else {
            return nil
        }
        let name = head.dropFirst("CREATE TABLE ".count).dropLast(2)
        guard name.first == "`", name.last == "`",
            let close = lines.firstIndex(where: { $0.hasPrefix(")") }), close > 1
        else { return nil }
        let tail = lines[close...].joined(separator: "\n")
        guard tail.contains("ENGINE=InnoDB"), !tail.contains("WITH SYSTEM VERSIONING") else { return nil }

        let definitions = lines[1..<close].map { $0.hasSuffix(",") ? $0.dropLast() : $0 }
        var kept: [Substring] = []
        var deferred: [Substring] = []
        for definition in definitions {
            guard definition.hasPrefix("  ") else { return nil }
            let body = definition.dropFirst(2)
            if body.hasPrefix("CONSTRAINT ") || body.hasPrefix("FOREIGN KEY") || body.hasPrefix("CHECK ") {
                return nil
            }
            if body.hasPrefix("KEY `") { deferred.append(body) } else { kept.append(definition) }
        }
        guard !deferred.isEmpty, kept.contains(where: { $0.hasPrefix("  `") }) else { return nil }
        // An AUTO_INCREMENT column must lead a key the table is created with.
        for column in kept where column.hasPrefix("  `") && column.contains(" AUTO_INCREMENT") {
            guard let end = column.dropFirst(3).firstIndex(of: "`") else { return nil }
            let quoted = column[column.index(column.startIndex, offsetBy: 2)...end]
            let leads = kept.contains { definition in
                let body = definition.dropFirst(2)
                return (body.hasPrefix("PRIMARY KEY (") || body.hasPrefix("UNIQUE KEY "))
                    && body.contains("(\(quoted)")
            }
            guard leads else { return nil }
        }
        lines.replaceSubrange(1..<close, with: kept.enumerated().map { $0 < kept.count - 1 ? $1 + "," : $1 })
        createTable = Array(lines.joined(separator: "\n").utf8)
        addIndexes = Array(("ALTER TABLE \(name) " + deferred.map { "ADD \($0)" }.joined(separator: ", ")).utf8)
    }

    static func contains(_ bytes: ArraySlice<UInt8>, _ needle: String) -> Bool {
        bytes.firstRange(of: Array(needle.utf8)) != nil
    }
}
