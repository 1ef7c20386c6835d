import BackupEngine
import Dump
import Foundation
import MariaDBClient
import ObjectStore
import TestSupport
import Testing
import UTCTime

@testable import RestoreEngine

/// The rows this tool reads itself make the file mariadb-dump alone writes, byte for byte (but for
/// its completion time), and tables it cannot read leave the whole dump to mariadb-dump.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct RowReaderTests {
    /// Every column type, NULL and empty values, all 256 byte values, an empty table, engines
    /// besides InnoDB, and rows of many lengths so statements break at many offsets.
    static func seedTypes(_ connection: MariaDBConnection, _ name: String) async throws {
        let allBytes = (0...255).map { String(format: "%02X", $0) }.joined()
        try await connection.execute([
            "CREATE TABLE `\(name)`.zoo (id INT PRIMARY KEY, ti TINYINT, bi BIGINT UNSIGNED, f FLOAT, d DOUBLE, "
                + "dc DECIMAL(20,5), bt BIT(10), y YEAR, dt DATETIME(3), ts TIMESTAMP NULL, tm TIME, da DATE, "
                + "e ENUM('a','b'), st SET('x','y'), j JSON, g POINT, bn BINARY(4), vb VARBINARY(300), tx TEXT, "
                + "lt LONGTEXT CHARACTER SET utf8mb4) ENGINE=Aria",
            "INSERT INTO `\(name)`.zoo VALUES (1, -128, 18446744073709551615, 1.5e-7, -2.25e300, -123456789.12345, "
                + "b'1010101010', 2024, '2024-08-26 12:24:34.567', '2024-08-26 12:24:34', '-838:59:59', '2024-02-29', "
                + "'b', 'x,y', '{\"k\": [1, \"é\"]}', POINT(1.5, -2), 0x00FF2700, UNHEX('\(allBytes)'), "
                + "'tëxt\\n\\'\"', "
                + "'😀 \\\\ \\0')",
            "INSERT INTO `\(name)`.zoo (id, tx, vb, lt) VALUES (2, '', '', NULL), (3, NULL, NULL, '')",
            "CREATE TABLE `\(name)`.empty (id INT PRIMARY KEY) ENGINE=InnoDB",
            "CREATE TABLE `\(name)`.mem (id INT, v VARCHAR(10)) ENGINE=MEMORY",
            "INSERT INTO `\(name)`.mem VALUES (1, 'm'), (NULL, NULL)",
            // InnoDB: mariadb-backup 10.11 runs BACKUP LOCK on other engines' tables without doubling a
            // backtick in the name, and fails on it (a physical backup test may run meanwhile).
            "CREATE TABLE `\(name)`.`we``ird` (id INT, v MEDIUMTEXT) ENGINE=InnoDB",
            "INSERT INTO `\(name)`.`we``ird` SELECT seq, REPEAT(CHAR(65 + seq % 26), seq * 7 % 5003) "
                + "FROM `\(name)`.seq_1_to_3000",
            "CREATE TABLE `\(name)`.mys (id INT, v VARCHAR(40)) ENGINE=MyISAM",
            // Generated columns: mariadb-dump writes their values too, and a restore ignores them.
            "CREATE TABLE `\(name)`.gen (id INT PRIMARY KEY, a INT, v INT AS (a + 1) VIRTUAL, "
                + "p VARCHAR(20) AS (CONCAT('x', a)) PERSISTENT, j JSON, k VARCHAR(10) AS (JSON_VALUE(j, '$.k')))",
            "INSERT INTO `\(name)`.gen (id, a, j) VALUES (1, 1, '{\"k\": \"v\"}'), (2, NULL, NULL), (3, -5, '{}')",
            "INSERT INTO `\(name)`.mys SELECT seq, REPEAT('m', seq % 41) FROM `\(name)`.seq_1_to_300",
        ])
    }

    /// A backup without compression, its file's bytes without the completion line, and its manifest.
    static func dump(
        _ env: TestEnvironment, _ name: String, galera: Bool, readRows: Bool, store: DirectoryStore, second: Int64,
        extraArguments: [String] = []
    ) async throws -> ([UInt8], BackupManifest) {
        let manifest = try await BackupPipeline.run(
            BackupRequest(
                connection: try env.sourceTCP(),
                dump: DumpOptions(databases: [name], galera: galera, extraArguments: extraArguments),
                compression: .none, now: UTCDateTime(epochSeconds: 1_900_000_000 + second), readRows: readRows),
            store: store)
        let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: store.location + manifest.name)))
        // Other tests write to the source meanwhile: the two dumps' positions differ.
        let text = String(decoding: file, as: UTF8.self)
            .replacing(/MASTER_LOG_FILE='[^']*', MASTER_LOG_POS=\d+;/, with: "")
            .replacing(/gtid_slave_pos='[^']*'/, with: "")
        let completion = try #require(text.range(of: "-- Dump completed on ", options: .backwards))
        return (Array(text[..<completion.lowerBound].utf8), manifest)
    }

    /// A latin1 default in a definition: the dump travels in utf8mb4 (the binary character set would
    /// change it), and the rows are converted from latin1 and cp1251; all 256 bytes stay raw in binary
    /// columns, invalid UTF-8 included.
    static func seedUTF8(_ connection: MariaDBConnection, _ name: String) async throws {
        let highBytes = (128...255).map { String(format: "%02X", $0) }.joined()
        try await connection.execute([
            "CREATE TABLE `\(name)`.accent (id INT PRIMARY KEY, l VARCHAR(200) CHARACTER SET latin1 DEFAULT 'é', "
                + "c VARCHAR(20) CHARACTER SET cp1251, b VARBINARY(20)) ENGINE=InnoDB",
            "INSERT INTO `\(name)`.accent VALUES (1, CONVERT(UNHEX('\(highBytes)') USING latin1), 'Жук', "
                + "0xC327E280F09F985C00), (2, 'naïve\\'', '', 0xFF)",
        ])
    }

    /// `neutral`: extra arguments that choose tables or shape definitions only (one table left out).
    @Test(arguments: [
        (galera: false, utf8: false, neutral: false), (galera: true, utf8: false, neutral: false),
        (galera: false, utf8: true, neutral: false), (galera: false, utf8: false, neutral: true),
    ])
    func theFileIsMariaDBDumps(galera: Bool, utf8: Bool, neutral: Bool) async throws {
        let scratch = try await ScratchDatabase.make("rows")
        defer { scratch.drop() }
        try await seed(scratch.source, scratch.name, rows: 12000)
        try await Self.seedTypes(scratch.source, scratch.name)
        if utf8 { try await Self.seedUTF8(scratch.source, scratch.name) }
        let extra =
            neutral
            ? ["--ignore-table=\(scratch.name).mys", "--add-drop-database", "--skip-triggers", "--verbose"] : []
        let store = try temporaryStore()
        let (ours, oursManifest) = try await Self.dump(
            scratch.env, scratch.name, galera: galera, readRows: true, store: store, second: 0, extraArguments: extra)
        let (theirs, theirsManifest) = try await Self.dump(
            scratch.env, scratch.name, galera: galera, readRows: false, store: store, second: 1, extraArguments: extra)
        #expect(String(decoding: ours, as: UTF8.self).contains("`mys`") == !neutral)
        #expect(oursManifest.rowsReadBy == BackupPipeline.toolVersion)
        #expect(theirsManifest.rowsReadBy == nil)
        #expect(oursManifest.dumpArguments == theirsManifest.dumpArguments)
        #expect(oursManifest.dumpArguments.contains("--default-character-set=binary") == !utf8)
        #expect(!oursManifest.dumpArguments.contains("--no-data"))
        // The position is the row snapshot's, taken before mariadb-dump started.
        let (position, later) = (try #require(oursManifest.binlog), try #require(theirsManifest.binlog))
        #expect(position.file == later.file && position.offset! <= later.offset! && position.gtid != nil)
        #expect(ours.count > 1_000_000)
        if ours != theirs {
            let first =
                zip(ours, theirs).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(ours.count, theirs.count)
            let context = String(decoding: ours[max(0, first - 80)..<min(ours.count, first + 80)], as: UTF8.self)
            Issue.record("the files differ at byte \(first) of \(ours.count)/\(theirs.count): \(context)")
        }
        // And it restores (but for the table left out).
        guard !neutral else { return }
        _ = try await RestorePipeline.run(
            RestoreRequest(
                connection: try scratch.env.targetTCP(), target: .time(UTCDateTime(epochSeconds: 1_900_000_000))),
            store: store)
        #expect(try await differences(scratch.env, databases: [scratch.name]) == [])
    }

    /// A sequence (SETVAL) or an invisible column (a column list) is mariadb-dump's to write.
    @Test(arguments: [
        "CREATE SEQUENCE `%@`.s", "CREATE TABLE `%@`.g (a INT, b INT AS (a + 1) VIRTUAL INVISIBLE)",
        "CREATE TABLE `%@`.h (a INT, b INT INVISIBLE)",
    ])
    func tablesOfItsOwnKindLeaveTheRowsToMariaDBDump(statement: String) async throws {
        let scratch = try await ScratchDatabase.make("rowsapart")
        defer { scratch.drop() }
        try await seed(scratch.source, scratch.name, rows: 100)
        try await scratch.source.query(statement.replacingOccurrences(of: "%@", with: scratch.name))
        let store = try temporaryStore()
        let (_, manifest) = try await Self.dump(
            scratch.env, scratch.name, galera: false, readRows: true, store: store, second: 2)
        #expect(manifest.rowsReadBy == nil)
    }
}
