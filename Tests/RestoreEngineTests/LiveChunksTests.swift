import Testing

@testable import Verification

/// Issue #30's chunked comparison, pure: the key ranges, the checksum SQL, the row differences, the chunk size.
@Suite struct LiveChunksTests {
    @Test(arguments: [
        (["id"], ">", ["7"], false, "`id` > 7"),
        (["id"], "<", ["7"], true, "`id` <= 7"),
        (["a", "b"], ">", ["1", "'x'"], false, "(`a` > 1 OR (`a` = 1 AND `b` > 'x'))"),
        (["a", "b", "c"], "<", ["1", "2", "3"], true,
         "(`a` < 1 OR (`a` = 1 AND `b` < 2) OR (`a` = 1 AND `b` = 2 AND `c` <= 3))"),
        (["we`ird"], ">", ["NULL"], false, "`we``ird` > NULL"),
    ])
    func aKeyComparisonRangesOverTheIndex(
        columns: [String], operation: String, key: [String], inclusive: Bool, expected: String
    ) {
        #expect(LiveChunks.comparison(columns, operation, key, inclusive: inclusive) == expected)
    }

    @Test func aChunkIsTheRowsAfterItsLowerKeyUpToItsUpperKey() {
        #expect(LiveChunks.range(["id"], after: nil, upTo: nil) == "1=1")
        #expect(LiveChunks.range(["id"], after: ["10"], upTo: ["20"]) == "`id` > 10 AND `id` <= 20")
        #expect(LiveChunks.range(["id"], after: nil, upTo: ["20"]) == "`id` <= 20")
        let sql = LiveChunks.chunkChecksumSQL(
            table: "`db`.`t`", columns: ["id", "v"], key: ["id"], after: ["10"], upTo: ["20"])
        #expect(sql == "SELECT COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('#', `id`, `v`, CONCAT(ISNULL(`id`), "
            + "ISNULL(`v`))))), 0) FROM `db`.`t` FORCE INDEX (PRIMARY) WHERE `id` > 10 AND `id` <= 20")
        #expect(LiveChunks.chunkEndSQL(table: "`t`", key: ["a", "b"], after: nil, rows: 1000)
            == "SELECT QUOTE(`a`), QUOTE(`b`) FROM `t` FORCE INDEX (PRIMARY) WHERE 1=1 ORDER BY `a`, `b` LIMIT 1 "
            + "OFFSET 999")
    }

    @Test func differingRowsAreFoundByKeyOnEitherSide() {
        let source: [(key: LiveChunks.Key, checksum: String)] = [(["1"], "a"), (["2"], "b"), (["3"], "c")]
        let target: [(key: LiveChunks.Key, checksum: String)] = [(["1"], "a"), (["2"], "B"), (["4"], "d")]
        #expect(LiveChunks.differences(source: source, target: target) == [
            .differs(["2"]), .onlyOnSource(["3"]), .onlyOnTarget(["4"]),
        ])
        #expect(LiveChunks.differences(source: source, target: source).isEmpty)
    }

    @Test(arguments: [
        // current rows, seconds it took → next rows
        (1000, 0.5, 1000), (1000, 0.25, 2000), (1000, 0.01, 2000), (1000, 1.0, 500), (1000, 30.0, 500),
        (150, 10.0, 100), (900_000, 0.1, 1_000_000), (1000, 0.0, 2000),
    ])
    func theChunkSizeSteersTowardsHalfASecondAtMostTwofoldAStep(current: Int, seconds: Double, next: Int) {
        #expect(LiveChunks.nextChunkRows(current: current, seconds: seconds) == next)
    }
}
