import Dump
import Testing

@testable import Preflight

@Suite struct PreflightRuleTests {
    typealias Table = PreflightFacts.Table

    static let clean = PreflightFacts(
        major: 10, minor: 11, tables: [Table(schema: "shop", name: "orders", engine: "InnoDB", hasPrimaryKey: true)],
        accounts: ["app@%"])

    func checks(_ facts: PreflightFacts, _ target: TargetTopology, version: (Int, Int)? = nil) -> [String] {
        PreflightRules.findings(facts, target: target, targetVersion: version.map { (major: $0.0, minor: $0.1) })
            .map { "\($0.severity.rawValue) \($0.check)" }
    }

    @Test(arguments: TargetTopology.allCases)
    func aCleanSourceHasNoFindings(target: TargetTopology) {
        #expect(checks(Self.clean, target, version: (10, 11)).isEmpty)
    }

    @Test(arguments: [
        // (engine, has primary key, target, findings)
        ("MyISAM", true, TargetTopology.galera, ["blocker non-innodb"]),
        ("Aria", true, .galera, ["blocker non-innodb"]),
        ("MEMORY", true, .galera, ["blocker non-innodb"]),
        ("InnoDB", false, .galera, ["blocker no-primary-key"]),
        ("MyISAM", false, .galera, ["blocker no-primary-key", "blocker non-innodb"]),
        ("MyISAM", false, .replication, []),
        ("MyISAM", false, .standalone, []),
    ])
    func tablesGaleraCannotReplicateAreBlockers(engine: String, key: Bool, target: TargetTopology, expected: [String]) {
        var facts = Self.clean
        facts.tables.append(Table(schema: "shop", name: "legacy", engine: engine, hasPrimaryKey: key))
        #expect(checks(facts, target) == expected)
    }

    @Test func theFixOfANonInnoDBTableIsItsAlterTable() {
        var facts = Self.clean
        facts.tables.append(Table(schema: "shop", name: "log`s", engine: "MyISAM", hasPrimaryKey: true))
        let finding = PreflightRules.findings(facts, target: .galera).first
        #expect(finding?.fix == "ALTER TABLE `shop`.`log``s` ENGINE=InnoDB;")
        #expect(finding?.objects == ["shop.log`s (MyISAM)"])
    }

    @Test(arguments: [
        // (engine, cache, increment, findings)
        ("InnoDB", UInt64(0), Int64(1), [String]()), ("InnoDB", 1000, 0, []),
        ("InnoDB", 1000, 1, ["blocker sequence-cache"]), ("InnoDB", 10, -5, ["blocker sequence-cache"]),
        ("Aria", 0, 1, ["blocker sequence-engine"]),
        ("MyISAM", 1000, 1, ["blocker sequence-cache", "blocker sequence-engine"]),
    ])
    func sequencesAGaleraNodeRefusesAreBlockers(engine: String, cache: UInt64, increment: Int64, expected: [String]) {
        var facts = Self.clean
        facts.sequences = [
            .init(schema: "shop", name: "tickets", engine: engine, cacheSize: cache, increment: increment)
        ]
        #expect(checks(facts, .galera) == expected)
        #expect(checks(facts, .standalone).isEmpty && checks(facts, .replication).isEmpty)
    }

    @Test func theFixOfACachedSequenceIsItsNocache() throws {
        var facts = Self.clean
        facts.sequences = [.init(schema: "shop", name: "t`s", cacheSize: 1000, increment: 1)]
        let finding = try #require(PreflightRules.findings(facts, target: .galera).first)
        #expect(finding.fix.hasPrefix("ALTER SEQUENCE `shop`.`t``s` NOCACHE;"), "\(finding.fix)")
        #expect(finding.objects == ["shop.t`s (cache 1000, increment 1)"])
    }

    struct GaleraCase: Sendable, CustomStringConvertible {
        var wsrep: [String] = []
        var events: [String] = []
        var triggers: [String] = []
        var bytes: UInt64 = 0
        var expected: [String]
        var description: String { expected.joined(separator: ", ") }
    }

    @Test(arguments: [
        GaleraCase(wsrep: ["mysql.wsrep_cluster"], expected: ["warning wsrep-tables"]),
        GaleraCase(events: ["shop.nightly"], expected: ["warning events"]),
        GaleraCase(triggers: ["shop.orders_ai"], expected: ["note triggers"]),
        GaleraCase(bytes: 1_500_000_000, expected: ["warning large-write-set"]),
    ])
    func galeraWarningsAndNotes(case: GaleraCase) {
        var facts = Self.clean
        facts.wsrepTables = `case`.wsrep
        facts.events = `case`.events
        facts.triggers = `case`.triggers
        facts.tables[0].dataBytes = `case`.bytes
        #expect(checks(facts, .galera) == `case`.expected)
    }

