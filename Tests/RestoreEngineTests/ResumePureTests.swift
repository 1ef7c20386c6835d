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
