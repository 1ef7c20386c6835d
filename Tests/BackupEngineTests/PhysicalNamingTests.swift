import Compression
import Foundation
import ObjectStore
import Testing
import UTCTime

@testable import BackupEngine
@testable import Dump

/// The operator's PhysicalBackupProcessor (pkg/backup/processor.go at 8970edf8), case by case.
@Suite struct PhysicalBackupNameTests {
    @Test(arguments: [
        (CompressionAlgorithm.none, "physicalbackup-20240826122434.xb"),
        (.gzip, "physicalbackup-20240826122434.xb.gz"),
        (.bzip2, "physicalbackup-20240826122434.xb.bz2"),
    ])
    func writesTheOperatorsNames(compression: CompressionAlgorithm, expected: String) {
        let name = BackupName(time: t("2024-08-26T12:24:34Z"), compression: compression, kind: .physical)
        #expect(name.fileName == expected)
        #expect(BackupName(parsingPhysical: expected) == name)
        #expect(BackupName(parsing: expected) == nil, "a logical restore must not pick it")
        #expect(BackupName(parsingPhysical: name.manifestName) == nil, "the operator must ignore the manifest")
        let pending = name.pendingName(run: "0badcafe")
        #expect(BackupName.parseAnyKind(pending) == nil, "nor the pending upload")
        #expect(BackupName.waiting(in: pending) == name && BackupName.waiting(in: name.fileName + ".partial") == name)
        #expect(BackupName.newRun().count == 8 && BackupName.newRun() != BackupName.newRun())
    }

    /// Valid: `physicalbackup-` + 14 digits of a real UTC time, then one dot part (anything: no
    /// compression) or two (`gz`, `bz2` or empty). Everything else is skipped, as the operator does.
    @Test(arguments: [
        ("physicalbackup-20250101000000.xb", true, CompressionAlgorithm.none),
        ("physicalbackup-20250101000000.xb.gz", true, .gzip),
        ("physicalbackup-20250101000000.xb.bz2", true, .bzip2),
        ("physicalbackup-20250101000000.xb.", true, .none),
        ("physicalbackup-20250101000000.anything", true, .none),
        ("physicalbackup-20240229235959.xb", true, .none),
        ("physicalbackup-20250101000000.xb.zst", false, .none),
        ("physicalbackup-20250101000000.xb.gz.manifest.json", false, .none),
        ("physicalbackup-20250101000000.xb.manifest.json", false, .none),
        ("physicalbackup-20250101000000.xb.partial", false, .none),
        ("physicalbackup-20250101000000", false, .none),
        ("physicalbackup-2025010100000.xb", false, .none),
        ("physicalbackup-202501010000000.xb", false, .none),
        ("physicalbackup-20250230000000.xb", false, .none),
        ("physicalbackup-20250101240000.xb", false, .none),
        ("physicalbackup-20250101000060.xb", false, .none),
        ("physicalbackup-2025-01-01T00:00:00Z.xb", false, .none),
        ("physicalbackup-２0250101000000.xb", false, .none),
        ("backup.2025-01-01T00:00:00Z.sql", false, .none),
        ("physicalbackup20250101000000.xb", false, .none),
        ("", false, .none),
    ])
    func readsWhatTheOperatorReads(name: String, valid: Bool, compression: CompressionAlgorithm) {
        let parsed = BackupName(parsingPhysical: name)
        #expect((parsed != nil) == valid)
        if valid { #expect(parsed?.compression == compression) }
    }

    @Test func compactTimesRoundTrip() {
        let time = t("2024-02-29T23:59:58Z")
        #expect(time.compact == "20240229235958")
        #expect(UTCDateTime.parseCompact(time.compact) == time)
        #expect(UTCDateTime.parseCompact("20230229000000") == nil)
    }

    /// Each kind is chosen among its own names only: a logical Restore never picks a physical
    /// backup, nor a physical bootstrap a logical one; retention deletes only its own kind.
    @Test func selectionAndRetentionKeepTheKindsApart() throws {
        let names = [
            "backup.2025-01-01T00:00:00Z.sql.gz", "physicalbackup-20250101010000.xb.gz",
            "physicalbackup-20250101010000.xb.gz.manifest.json", "backup.2025-01-01T02:00:00Z.sql.gz",
            "physicalbackup-20250101030000.xb.gz.partial", "physicalbackup-20250101020000.xb",
        ]
        let target = t("2025-01-01T02:30:00Z")
        #expect(
            try BackupSelection.target(target, among: names, location: "s3://b/", kind: .physical).fileName
                == "physicalbackup-20250101020000.xb")
        #expect(
            try BackupSelection.target(target, among: names, location: "s3://b/").fileName
                == "backup.2025-01-01T02:00:00Z.sql.gz")
        #expect(
            throws: BackupSelectionError.noneAtOrBefore(
                target: t("2025-01-01T00:30:00Z"), earliest: BackupName(parsingPhysical: names[1])!, location: "s3://b/"
            )
        ) { try BackupSelection.target(t("2025-01-01T00:30:00Z"), among: names, location: "s3://b/", kind: .physical) }
        let expired = BackupSelection.expired(
            among: names, now: t("2025-01-02T00:00:00Z"), maxRetentionSeconds: 3600, keepLast: nil, kind: .physical)
        #expect(expired.map(\.fileName) == ["physicalbackup-20250101010000.xb.gz"])
        let error = BackupSelectionError.noBackups(location: "s3://b/", kind: .physical)
        #expect(error.localizedDescription.contains("physicalbackup-<YYYYMMDDHHMMSS>.xb[.gz|.bz2]"))
    }

    @Test func aPendingUploadLeftByAKilledRunIsCollectedWhenOld() {
        let now = t("2025-01-01T12:00:00Z")
        let objects = [
            ObjectInfo(
                name: "physicalbackup-20250101100000.xb.gz.partial", size: 9, lastModified: t("2025-01-01T10:00:00Z")),
            ObjectInfo(
                name: "physicalbackup-20250101115900.xb.gz.partial", size: 9, lastModified: t("2025-01-01T11:59:00Z")),
            ObjectInfo(name: "physicalbackup-20250101100000.xb.gz", size: 9, lastModified: t("2025-01-01T10:00:00Z")),
            ObjectInfo(name: "notes.partial", size: 9, lastModified: t("2025-01-01T10:00:00Z")),
            ObjectInfo(
                name: "physicalbackup-20250101100000.xb.gz.0badcafe.partial", size: 9,
                lastModified: t("2025-01-01T10:00:00Z")),
            ObjectInfo(
                name: "physicalbackup-20250101100000.xb.gz.not-a-run.partial", size: 9,
                lastModified: t("2025-01-01T10:00:00Z")),
        ]
        #expect(
            StoreGC.stalePending(objects, now: now, minimumAgeSeconds: 3600).map(\.name) == [
                "physicalbackup-20250101100000.xb.gz.partial", "physicalbackup-20250101100000.xb.gz.0badcafe.partial",
            ])
    }

    @Test(arguments: [
        ("mariadb-backup based on MariaDB server 10.11.19-MariaDB debian-linux-gnu (x86_64)", "10.11.19"),
        ("mariabackup based on MariaDB server 10.6.21-MariaDB Linux (x86_64)", "10.6.21"),
        ("something else", nil),
    ])
    func readsTheToolsVersion(text: String, version: String?) {
        #expect(PhysicalBackupPipeline.parseToolVersion(text) == version)
    }

    @Test(arguments: [
        ("10.11.19", "10.11.19-MariaDB-0+deb12u1-log", true),
        ("10.11.6", "10.11.19-MariaDB", true),
        ("10.6.21", "10.11.19-MariaDB", false),
        ("11.4.2", "10.11.19-MariaDB", false),
        ("10.1.1", "10.11.1", false),
        ("garbage", "10.11.19", false),
    ])
    func theToolMatchesTheServersMajorMinor(tool: String, server: String, match: Bool) {
        #expect(PhysicalBackupPipeline.versionsMatch(tool: tool, server: server) == match)
    }
}

