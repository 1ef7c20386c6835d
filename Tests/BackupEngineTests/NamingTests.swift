import Compression
import Foundation
import ObjectStore
import Testing
import MariaDBClient
import UTCTime

@testable import BackupEngine
@testable import Dump

func t(_ text: String) -> UTCDateTime { UTCDateTime.parseRFC3339(text)! }

@Suite struct BackupNameTests {
    @Test(arguments: [
        (CompressionAlgorithm.none, "backup.2024-08-26T12:24:34Z.sql"),
        (.gzip, "backup.2024-08-26T12:24:34Z.sql.gz"),
        (.bzip2, "backup.2024-08-26T12:24:34Z.sql.bz2"),
    ])
    func writesTheOperatorsNames(compression: CompressionAlgorithm, expected: String) {
        let name = BackupName(time: t("2024-08-26T12:24:34Z"), compression: compression)
        #expect(name.fileName == expected)
        #expect(BackupName(parsing: expected) == name)
        #expect(name.manifestName.split(separator: ".").count >= 5, "the operator must ignore the manifest")
    }

    /// The operator's cases: valid and invalid names, legacy names, fractional seconds refused.
    @Test(arguments: [
        ("backup.2023-12-22T13:00:00Z.sql", true, CompressionAlgorithm.none),
        ("backup.2023-12-22T13:00:00Z.sql.gz", true, .gzip),
        ("backup.2023-12-22T13:00:00Z.sql.bz2", true, .bzip2),
        ("backup.2023-12-22T13:00:00Z.gzip.sql", true, .gzip),
        ("backup.2023-12-22T13:00:00Z.bzip2.sql", true, .bzip2),
        ("backup.2023-12-22T15:00:00+02:00.sql", true, .none),
        ("backup.2023-12-22T13:00:00.123Z.sql", false, .none),
        ("backup.2023-12-22T13:00:00Z.none.sql", false, .none),
        ("backup.2023-12-22T13:00:00Z.sql.zst", false, .none),
        ("backup.2023-12-22T13:00:00Z.sql.gz.manifest.json", false, .none),
        ("backup.2023-12-22.sql", false, .none),
        ("backup.foo.sql", false, .none),
        ("mariadb.2023-12-22T13:00:00Z.sql", false, .none),
        ("backup.2023-12-22T13:00:00Z.txt", false, .none),
        ("backup.2023-13-22T13:00:00Z.sql", false, .none),
        (".backup.2023-12-22T13:00:00Z.sql.1234.partial.tmp", false, .none),
        ("", false, .none),
    ])
    func readsWhatTheOperatorReads(name: String, valid: Bool, compression: CompressionAlgorithm) {
        let parsed = BackupName(parsing: name)
        #expect((parsed != nil) == valid)
        if valid { #expect(parsed?.compression == compression) }
    }

    @Test func offsetsAreReadAsUTC() {
        #expect(BackupName(parsing: "backup.2023-12-22T15:00:00+02:00.sql")?.time == t("2023-12-22T13:00:00Z"))
    }
}

@Suite struct SelectionTests {
    static let names = [
        "backup.2023-12-22T13:00:00Z.sql", "backup.2023-12-22T14:00:00Z.sql.gz", "backup.2023-12-22T15:00:00Z.sql.bz2",
        "backup.2023-12-22T16:00:00Z.sql.gz.manifest.json", "garbage.txt",
        ".backup.2023-12-22T17:00:00Z.sql.1.partial.tmp",
    ]

    @Test(arguments: [
        ("2023-12-22T13:30:00Z", "backup.2023-12-22T13:00:00Z.sql"),
        ("2023-12-22T14:00:00Z", "backup.2023-12-22T14:00:00Z.sql.gz"),
        ("2023-12-22T14:59:59Z", "backup.2023-12-22T14:00:00Z.sql.gz"),
        ("2023-12-23T00:00:00Z", "backup.2023-12-22T15:00:00Z.sql.bz2"),
        ("2023-12-22T13:00:00Z", "backup.2023-12-22T13:00:00Z.sql"),
    ])
    func picksTheNewestAtOrBeforeTheTarget(target: String, expected: String) throws {
        #expect(try BackupSelection.target(t(target), among: Self.names, location: "s3://b/p/").fileName == expected)
    }