    @Test(arguments: [
        (true, "ROW", 1, [String]()), (true, "MIXED", 1, []), (true, "STATEMENT", 1, ["warning binlog-format"]),
        (false, "ROW", 1, ["warning binlog-off"]), (true, "ROW", 0, ["blocker server-id"]),
        (true, "ROW", 11, ["warning server-id"]), (true, "ROW", 1000, []),
    ])
    func replicationNeedsABinlogAndAServerID(logBin: Bool, format: String, serverID: Int, expected: [String]) {
        var facts = Self.clean
        facts.logBin = logBin
        facts.binlogFormat = format
        facts.serverID = serverID
        #expect(checks(facts, .replication) == expected)
        #expect(checks(facts, .galera).isEmpty)
    }

    @Test(arguments: [
        ("app@%", [String]()), ("root@localhost", []), ("gone@%", ["warning definer"]),
        ("root@10.0.0.1", ["warning definer"]),
    ])
    func definersThatWillNotExistAreWarnings(definer: String, expected: [String]) {
        var facts = Self.clean
        facts.definers = [.init(kind: "view", object: "shop.v", definer: definer)]
        for target in TargetTopology.allCases { #expect(checks(facts, target) == expected) }
    }

    @Test(arguments: [("10.6", "blocker version"), ("10.11", ""), ("11.4", "note version")])
    func theSourceMustNotBeNewerThanTheTargetImage(target: String, expected: String) {
        let parts = target.split(separator: ".").compactMap { Int($0) }
        #expect(checks(Self.clean, .standalone, version: (parts[0], parts[1])) == (expected.isEmpty ? [] : [expected]))
    }

    /// Issue #33: the history of a versioned table does not travel in a logical backup; said for every target.
    @Test(arguments: TargetTopology.allCases)
    func versionedTablesWarnThatTheirHistoryStays(target: TargetTopology) {
        var facts = Self.clean
        facts.versionedTables = ["shop.audit", "shop.ledger"]
        facts.transactionPreciseTables = ["shop.ledger"]
        let findings = PreflightRules.findings(facts, target: target).filter { $0.check.hasPrefix("history") }
        #expect(findings.map(\.check) == ["history", "history-transaction-precise"])
        #expect(findings.map(\.objects) == [["shop.audit"], ["shop.ledger"]])
        #expect(findings.allSatisfy { $0.severity == .warning && $0.fix.contains("backup --physical") })
    }

    @Test func blockersComeFirst() {
        var facts = Self.clean
        facts.events = ["shop.e"]
        facts.tables.append(Table(schema: "shop", name: "t", engine: "MyISAM", hasPrimaryKey: true))
        #expect(PreflightRules.findings(facts, target: .galera).map(\.severity) == [.blocker, .warning])
    }

    static let blocked = PreflightFacts(
        major: 10, minor: 11,
        tables: [
            Table(schema: "shop", name: "old", engine: "MyISAM", hasPrimaryKey: true),
            Table(schema: "shop", name: "log", engine: "InnoDB", hasPrimaryKey: false),
        ],
        definers: [PreflightFacts.Definer(kind: "view", object: "shop.v", definer: "gone@%")], accounts: ["app@%"])

    @Test(arguments: [
        // fixes chosen → what is left, as severity and check
        ([DumpFix](), ["blocker no-primary-key", "blocker non-innodb", "warning definer"]),
        ([.innodb], ["blocker no-primary-key", "warning definer", "note non-innodb"]),
        ([.invisiblePrimaryKey, .innodb], ["warning definer", "note no-primary-key", "note non-innodb"]),
        (DumpFix.allCases, ["note definer", "note no-primary-key", "note non-innodb"]),
    ])
    func aChosenFixTurnsTheBlockerItCoversIntoANote(fixes: [DumpFix], expected: [String]) {
        let findings = PreflightRules.applying(fixes, to: PreflightRules.findings(Self.blocked, target: .galera))
        #expect(findings.map { "\($0.severity.rawValue) \($0.check)" } == expected)
        for finding in findings {
            let fix = DumpFix.allCases.first { $0.covers == finding.check }
            let covering = try! #require(fix, "\(finding.check) is covered by no fix")
            #expect(finding.fix.contains("--fix \(covering.rawValue)"))
            #expect(finding.message.hasPrefix("handled in the dump") == fixes.contains(covering))
        }
    }

    @Test func aTableTheFixCannotRewriteIsABlockerNamingIt() {
        let grouped = "CREATE TABLE `g` (\n  `grp` int(11) NOT NULL,\n  `n` int(11) NOT NULL AUTO_INCREMENT,\n"
            + "  PRIMARY KEY (`grp`,`n`)\n) ENGINE=MyISAM;"
        let fine = "CREATE TABLE `f` (\n  `a` int(11) DEFAULT NULL\n) ENGINE=Aria;"
        let findings = PreflightRules.refusals(
            [.innodb, .invisiblePrimaryKey], definitions: [("shop.g", grouped), ("shop.f", fine)])
        #expect(findings.map(\.check) == ["fix-refused"])
        #expect(findings.first?.objects == ["shop.g"])
        #expect(findings.first?.message.contains("does not start any key") == true)
        #expect(PreflightRules.refusals([.definers], definitions: [("shop.g", grouped)]).isEmpty)
    }
}
