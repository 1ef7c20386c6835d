import Testing

@testable import RestoreEngine

/// The pure parts of a resumable restore: which ordinals were done, what differs between two
/// restores' identities, which statements the tracked applier leaves to itself.
@Suite struct ResumePureTests {
    @Test(arguments: [
        ([], [Int](), [1]),
        ([3...5], [3, 4, 5], [2, 6]),
        // Overlapping and adjacent ranges merge (a reloaded table's chunks may overlap).
        ([10...12, 1...2, 3...4, 11...15], [1, 2, 3, 4, 10, 15], [0, 5, 9, 16]),
        ([7...7, 9...9], [7, 9], [8]),
    ] as [([ClosedRange<Int>], [Int], [Int])])
    func doneRangesHoldWhatWasCommitted(ranges: [ClosedRange<Int>], inside: [Int], outside: [Int]) {
        let done = DoneRanges(ranges)
        for ordinal in inside { #expect(done.contains(ordinal), "\(ordinal)") }
        for ordinal in outside { #expect(!done.contains(ordinal), "\(ordinal)") }
    }

    @Test func doneRangesCountEachOrdinalOnce() {
        #expect(DoneRanges([1...4, 3...6, 10...10]).count == 7)
        #expect(DoneRanges([1...4, 3...6, 10...10]).ranges == [1...6, 10...10])
    }

    static let recorded = RestoreIdentity(
        backup: "backup.2024-08-26T12:24:34Z.sql.gz", object: "sha256:aa", target: "db-0:/var/lib/mysql/",
        settings: "databases=* defer-indexes=true")

    @Test(arguments: [
        (recorded, [String]()),
        (RestoreIdentity(
            backup: "backup.2024-08-27T00:00:00Z.sql.gz", object: "sha256:bb", target: recorded.target,
            settings: recorded.settings),
         ["backup backup.2024-08-26T12:24:34Z.sql.gz recorded, backup.2024-08-27T00:00:00Z.sql.gz asked"]),
        (RestoreIdentity(
            backup: recorded.backup, object: "sha256:bb", target: recorded.target, settings: recorded.settings),
         ["object sha256:aa recorded, sha256:bb now"]),
        (RestoreIdentity(
            backup: recorded.backup, object: recorded.object, target: "db-1:/data/",
            settings: "databases=shop defer-indexes=true"),
         ["server db-0:/var/lib/mysql/ recorded, this one is db-1:/data/",
          "settings 'databases=* defer-indexes=true' recorded, 'databases=shop defer-indexes=true' asked"]),
    ])
    func identitiesNameWhatDiffers(asked: RestoreIdentity, differences: [String]) {
        #expect(Self.recorded.differences(from: asked) == differences)
    }

    @Test func theKeySeparatesRestoresOfOtherBackupsAndSettings() {
        var other = Self.recorded
        #expect(other.key == Self.recorded.key && other.key.count == 64)
        other.settings = "databases=shop defer-indexes=true"
        #expect(other.key != Self.recorded.key)
        // The server is checked, not keyed: a resume on a restarted server finds its records.
        other = Self.recorded
        other.target = "elsewhere"
        #expect(other.key == Self.recorded.key)
    }

    @Test(arguments: [
        ("CREATE TABLE `t` (\n  `a` int\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", true),
        ("CREATE TABLE `t` (\n  `a` int\n) ENGINE=Aria DEFAULT CHARSET=utf8mb4 PAGE_CHECKSUM=1", false),
        ("CREATE TABLE `t` (\n  `a` int\n) ENGINE=MyISAM", false),
        ("CREATE TABLE `t` (`a` int)", true),
    ])
    func engineWithTransactions(statement: String, transactional: Bool) {
        #expect(ParallelApplier.transactional(createTable: Array(statement.utf8)) == transactional)
    }

    @Test(arguments: [
        ("COMMIT", true), ("commit;", true), ("set autocommit=0", true), ("/*!40101 SET autocommit=0 */", true),
        ("SET NAMES utf8mb4", false), ("INSERT INTO t VALUES (1)", false),
    ])
    func theRestoreKeepsItsOwnTransactions(statement: String, controls: Bool) {
        #expect(ParallelApplier.controlsTransactions(Array(statement.utf8)) == controls)
    }
}

/// While a resume's ledger opens, the statements its early records account for are skipped only
/// when skipping them writes nothing: the rest waits for the full records.
@Suite struct EarlySkipTests {
    static let early = RestoreRecords(completed: DoneRanges([1...20]), indexesBuilt: [5], rowsComplete: [12])
    static let innodb = RowsTable(ordinal: 5, name: "d.t", transactional: true, reload: false)
    static let aria = RowsTable(ordinal: 9, name: "d.a", transactional: false, reload: false)
    static let ariaComplete = RowsTable(ordinal: 12, name: "d.c", transactional: false, reload: false)

    struct Case: Sendable, CustomTestStringConvertible {
        var sql: String
        var ordinal: Int
        var rowsTable: RowsTable?
        var indexesPending = false
        var applies = true
        var expected: Bool
        var testDescription: String { "\(sql.prefix(40)) #\(ordinal) → \(expected)" }
    }

    @Test(arguments: [
        Case(sql: "INSERT INTO `t` VALUES (1)", ordinal: 7, rowsTable: innodb, expected: true),
        Case(sql: "INSERT INTO `t` VALUES (1)", ordinal: 21, rowsTable: innodb, expected: false),
        // Rows of another database than the selected ones are left alone either way.
        Case(sql: "INSERT INTO `t` VALUES (1)", ordinal: 21, rowsTable: innodb, applies: false, expected: true),
        Case(sql: "CREATE TABLE `t` (`a` int) ENGINE=InnoDB", ordinal: 5, expected: true),
        Case(sql: "CREATE TABLE `t` (`a` int) ENGINE=InnoDB", ordinal: 21, expected: false),
        // A table without transactions whose rows were not all in may load again: the full records decide.
        Case(sql: "CREATE TABLE `a` (`a` int) ENGINE=Aria", ordinal: 9, expected: false),
        Case(sql: "CREATE TABLE `c` (`a` int) ENGINE=CSV", ordinal: 12, expected: true),
        Case(sql: "DROP TABLE IF EXISTS `a`", ordinal: 9, expected: true),
        // The end of a table's rows: its pending index build or rows-complete record is a write.
        Case(sql: "UNLOCK TABLES", ordinal: 8, rowsTable: innodb, expected: true),
        Case(sql: "CREATE TABLE `u` (`a` int) ENGINE=InnoDB", ordinal: 15, rowsTable: innodb, indexesPending: true,
             expected: false),
        Case(sql: "CREATE TABLE `u` (`a` int) ENGINE=InnoDB", ordinal: 15, rowsTable: aria, expected: false),
        Case(sql: "CREATE TABLE `u` (`a` int) ENGINE=InnoDB", ordinal: 15, rowsTable: ariaComplete, expected: true),
        Case(sql: "SET NAMES utf8mb4", ordinal: 30, expected: true),
        Case(sql: "USE `d`", ordinal: 30, expected: true),
        Case(sql: "CREATE DATABASE `d`", ordinal: 3, expected: true),
        Case(sql: "CREATE DATABASE `e`", ordinal: 25, expected: false),
        Case(sql: "/*!50003 CREATE PROCEDURE `p`() SELECT 1 */", ordinal: 20, expected: true),
        Case(sql: "/*!50003 CREATE PROCEDURE `p`() SELECT 1 */", ordinal: 22, expected: false),
        Case(sql: "COMMIT", ordinal: 40, expected: true),
    ])
    func skippedEarlyOnlyWhenNothingIsWritten(_ test: Case) {
        let statement = Array(test.sql.utf8)
        let written = !ParallelApplier.writesNothing(
            statement, kind: StatementKind(statement), ordinal: test.ordinal, records: Self.early,
            rowsTable: test.rowsTable, indexesPending: test.indexesPending, applies: test.applies, allDatabases: true)
        #expect(written != test.expected)
    }
}