    @Test func beforeTheFirstIsAnErrorNamingTheEarliest() {
        #expect(
            throws: BackupSelectionError.noneAtOrBefore(
                target: t("2023-12-22T12:00:00Z"), earliest: BackupName(parsing: Self.names[0])!, location: "s3://b/p/")
        ) {
            try BackupSelection.target(t("2023-12-22T12:00:00Z"), among: Self.names, location: "s3://b/p/")
        }
        let message = BackupSelectionError.noneAtOrBefore(
            target: t("2023-12-22T12:00:00Z"), earliest: BackupName(parsing: Self.names[0])!, location: "s3://b/p/"
        ).localizedDescription
        #expect(message.contains("2023-12-22T12:00:00Z") && message.contains("backup.2023-12-22T13:00:00Z.sql"))
        #expect(throws: BackupSelectionError.noBackups(location: "x")) {
            try BackupSelection.target(t("2023-12-22T12:00:00Z"), among: ["a.sql"], location: "x")
        }
    }

    @Test func retentionDeletesOnlyValidOldNamesAndNeverTheNewest() {
        let now = t("2023-12-22T16:00:00Z")
        let byAge = BackupSelection.expired(
            among: Self.names, now: now, maxRetentionSeconds: GoDuration.seconds("90m"), keepLast: nil)
        #expect(byAge.map(\.fileName) == ["backup.2023-12-22T13:00:00Z.sql", "backup.2023-12-22T14:00:00Z.sql.gz"])
        let all = BackupSelection.expired(among: Self.names, now: now, maxRetentionSeconds: 0, keepLast: nil)
        #expect(
            !all.contains { $0.fileName == "backup.2023-12-22T15:00:00Z.sql.bz2" }, "the newest backup is never deleted"
        )
        let keepTwo = BackupSelection.expired(among: Self.names, now: now, maxRetentionSeconds: nil, keepLast: 2)
        #expect(keepTwo.map(\.fileName) == ["backup.2023-12-22T13:00:00Z.sql"])
        let keepZero = BackupSelection.expired(among: Self.names, now: now, maxRetentionSeconds: nil, keepLast: 0)
        #expect(keepZero.count == 2)
        #expect(BackupSelection.expired(among: ["garbage.txt"], now: now, maxRetentionSeconds: 0, keepLast: 0).isEmpty)
    }

    static let durations: [(String, Int64?)] = [
        ("720h", 2_592_000), ("1h30m", 5400), ("90s", 90), ("1.5h", 5400), ("0", 0), ("", nil), ("3d", nil),
        ("h", nil), ("2562047h", 9_223_369_200), ("2562048h", nil),
        // Found by scripts/fuzz (they trapped): overflows and Unicode digits.
        ("12ns2ns00" + String(repeating: "6", count: 320) + "ns", nil), (String(repeating: "2", count: 400) + "s", nil),
        ("1m4m" + String(repeating: "7", count: 40) + "m", nil), ("\u{0663}h", nil),
    ]

    @Test(arguments: durations)
    func parsesGoDurations(text: String, seconds: Int64?) {
        #expect(GoDuration.seconds(text) == seconds)
    }
}

@Suite struct DumpArgumentTests {
    let file = "/tmp/x/credentials.cnf"