/// A tiny xbstream built by hand: chunks as mariadb-backup 10.11 writes them.
enum XBStreamFixture {
    static func chunk(_ path: String, type: Character = "P", payload: [UInt8] = []) -> [UInt8] {
        func le(_ value: UInt64, _ count: Int) -> [UInt8] {
            (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
        }
        var bytes = Array("XBSTCK01".utf8) + [0, UInt8(ascii: Unicode.Scalar(String(type))!)]
        bytes += le(UInt64(path.utf8.count), 4) + Array(path.utf8)
        switch type {
        case "E", "D": return bytes
        case "R": return bytes + le(UInt64(payload.count), 4) + payload  // the new path
        case "S": return bytes + le(4096, 8)
        default: return bytes + le(UInt64(payload.count), 8) + le(0, 8) + le(0, 4) + payload
        }
    }

    static var stream: [UInt8] {
        chunk("ibdata1", payload: Array(repeating: 7, count: 70_000)) + chunk("ibdata1", type: "E")
            // DDL while the backup ran: a table renamed, one removed; an Aria log seeked.
            + chunk("db/t1.ibd", type: "R", payload: Array("db/t2.ibd".utf8)) + chunk("db/t3.ibd", type: "D")
            + chunk("aria_log.00000001", type: "S") + chunk("db/t4.frm", type: "R")
            + chunk("xtrabackup_binlog_info", payload: Array("mysql-bin.000003\t1048\t0-1-4,1-2-9\n".utf8))
            + chunk("xtrabackup_binlog_info", type: "E")
            + chunk("xtrabackup_info", payload: Array("tool_name = mariadb-backup\n".utf8))
            + chunk("xtrabackup_info", type: "E")
    }
}

@Suite struct XBStreamScannerTests {
    @Test(arguments: [1, 7, 13, 14, 4096, 1 << 20])
    func readsTheSameWhateverTheChunking(size: Int) {
        let stream = XBStreamFixture.stream
        var scanner = XBStreamScanner()
        var index = 0
        while index < stream.count {
            scanner.consume(Array(stream[index..<min(index + size, stream.count)]))
            index += size
        }
        #expect(scanner.complete)
        #expect(scanner.files == 3)
        #expect(scanner.chunks == 10)
        #expect(scanner.reachedConsistentPoint)
        #expect(scanner.binlogPosition == DumpPosition(file: "mysql-bin.000003", offset: 1048, gtid: "0-1-4,1-2-9"))
        #expect(scanner.kept["ibdata1"] == nil)
    }

