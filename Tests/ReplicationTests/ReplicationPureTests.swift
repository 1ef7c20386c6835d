import Foundation
import Preflight
import Testing

@testable import Replication

struct GTIDPositionTests {
    @Test(arguments: [
        ("", ""), ("0-1-100", "0-1-100"), (" 1-2-7,0-1-100\n", "0-1-100,1-2-7"), ("[0-1-5]", "0-1-5"), ("[]", ""),
        ("0-1-18446744073709551615", "0-1-18446744073709551615"),
    ])
    func parses(text: String, printed: String) throws {
        #expect(try GTIDPosition(parsing: text).description == printed)
    }

    @Test(arguments: ["0-1", "0-1-x", "a-b-c", "0-1-2-3", "0-1-2,", "-1-1-1", "0-1-100,0-2-101"])
    func refuses(text: String) {
        #expect(throws: GTIDError.self) { try GTIDPosition(parsing: text) }
    }

    @Test(arguments: [
        ("0-1-100", "0-1-90", UInt64(10)), ("0-1-100", "0-1-100", 0), ("0-1-100", "0-1-120", 0), ("0-1-100", "", 100),
        ("0-1-100,1-1-5", "0-1-99", 6), ("0-1-100", "0-1-90,7-3-1000", 10), ("", "0-1-5", 0),
    ])
    func distance(source: String, applied: String, transactions: UInt64) throws {
        let source = try GTIDPosition(parsing: source)
        let applied = try GTIDPosition(parsing: applied)
        #expect(source.transactions(after: applied) == transactions)
        #expect(source.isReached(by: applied) == (transactions == 0))
    }

    @Test func mergingKeepsOtherDomains() throws {
        let current = try GTIDPosition(parsing: "0-2-900,5-9-3")
        #expect(current.merging(try GTIDPosition(parsing: "0-1-40")).description == "0-1-40,5-9-3")
    }
}

struct ReplicationRuleTests {
    let start = StartPosition(
        gtid: .init([GTID(domain: 0, server: 1, sequence: 50)]), binlogFile: "mysql-bin.000003",
        origin: "backup.2026-11-26T00:00:00Z.sql.gz")

    func source(_ change: (inout ReplicationSourceFacts) -> Void = { _ in }) -> ReplicationSourceFacts {
        var facts = ReplicationSourceFacts(
            gtidBinlogPos: .init([GTID(domain: 0, server: 1, sequence: 80)]),
            binlogFiles: ["mysql-bin.000002", "mysql-bin.000003", "mysql-bin.000004"],
            oldestBinlogGTIDs: .init([GTID(domain: 0, server: 1, sequence: 20)]))
        change(&facts)
        return facts
    }

    func checks(
        _ source: ReplicationSourceFacts, _ target: ReplicationTargetFacts = .init(gtidStrictMode: true),
        start: StartPosition? = nil
    ) -> [String] {
        ReplicationRules.check(source: source, target: target, start: start ?? self.start, connectionName: "mm")
            .map { "\($0.severity.rawValue) \($0.check)" }
    }

    @Test func aGoodSourcePasses() {
        #expect(checks(source()) == [])
        #expect(checks(source(), .init()) == ["note gtid-strict-mode"])
    }

    static func broken(_ label: String, _ facts: inout ReplicationSourceFacts) {
        switch label {
        case "binlog off": facts.logBin = false
        case "statement": facts.binlogFormat = "statement"
        case "same id": facts.serverID = 2
        case "file purged": facts.binlogFiles = ["mysql-bin.000004"]
        case "gtid purged":
            facts.binlogFiles = []
            facts.oldestBinlogGTIDs = .init([GTID(domain: 0, server: 1, sequence: 60)])
        case "ahead":
            facts.gtidBinlogPos = .init([GTID(domain: 0, server: 1, sequence: 10)])
            facts.oldestBinlogGTIDs = nil
        default: facts.binlogExpireSeconds = 3600
        }
    }

    @Test(arguments: [
        ("binlog off", "blocker binlog-off"), ("statement", "blocker binlog-format"), ("same id", "blocker server-id"),
        ("file purged", "blocker binlog-purged"), ("gtid purged", "blocker binlog-purged"),
        ("ahead", "blocker position-ahead"), ("short expiry", "warning binlog-retention"),
    ])
    func findsEach(label: String, expected: String) {
        #expect(checks(source { Self.broken(label, &$0) }).contains(expected), "\(label)")
    }