    @Test func standaloneAllDatabases() throws {
        #expect(
            try DumpOptions().arguments(defaultsExtraFile: file) == [
                "--defaults-extra-file=/tmp/x/credentials.cnf", "--single-transaction", "--events", "--routines",
                "--all-databases", "--flush-privileges", "--ignore-table=mysql.proc", "--ignore-table=mysql.event",
                "--ignore-table=mysql.plugin",
            ])
    }

    /// The mysql schema in the dump: mysql.proc, mysql.event and mysql.plugin left out (the routine and event
    /// sections and the preface make them again).
    @Test(arguments: [
        (DumpOptions(), true), (DumpOptions(databases: ["mysql"]), true), (DumpOptions(galera: true), true),
        (DumpOptions(databases: ["shop"]), false), (DumpOptions(operatorFlags: true), false),
    ])
    func routinesEventsAndPluginsAreNotLoadedAsRows(options: DumpOptions, leftOut: Bool) throws {
        let arguments = try options.arguments(defaultsExtraFile: file)
        for table in ["proc", "event", "plugin"] {
            #expect(arguments.contains("--ignore-table=mysql.\(table)") == leftOut, "\(table)")
        }
    }

    /// The privilege tables in the dump: FLUSH PRIVILEGES after them, or restored accounts are not in force.
    @Test(arguments: [
        (DumpOptions(), true), (DumpOptions(databases: ["shop", "mysql"]), true),
        (DumpOptions(databases: ["shop"]), false),
        (DumpOptions(galera: true), false), (DumpOptions(ignoreGlobalPrivileges: true), false),
        (DumpOptions(operatorFlags: true), false),
    ])
    func privilegeTablesAreFlushed(options: DumpOptions, flushes: Bool) throws {
        #expect(try options.arguments(defaultsExtraFile: file).contains("--flush-privileges") == flushes)
    }

    @Test func galeraLeavesOutEveryPrivilegeTable() throws {
        let arguments = try DumpOptions(databases: ["db1", "db2"], galera: true).arguments(defaultsExtraFile: file)
        #expect(arguments.contains("--skip-add-locks"))
        #expect(Array(arguments[4...6]) == ["--databases", "db1", "db2"])
        for table in DumpOptions.privilegeTables { #expect(arguments.contains("--ignore-table=mysql.\(table)")) }
    }

    @Test func historyIsDumpedWhenAskedButNotWithOperatorFlags() throws {
        var options = DumpOptions(databases: ["shop"])
        options.dumpHistory = true
        #expect(try options.arguments(defaultsExtraFile: file).contains("--dump-history"))
        options.operatorFlags = true
        #expect(try !options.arguments(defaultsExtraFile: file).contains("--dump-history"))
    }

    @Test func operatorFlagsLeaveOutOnlyGlobalPriv() throws {
        let arguments = try DumpOptions(galera: true, operatorFlags: true).arguments(defaultsExtraFile: file)
        #expect(arguments.filter { $0.hasPrefix("--ignore-table") } == ["--ignore-table=mysql.global_priv"])
    }

    @Test func binlogPositionAddsMasterDataAsCommentsButNotWithOperatorFlags() throws {
        let arguments = try DumpOptions(binlogPosition: true).arguments(defaultsExtraFile: file)
        #expect(Array(arguments[4...6]) == ["--all-databases", "--master-data=2", "--gtid"])
        #expect(
            try !DumpOptions(operatorFlags: true, binlogPosition: true).arguments(defaultsExtraFile: file).contains(
                "--master-data=2"))
    }

    @Test func binaryCharacterSetButNotWithOperatorFlags() throws {
        let arguments = try DumpOptions(extraArguments: ["--default-character-set=utf8mb4"], binaryCharacterSet: true)
            .arguments(defaultsExtraFile: file)
        // The user's character set comes after ours: mariadb-dump takes the last.
        #expect(
            arguments.filter { $0.hasPrefix("--default-character-set") } == [
                "--default-character-set=binary", "--default-character-set=utf8mb4",
            ])
        #expect(
            try !DumpOptions(operatorFlags: true, binaryCharacterSet: true).arguments(defaultsExtraFile: file)
                .contains("--default-character-set=binary"))
    }

    @Test func extraArgumentsKeepRepeats() throws {
        let arguments = try DumpOptions(extraArguments: [
            "--ignore-table=app.a", "--ignore-table=app.b", "--single-transaction", "--verbose",
        ])
        .arguments(defaultsExtraFile: file)
        #expect(
            arguments.filter { $0.hasPrefix("--ignore-table=app.") } == [
                "--ignore-table=app.a", "--ignore-table=app.b",
            ])
        #expect(arguments.filter { $0 == "--single-transaction" }.count == 1)
        #expect(arguments.last == "--verbose")
    }

    @Test(arguments: [
        ("--password=EXAMPLEpw", DumpOptionsError.forbidden("--password")), ("-pEXAMPLEpw", .forbidden("-p")),
        ("--user=x", .forbidden("--user")), ("verbose", .notAnOption("verbose")),
    ])
    func refusesCredentialsAndNonOptions(argument: String, error: DumpOptionsError) {
        #expect(throws: error) { try DumpOptions(extraArguments: [argument]).arguments(defaultsExtraFile: file) }
        #expect(!error.localizedDescription.contains("EXAMPLEpw"))
    }
}

@Suite struct DumpScannerTests {
    static let head = """
        -- MariaDB dump 10.19  Distrib 10.11.14-MariaDB
        -- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;

        -- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000042', MASTER_LOG_POS=1686;

        CREATE TABLE t (a int);

        """
    static let end = """
        -- SET GLOBAL gtid_slave_pos='0-1-8,1-2-30';
        /*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

        -- Dump completed on 2026-11-25 16:28:30

        """

