import MariaDBClient
import Testing

@testable import Dump

/// Values for `TableDataWriter`, as the server would send them.
struct FakeRow: RowValues {
    var cells: [[UInt8]?]

    func value(at index: Int) -> UnsafeRawBufferPointer? {
        guard let cell = cells[index] else { return nil }
        // The cells live as long as the row, which outlives each append.
        return cell.withUnsafeBytes {
            UnsafeRawBufferPointer(start: $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), count: $0.count)
        }
    }
}

func format(
    table: String = "t", addLocks: Bool = true, limit: Int = TableDataWriter.defaultStatementLimit,
    columns: [StreamedColumn], rows: [[[UInt8]?]]
) -> String {
    var writer = TableDataWriter(table: Array(table.utf8), addLocks: addLocks, statementLimit: limit)
    var out = DumpBuffer()
    writer.begin(columns: columns, into: &out)
    for cells in rows { writer.append(row: FakeRow(cells: cells), into: &out) }
    writer.end(into: &out)
    return String(decoding: out.bytes, as: UTF8.self)
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

struct TableDataWriterTests {
    static let header =
        "\n--\n-- Dumping data for table `t`\n--\n\nLOCK TABLES `t` WRITE;\n"
        + "/*!40000 ALTER TABLE `t` DISABLE KEYS */;\n"
    static let footer = "/*!40000 ALTER TABLE `t` ENABLE KEYS */;\nUNLOCK TABLES;\n"

    /// mariadb-dump's literals: numbers bare, old DECIMAL quoted, inf/nan as NULL, empty as '', NULL,
    /// and the seven escaped bytes.
    @Test(arguments: [
        (StreamedColumn(numeric: true), bytes("42"), "42"),
        (StreamedColumn(numeric: true), bytes("-1.5e10"), "-1.5e10"),
        (StreamedColumn(numeric: true), bytes("inf"), "NULL"),
        (StreamedColumn(numeric: true), bytes("-inf"), "NULL"),
        (StreamedColumn(numeric: true), bytes("nan"), "NULL"),
        (StreamedColumn(numeric: true, quotedNumber: true), bytes("3.25"), "'3.25'"),
        (StreamedColumn(numeric: true), [], "''"),
        (StreamedColumn(numeric: false), [], "''"),
        (StreamedColumn(numeric: false), bytes("plain"), "'plain'"),
        (StreamedColumn(numeric: false), [0, 10, 13, 92, 39, 34, 26], "'\\0\\n\\r\\\\\\'\\\"\\Z'"),
        (StreamedColumn(numeric: false), bytes("a'b"), "'a\\'b'"),
        (StreamedColumn(numeric: false), [0xC3, 0xA9, 0xFF], "'\u{E9}\u{FFFD}'"),
    ])
    func literals(column: StreamedColumn, value: [UInt8], expected: String) {
        let text = format(columns: [column], rows: [[value]])
        #expect(text == Self.header + "INSERT INTO `t` VALUES\n(\(expected));\n" + Self.footer)
    }

    @Test func nullAndSeveralColumns() {
        let text = format(
            columns: [StreamedColumn(numeric: true), StreamedColumn(numeric: false)],
            rows: [[bytes("1"), nil], [nil, bytes("x")]])
        #expect(text == Self.header + "INSERT INTO `t` VALUES\n(1,NULL),\n(NULL,'x');\n" + Self.footer)
    }

    @Test func anEmptyTableKeepsItsLocksAndKeys() {
        #expect(format(columns: [StreamedColumn(numeric: true)], rows: []) == Self.header + Self.footer)
    }

    @Test func galeraHasNoLocks() {
        let text = format(addLocks: false, columns: [StreamedColumn(numeric: true)], rows: [[bytes("1")]])
        #expect(!text.contains("LOCK TABLES") && !text.contains("UNLOCK"))
        #expect(text.hasSuffix("(1);\n/*!40000 ALTER TABLE `t` ENABLE KEYS */;\n"))
    }

    @Test func aBacktickInTheNameIsDoubled() {
        let text = format(table: "a`b", columns: [StreamedColumn(numeric: true)], rows: [[bytes("1")]])
        #expect(text.contains("INSERT INTO `a``b` VALUES\n(1);\n"))
    }

    /// A statement grows while mariadb-dump's total_length stays under the limit: the pattern
    /// `INSERT INTO `t` VALUES\n` (23) + 4, and 2 more than each row. One 5-byte row makes 34, a
    /// second 41: under a limit of 42 two rows share a statement, under 41 or less each has its own.
    @Test(arguments: [(40, 5), (41, 5), (42, 3), (200, 1)])
    func statementsBreakWhereMariaDBDumpBreaksThem(limit: Int, statements: Int) {
        let rows = (0..<5).map { _ in [Optional(bytes("123"))] }
        let text = format(limit: limit, columns: [StreamedColumn(numeric: true)], rows: rows)
        #expect(text.components(separatedBy: "INSERT INTO").count - 1 == statements)
        #expect(text.components(separatedBy: "(123)").count - 1 == 5)
    }
}

struct DumpSplicerTests {
    static let definition = """
        USE `db`;
        DROP TABLE IF EXISTS `t`;
        /*!40101 SET @saved_cs_client     = @@character_set_client */;
        /*!40101 SET character_set_client = utf8mb4 */;
        CREATE TABLE `t` (
          `id` int(11) NOT NULL
        ) ENGINE=InnoDB;
        /*!40101 SET character_set_client = @saved_cs_client */;
        DELIMITER ;;
        CREATE TABLE `inside_a_body` (x int);
        /*!40101 SET character_set_client = @saved_cs_client */;
        DELIMITER ;
        CREATE TABLE IF NOT EXISTS `general_log` (
        ) ENGINE=CSV;
        /*!40101 SET character_set_client = @saved_cs_client */;
        -- CHANGE MASTER TO MASTER_LOG_FILE='old.000001', MASTER_LOG_POS=4;
        -- SET GLOBAL gtid_slave_pos='0-1-1';
        end
        """

    static func splice(_ text: String, chunk: Int, position: DumpPosition?) -> [DumpSplicer.Segment] {
        var splicer = DumpSplicer(position: position)
        let all = Array(text.utf8)
        var segments: [DumpSplicer.Segment] = []
        for start in stride(from: 0, to: all.count, by: chunk) {
            segments += splicer.consume(Array(all[start..<min(start + chunk, all.count)]))
        }
        segments += splicer.finish()
        // Merge neighbouring byte runs, which depend on the chunking.
        var merged: [DumpSplicer.Segment] = []
        for segment in segments {
            if case .bytes(let more) = segment, case .bytes(let some)? = merged.last {
                merged[merged.count - 1] = .bytes(some + more)
            } else {
                merged.append(segment)
            }
        }
        return merged
    }

    @Test(arguments: [1, 7, 4096])
    func rowsGoAfterTheTableDefinitionOnly(chunk: Int) throws {
        let segments = Self.splice(Self.definition, chunk: chunk, position: nil)
        try #require(segments.count == 3)
        #expect(segments[1] == .tableData(database: bytes("db"), table: bytes("t")))
        guard case .bytes(let before) = segments[0], case .bytes(let after) = segments[2] else {
            Issue.record("the definition and its tail are not bytes: \(segments)")
            return
        }
        #expect(String(decoding: before, as: UTF8.self).hasSuffix("@saved_cs_client */;\n"))
        #expect(String(decoding: before + after, as: UTF8.self) == Self.definition)
    }

    @Test func thePositionIsTheSnapshots() throws {
        let segments = Self.splice(
            Self.definition, chunk: 5, position: DumpPosition(file: "new.000002", offset: 99, gtid: "0-1-7"))
        guard case .bytes(let tail) = segments.last else { throw CancellationError() }
        let text = String(decoding: tail, as: UTF8.self)
        #expect(text.contains("-- CHANGE MASTER TO MASTER_LOG_FILE='new.000002', MASTER_LOG_POS=99;\n"))
        #expect(text.contains("-- SET GLOBAL gtid_slave_pos='0-1-7';\n"))
        #expect(!text.contains("old.000001"))
    }

    @Test(arguments: [
        ("`a`", "a"), ("`a``b` (", "a`b"), ("`é` x", "é"),
    ])
    func identifiers(text: String, name: String) {
        #expect(DumpSplicer.identifier(ArraySlice(text.utf8)) == Array(name.utf8))
    }

    @Test func notAnIdentifier() {
        #expect(DumpSplicer.identifier(ArraySlice("a".utf8)) == nil)
        #expect(DumpSplicer.identifier(ArraySlice("`open".utf8)) == nil)
    }
}

struct RowDumpPlanTests {
    static func kind(
        _ type: String, engine: String = "InnoDB", database: String = "db", name: String = "t", special: Bool = false
    ) -> RowDumpPlan.Kind {
        RowDumpPlan.kind(
            of: .init(database: database, name: name, type: type, engine: engine, invisibleColumns: special))
    }

    @Test func kinds() {
        #expect(Self.kind("BASE TABLE") == .rows)
        #expect(Self.kind("BASE TABLE", engine: "Aria") == .rows)
        #expect(Self.kind("VIEW", engine: "") == .noData)
        #expect(Self.kind("BASE TABLE", engine: "CSV", database: "mysql", name: "general_log") == .noData)
        #expect(Self.kind("BASE TABLE", database: "mysql", name: "transaction_registry") == .noData)
        #expect(Self.kind("BASE TABLE", engine: "CSV", database: "app", name: "general_log") == .rows)
        #expect(Self.kind("SEQUENCE") == .unsupported("sequence"))
        #expect(Self.kind("SYSTEM VERSIONED") == .unsupported("system versioned"))
        #expect(Self.kind("BASE TABLE", engine: "MRG_MyISAM") == .unsupported("engine MRG_MyISAM"))
        #expect(Self.kind("BASE TABLE", special: true) == .unsupported("invisible columns"))
        #expect(Self.kind("BASE TABLE", name: "a\nb") == .unsupported("a control character in its name"))
    }

    @Test func theFirstUnsupportedTableIsNamed() {
        let plan = RowDumpPlan([
            .init(database: "db", name: "a", type: "BASE TABLE", engine: "InnoDB", invisibleColumns: false),
            .init(database: "db", name: "s", type: "SEQUENCE", engine: "InnoDB", invisibleColumns: false),
        ])
        #expect(plan.unsupported == "db.s (sequence)")
        #expect(plan.kind(of: .init(database: "db", name: "a")) == .rows)
        #expect(plan.kind(of: .init(database: "db", name: "zz")) == nil)
    }
}

/// Extra mariadb-dump arguments that leave the data sections alone keep the rows read here.
struct RowNeutralArgumentsTests {
    @Test(
        arguments: [
            ([], nil), (["--verbose", "-q", "--max-allowed-packet=1G", "--ignore-table=db.t"], nil),
            (["--skip_triggers", "--add-drop-database", "--ignore_database=x", "--skip-dump-date"], nil),
            (["--ignore-table=db.t", "--hex-blob"], "--hex-blob"), (["--where=id<10"], "--where=id<10"),
            (["--skip-comments"], "--skip-comments"), (["--complete-insert"], "--complete-insert"),
            (["--default-character-set=latin1"], "--default-character-set=latin1"),
            (["--ignore-t=db.t"], "--ignore-t=db.t"),
            (["-vq"], "-vq"), (["--order-by-primary"], "--order-by-primary"),
        ] as [([String], String?)])
    func theFirstArgumentThatShapesRowsIsNamed(arguments: [String], expected: String?) {
        #expect(DumpOptions(extraArguments: arguments).firstRowShapingArgument == expected)
    }
}

struct QuotingTests {
    /// Byte by byte, the way `mysql_real_escape_string` does it over a binary connection.
    static func reference(_ value: [UInt8]) -> [UInt8] {
        let letters: [UInt8: UInt8] = [0: 48, 10: 110, 13: 114, 26: 90, 34: 34, 39: 39, 92: 92]
        var out: [UInt8] = [39]
        for byte in value {
            if let letter = letters[byte] { out += [92, letter] } else { out.append(byte) }
        }
        return out + [39]
    }

    /// Every escaped byte (and some that are not) at every offset of values up to 40 bytes, so each
    /// falls in, before and after the 8-byte blocks checked at once.
    @Test(arguments: [0, 10, 13, 26, 34, 39, 92, 9, 0x1F, 0x20, 0x7F, 0x80, 0xA7, 0xDC, 0xFF] as [UInt8])
    func blocksAndBytesAgree(special: UInt8) {
        for length in 0...40 {
            for position in 0..<max(length, 1) {
                var value = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                if length > 0 { value[position] = special }
                if length > 3 { value[length - 1] = special }
                var buffer = DumpBuffer(capacity: 16)
                value.withUnsafeBytes { buffer.appendQuoted($0) }
                #expect(Array(buffer.bytes) == Self.reference(value), "length \(length), position \(position)")
            }
        }
    }
}