    @Test func aCutStreamIsNotComplete() {
        let stream = XBStreamFixture.stream
        for cut in [1, 10, 20, 100, 70_050, stream.count - 3] {
            var scanner = XBStreamScanner()
            scanner.consume(Array(stream.prefix(cut)))
            #expect(!scanner.complete, "cut at \(cut)")
        }
    }

    @Test func somethingElseIsAFault() {
        var scanner = XBStreamScanner()
        scanner.consume(Array("-- MariaDB dump 10.19\n".utf8))
        #expect(scanner.fault?.contains("not a mariadb-backup --stream=xbstream") == true)
        #expect(!scanner.complete)
        var empty = XBStreamScanner()
        empty.consume([])
        #expect(!empty.complete)
    }

    @Test func theBinlogInfoMayLackAGTID() {
        #expect(
            XBStreamScanner.parseBinlogInfo("mysql-bin.000001\t4\n")
                == DumpPosition(file: "mysql-bin.000001", offset: 4))
        #expect(XBStreamScanner.parseBinlogInfo("") == nil)
    }
}

@Suite struct RouteEstimateTests {
    /// The constants are bench/physical.sh's last measurement, not typed-in guesses.
    @Test func throughputsAreTheBenchmarksMeasurement() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("bench/results.json")
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        let physical = try #require(results?["physical"] as? [String: Any])
        #expect(physical["logical_bytes_per_s"] as? Double == RouteEstimate.logicalBytesPerSecond)
        #expect(physical["physical_bytes_per_s"] as? Double == RouteEstimate.physicalBytesPerSecond)
    }

    @Test func suggestsPhysicalForABigSourceWhenItCanRunHere() {
        let big: UInt64 = 100 << 30
        #expect(RouteEstimate.suggested(dataBytes: big, physicalPossible: true) == .physical)
        #expect(RouteEstimate.suggested(dataBytes: big, physicalPossible: false) == .logical)
        #expect(RouteEstimate.suggested(dataBytes: 1 << 20, physicalPossible: true) == .logical)
        // Transaction-precise history travels only by the physical route: suggested for a small source too.
        let small: UInt64 = 1 << 20
        #expect(RouteEstimate.suggested(dataBytes: small,
            physicalPossible: true, historyOnlyPhysical: true) == .physical)
        #expect(RouteEstimate.suggested(dataBytes: small,
            physicalPossible: false, historyOnlyPhysical: true) == .logical)
        // The figures follow bench/results.json; the form is what is checked.
        let text = RouteEstimate.describe(dataBytes: big)
        #expect(
            text.range(of: #"^logical ≈ \d+(\.\d)? h, physical ≈ \d+ min$"#, options: .regularExpression) != nil,
            "\(text)")
    }
}

/// A table dropped while mariadb-backup lists the tablespaces is told apart from other failures: only that one is
/// tried again.
@Suite struct PhysicalBackupRetryTests {
    static let failures: [(stderr: String, table: String?)] = [
        (
            """
            [00] 2026-12-05 19:01:23 mariabackup: Generating a list of tablespaces
            2026-12-05 19:01:23 0 [ERROR] InnoDB: File ./pf_1572252674/ok.ibd was not found
            2026-12-05 19:01:23 0 [ERROR] InnoDB: Operating system error number 2 in a file operation.
            2026-12-05 19:01:23 0 [Warning] InnoDB: Cannot open './pf_1572252674/ok.ibd'.
            [00] FATAL ERROR: 2026-12-05 19:01:23 Failed to validate first page of the file pf_1572252674/ok, error 61
            """,
            "pf_1572252674/ok"
        ),
        ("[00] FATAL ERROR: failed to open the target stream for 'ib_logfile0'.", nil),
        ("Access denied for user 'backup'@'localhost' (using password: YES)", nil),
        ("", nil),
    ]

    @Test(arguments: failures)
    func aTableDroppedDuringTheScanIsTheOneFailureTriedAgain(stderr: String, table: String?) {
        #expect(PhysicalBackupPipeline.droppedDuringScan(stderr) == table)
    }
}