    @Test(arguments: [
        (head + end, DumpPosition(file: "mysql-bin.000042", offset: 1686, gtid: "0-1-8,1-2-30"), true),
        (head + "INSERT INTO t VALUES (1);\n", DumpPosition(file: "mysql-bin.000042", offset: 1686, gtid: nil), false),
        ("CREATE TABLE t (a int);\n-- Dump completed on 2026-11-25 16:28:30\n", nil, true),
        ("-- Dump completed on 2026-11-25\nINSERT INTO t VALUES (1);\n", nil, false),
        ("", nil, false),
    ])
    func readsTrailerAndPosition(text: String, position: DumpPosition?, trailer: Bool) {
        // Fed in 7-byte pieces: a line split across chunks must still be found.
        var scanner = DumpScanner()
        let bytes = Array(text.utf8)
        for start in stride(from: 0, to: bytes.count, by: 7) {
            scanner.consume(Array(bytes[start..<min(bytes.count, start + 7)]))
        }
        #expect(scanner.position == position)
        #expect(scanner.sawTrailer == trailer)
        #expect(scanner.bytes == UInt64(bytes.count))
    }

    @Test func thePositionNearTheEndIsFoundAfterMegabytesOfData() {
        var scanner = DumpScanner()
        scanner.consume(Array(Self.head.utf8))
        for _ in 0..<40 { scanner.consume(Array(repeating: UInt8(ascii: "x"), count: 100_000)) }
        scanner.consume(Array(("\n" + Self.end).utf8))
        #expect(scanner.position?.gtid == "0-1-8,1-2-30")
        #expect(scanner.position?.offset == 1686)
    }
}

@Suite struct TimeJSONTests {
    @Test func encodesAsAnRFC3339String() throws {
        let data = try JSONEncoder().encode(["at": UTCDateTime(year: 2026, month: 11, day: 25, hour: 21, minute: 34)])
        #expect(String(decoding: data, as: UTF8.self) == #"{"at":"2026-11-25T21:34:00Z"}"#)
    }