    @Test func aBackupWithoutPositionIsRefused() {
        let empty = StartPosition(gtid: .init(), origin: "backup.x.sql")
        #expect(checks(source(), start: empty) == ["blocker no-position"])
    }

    @Test func theFixOfASharedServerIdNamesAFreeOne() throws {
        let finding = try #require(
            ReplicationRules.check(
                source: source { $0.serverID = 2 }, target: .init(serverID: 2, gtidStrictMode: true),
                start: start, connectionName: "mm"
            ).first)
        #expect(finding.fix.hasPrefix("replicate --target-server-id 3 (SET GLOBAL server_id=3 on the target)"))
    }

    @Test func otherRunningConnectionsAreNamed() {
        let target = ReplicationTargetFacts(gtidStrictMode: true, connections: ["": true, "mm": true, "old": false])
        let findings = ReplicationRules.check(source: source(), target: target, start: start, connectionName: "mm")
        #expect(findings.map(\.check) == ["other-replication"])
        #expect(findings.first?.objects == ["(default connection)"])
    }
}

struct ReplicationSetupTests {
    @Test func statementsInOrderWithThePasswordQuoted() throws {
        let setup = ReplicationSetup(
            host: "db.example", port: 3307, user: "repl", tlsCA: "/etc/ca.pem",
            start: try GTIDPosition(parsing: "0-1-50"), databases: ["shop_1", "crm"])
        let statements = setup.statements(
            password: "it's\\x", current: try GTIDPosition(parsing: "3-3-3"), exists: true)
        #expect(
            statements == [
                "STOP SLAVE 'mariadb_migrate'", "RESET SLAVE 'mariadb_migrate' ALL",
                "SET GLOBAL gtid_slave_pos = '0-1-50,3-3-3'",
                "CHANGE MASTER 'mariadb_migrate' TO MASTER_HOST='db.example', MASTER_PORT=3307, MASTER_USER='repl', "
                    + "MASTER_PASSWORD='it''s\\\\x', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=5, MASTER_SSL=1, "
                    + "MASTER_SSL_CA='/etc/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=1",
                "SET GLOBAL `mariadb_migrate`.replicate_wild_do_table = 'shop\\\\_1.%,crm.%'",
                "SET GLOBAL `mariadb_migrate`.replicate_wild_ignore_table = '\\\\_mariadb\\\\_migrate.%'",
                "START SLAVE 'mariadb_migrate'",
            ])
        let plan = setup.statements(password: nil, current: .init(), exists: false)
        #expect(plan.count == 5 && plan[1].contains("MASTER_PASSWORD=<secret>") && !plan.joined().contains("it''s"))
    }

    @Test func theAccountIsNotBinlogged() {
        #expect(
            ReplicationSetup.accountStatements(user: "repl", host: "%", password: nil) == [
                "SET SESSION sql_log_bin = 0", "CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY <secret>",
                "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'repl'@'%'", "SET SESSION sql_log_bin = 1",
            ])
    }
}

/// When the record of the last live verify lets a cutover go ahead.
@Suite struct CutoverAfterLiveVerifyTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func record(finished: Bool, differences: Int?, minutesAgo: Double?) -> LiveVerifyState {
        var state = LiveVerifyState(servers: "a -> b", databases: [])
        state.finished = finished
        state.differences = differences
        state.finishedAt = minutesAgo.map { now.addingTimeInterval(-$0 * 60) }
        return state
    }

    @Test(arguments: [
        (record(finished: true, differences: 0, minutesAgo: 5), nil),
        (record(finished: true, differences: 3, minutesAgo: 5), "found 3 differing rows"),
        (record(finished: false, differences: nil, minutesAgo: nil), "did not end"),
        (record(finished: true, differences: 0, minutesAgo: 90), "ended 90 minutes ago, more than 60 allowed"),
    ] as [(LiveVerifyState, String?)])
    func aCutoverGoesAheadOnlyAfterARecentCleanLiveVerify(_ state: LiveVerifyState, refusal: String?) {
        let found = state.cutoverRefusal(now: Self.now, maxAge: 3600)
        if let refusal {
            #expect(found?.contains(refusal) == true, "\(found ?? "nil")")
        } else {
            #expect(found == nil)
        }
    }
}
