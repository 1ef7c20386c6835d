import Blocking
import Testing

@testable import Dump
@testable import RestoreEngine

func split(_ text: String, pieces: Int, recycled: BufferPool? = nil) throws -> [String] {
    var splitter = SQLSplitter(recycled: recycled)
    let bytes = Array(text.utf8)
    var out: [[UInt8]] = []
    var start = 0
    // Feed in `pieces`-byte chunks so statements, quotes and delimiters straddle chunk ends.
    while start < bytes.count {
        out += splitter.consume(Array(bytes[start..<min(bytes.count, start + pieces)]))
        start += pieces
    }
    out += try splitter.finish()
    return out.map { String(decoding: $0, as: UTF8.self) }
}

@Suite struct SplitterTests {
    static let dump = """
        /*M!999999\\- enable the sandbox mode */ 
        -- MariaDB dump 10.19
        --
        /*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
        # a hash comment
        USE `a;b`;
        INSERT INTO `t` VALUES (1,'x;\\n\\'y'),(2,"z;"),(3,'a\\\\');
        /* plain; comment */ SELECT 1;
        DELIMITER ;;
        /*!50003 CREATE*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1;
        SET NEW.b = ';;'; END */;;
        delimiter ;
        SELECT 2;
        -- Dump completed

        """

    static let expected = [
        "/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */",
        "USE `a;b`",
        "INSERT INTO `t` VALUES (1,'x;\\n\\'y'),(2,\"z;\"),(3,'a\\\\')",
        "/* plain; comment */ SELECT 1",
        "/*!50003 CREATE*/ /*!50003 TRIGGER tr BEFORE INSERT ON t FOR EACH ROW BEGIN SET NEW.a = 1;\n"
            + "SET NEW.b = ';;'; END */",
        "SELECT 2",
    ]

    @Test(arguments: [1, 2, 3, 7, 64, 100_000])
    func cutsAsTheClientDoesWhateverTheChunkSize(pieces: Int) throws {
        #expect(try split(Self.dump, pieces: pieces) == Self.expected)
    }

    /// Statements filled into buffers given back (longer and shorter ones, still holding old bytes)
    /// are the same as new ones.
    @Test(arguments: [1, 7, 100_000])
    func reusedBuffersGiveTheSameStatements(pieces: Int) throws {
        let pool = BufferPool(limit: 8, largest: 1 << 20)
        for size in [0, 3, 200, 5000, 2 << 20] { pool.give(Array(repeating: UInt8(ascii: "#"), count: size)) }
        #expect(try split(Self.dump, pieces: pieces, recycled: pool) == Self.expected)
    }

    @Test func aPoolKeepsFewSmallBuffersOldestFirst() {
        let pool = BufferPool(limit: 2, largest: 100)
        pool.give([1])
        pool.give(Array(repeating: 9, count: 1000))  // too large to keep
        pool.give([2])
        pool.give([3])  // beyond the limit
        #expect(pool.take() == [1])
        #expect(pool.take() == [2])
        #expect(pool.take() == nil)
    }

    @Test func anUnterminatedStatementIsAnError() {
        #expect(throws: SQLSplitterError.self) { try split("SELECT 1;\nINSERT INTO t VALUES (1,'cut", pieces: 5) }
    }

    @Test(arguments: [
        ("USE `shop`", StatementKind.use("shop")),
        ("USE `we``ird`", .use("we`ird")),
        ("/*!40101 SET NAMES utf8mb4 */", .session),
        ("SET @saved_cs_client = @@character_set_client", .session),
        ("SET GLOBAL x = 1", .other),
        ("INSERT INTO `t` VALUES (1)", .data),
        ("REPLACE INTO `t` VALUES (1)", .data),
        ("LOCK TABLES `t` WRITE", .lockTables),
        ("UNLOCK TABLES", .unlockTables),
        (
            "CREATE DATABASE /*!32312 IF NOT EXISTS*/ `shop` /*!40100 DEFAULT CHARACTER SET utf8mb4 */",
            .createDatabase("shop")
        ),
        ("DROP TABLE IF EXISTS `global_priv`", .tableDDL(table: "global_priv")),
        ("CREATE TABLE `wsrep_cluster` (\n a int)", .tableDDL(table: "wsrep_cluster")),
        ("CREATE TABLE IF NOT EXISTS `global_priv` (\n a int)", .tableDDL(table: "global_priv")),
        ("/*!50001 CREATE VIEW `v` AS SELECT 1 */", .other),
        ("ALTER TABLE `t` DISABLE KEYS", .other),
    ])
    func classifiesStatements(text: String, kind: StatementKind) {
        #expect(StatementKind(Array(text.utf8)) == kind)
    }
}