    @Test(arguments: [
        (#""2026-11-25T21:34:00Z""#, "2026-11-25T21:34:00Z"),
        (#""2026-11-25T23:34:00+02:00""#, "2026-11-25T21:34:00Z"),
        (#"{"year":2026,"month":11,"day":25,"hour":21,"minute":34,"second":0}"#, "2026-11-25T21:34:00Z"),
    ])
    func decodesTheStringAndTheOldObjectForm(json: String, expected: String) throws {
        let time = try JSONDecoder().decode(UTCDateTime.self, from: Data(json.utf8))
        #expect(time.rfc3339 == expected)
    }

    @Test func refusesAStringThatIsNotATime() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(UTCDateTime.self, from: Data(#""yesterday""#.utf8))
        }
    }
}

@Suite struct StoreGCTests {
    @Test(arguments: [
        ("backup.2026-11-25T10:00:00Z.sql.gz", 7200, true),
        ("backup.2026-11-25T10:00:00Z.sql.gz", 600, false),
        ("backup.2026-11-25T10:00:00Z.sql.gz.manifest.json", 7200, true),
        ("notes.bin", 7200, false),
        ("backup.2026-11-25T10:00:00.5Z.sql", 7200, false),
    ])
    func onlyBackupNamesOlderThanTheAgeAreDiscarded(name: String, ageSeconds: Int64, discarded: Bool) {
        let now = t("2026-11-25T12:00:00Z")
        let write = UnfinishedWrite(
            name: name, started: UTCDateTime(epochSeconds: now.epochSeconds - ageSeconds), id: "u")
        #expect(StoreGC.candidates([write], now: now, minimumAgeSeconds: 3600) == (discarded ? [write] : []))
    }

    @Test func aWriteWhoseStartIsUnknownIsKept() {
        let write = UnfinishedWrite(name: "backup.2026-11-25T10:00:00Z.sql.gz", started: nil, id: "u")
        #expect(StoreGC.candidates([write], now: t("2026-11-25T12:00:00Z"), minimumAgeSeconds: 0).isEmpty)
    }
}

@Suite struct BinaryDumpGuardTests {
    static let table = """
        /*!40101 SET character_set_client = utf8mb4 */;
        CREATE TABLE `tëst` (
          `id` int(11) NOT NULL,
          `çol` varchar(20) DEFAULT 'plain' COMMENT 'it\\'s `not` an identifier',
          PRIMARY KEY (`id`)
        ) ENGINE=InnoDB DEFAULT CHARSET=latin1;
        /*!40101 SET character_set_client = @saved_cs_client */;
        -- Dumping data for table `tëst` é

        """
    static let rows = "INSERT INTO `tëst` VALUES\n(1,'é\\'ÿ'),\n(2,'CREATE TABLE é');\n"

    /// Whole and byte by byte: a chunk boundary anywhere gives the same answer.
    static func verdicts(_ text: String) -> [String?] {
        let bytes = Array(text.utf8)
        var whole = BinaryDumpGuard()
        var bytewise = BinaryDumpGuard()
        whole.consume(bytes)
        for byte in bytes { bytewise.consume([byte]) }
        return [whole.offendingTable, bytewise.offendingTable]
    }

    @Test(arguments: [
        ("identifiers, rows and comments only", table + rows, nil),
        ("a latin1 default", table.replacingOccurrences(of: "'plain'", with: "'été'"), "tëst"),
        ("after an escaped quote", table.replacingOccurrences(of: "an identifier", with: "ü"), "tëst"),
        ("an ENUM value", table.replacingOccurrences(of: "varchar(20)", with: "enum('ä')"), "tëst"),
        (
            "a doubled backtick in the name",
            table.replacingOccurrences(of: "CHARSET=latin1", with: "CHARSET=latin1 COMMENT='ß'")
                .replacingOccurrences(of: "CREATE TABLE `tëst`", with: "CREATE TABLE `a``b`"), "a`b"
        ),
        ("a trigger's literal", rows + "/*!50003 CREATE*/ /*!50003 TRIGGER `tr` SET NEW.c = 'ï' */;;\n", nil),
    ])
    func flagsNonASCIILiteralsInTableDefinitionsOnly(_ what: String, dump: String, table: String?) {
        #expect(Self.verdicts(dump) == [table, table], "\(what)")
    }

    @Test func theDefinitionQueryCoversTheDatabasesAndEveryPlaceALiteralLives() {
        let some = BinaryDumpGuard.nonASCIIDefinitionQuery(databases: ["app", "it's"])
        #expect(some.contains("IN ('app', 'it''s')"))
        for column in ["COLUMN_DEFAULT", "COLUMN_TYPE", "TABLE_COMMENT", "CHECK_CLAUSE", "PARTITION_DESCRIPTION"] {
            #expect(some.contains("LENGTH(\(column)) <> CHAR_LENGTH(\(column))"))
        }
        #expect(
            BinaryDumpGuard.nonASCIIDefinitionQuery(databases: []).contains(
                "NOT IN ('information_schema', 'performance_schema')"))
    }
}

/// Issue #33: whether a backup carries the history of system-versioned tables, and what it says.
@Suite struct HistoryDecisionTests {
    @Test(arguments: [
        // (versioned, transaction-precise, wanted, operator flags, dumps history, says)
        ([String](), [String](), true, false, false, nil),
        (["s.a"], [], true, false, true, "the history of table s.a travels with their rows"),
        (["s.a", "s.b"], [], false, false, false, "--no-history: the history of 2 tables s.a, s.b is left out"),
        (["s.a", "s.l"], ["s.l"], true, false, false, "beside the transaction-precise table s.l"),
        (["s.l"], ["s.l"], true, false, false, "the history of table s.l is transaction-precise"),
        (["s.a"], [], true, true, false, "--operator-flags: the history of table s.a is left out"),
    ] as [([String], [String], Bool, Bool, Bool, String?)])
    func theHistoryTravelsWhenItCan(
        versioned: [String], precise: [String], wanted: Bool, operatorFlags: Bool, dumps: Bool, says: String?
    ) {
        let decision = BackupPipeline.historyDecision(
            SystemVersionedTables(all: versioned, transactionPrecise: precise), wanted: wanted,
            operatorFlags: operatorFlags)
        #expect(decision.dumpHistory == dumps)
        // Every versioned table's history either travels or is named as left out.
        #expect(decision.leftOut == (dumps ? [] : versioned))
        if let says {
            #expect(decision.note?.contains(says) == true, "\(decision.note ?? "nil")")
        } else {
            #expect(decision.note == nil)
        }
    }
}
