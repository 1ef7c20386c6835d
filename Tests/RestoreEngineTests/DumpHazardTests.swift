import Dump
import Foundation
import Preflight
import Testing

@testable import RestoreEngine

@Suite struct DumpHazardTests {
    func checks(_ sql: String) throws -> [String] {
        var splitter = SQLSplitter()
        var scanner = DumpHazardScanner()
        for statement in splitter.consume(Array(sql.utf8)) + (try splitter.finish()) { scanner.consume(statement) }
        return scanner.findings().map { "\($0.severity.rawValue) \($0.check) \($0.objects.joined(separator: ","))" }
    }

    @Test(arguments: [
        ("USE `mysql`;\nDROP TABLE IF EXISTS `global_priv`;", "blocker privilege-tables mysql.global_priv"),
        ("USE `mysql`;\nINSERT INTO `db` VALUES ('%','shop','app');", "blocker privilege-tables mysql.db"),
        ("USE mysql;\nREPLACE INTO roles_mapping VALUES (1);", "blocker privilege-tables mysql.roles_mapping"),
        ("INSERT INTO `mysql`.`tables_priv` VALUES (1);", "blocker privilege-tables mysql.tables_priv"),
        ("USE `mysql`;\nINSERT INTO `shop`.`db` VALUES (1);", ""),
        ("USE `mysql`;\nCREATE TABLE `wsrep_cluster` (a int);", "blocker wsrep-tables mysql.wsrep_cluster"),
        ("USE `shop`;\nINSERT INTO `db` VALUES (1);", ""),
        ("USE `shop`;\nLOCK TABLES `t` WRITE;\nUNLOCK TABLES;", "warning lock-tables "),
        (
            "USE `shop`;\nCREATE TABLE `t` (`id` int NOT NULL, PRIMARY KEY (`id`)) ENGINE=MyISAM DEFAULT "
                + "CHARSET=utf8mb4;",
            "blocker non-innodb shop.t (MyISAM)"
        ),
        ("USE `shop`;\nCREATE TABLE `t` (`id` int NOT NULL) ENGINE=InnoDB;", "blocker no-primary-key shop.t"),
        ("USE `shop`;\nCREATE TABLE `t` (`id` int NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB;", ""),
        (
            "USE `shop`;\n/*!40101 CREATE TABLE `t` (`id` int, PRIMARY KEY (`id`)) ENGINE=Aria */;",
            "blocker non-innodb shop.t (Aria)"
        ),
        ("USE `mysql`;\nCREATE TABLE `time_zone` (`id` int) ENGINE=Aria;", ""),
    ])
    func eachHazardIsFoundInTheStatements(sql: String, expected: String) throws {
        #expect(try checks(sql) == (expected.isEmpty ? [] : [expected]))
    }

    @Test func theInsertTargetIsReadAsMariaDBDumpWritesIt() {
        func target(_ sql: String) -> String? {
            DumpHazardScanner.insertTarget(Array(sql.utf8)).map {
                [$0.database, $0.table].compactMap { $0 }.joined(separator: ".")
            }
        }
        #expect(target("INSERT INTO `global_priv` VALUES (1)") == "global_priv")
        #expect(target("INSERT IGNORE INTO `a``b` VALUES (1)") == "a`b")
        #expect(target("INSERT INTO `mysql`.`db` (a) VALUES (1)") == "mysql.db")
        #expect(target("REPLACE INTO mysql.db VALUES (1)") == "mysql.db")
        #expect(target("INSERT INTO `a.b` VALUES (1)") == "a.b")
    }

    @Test(arguments: [
        ([UInt8]([0x1F, 0x8B, 8]), "gzip"), (Array("BZh9".utf8), "bzip2"), (Array("-- Mar".utf8), "none"),
    ])
    func theCompressionIsTakenFromTheFirstBytes(head: [UInt8], expected: String) {
        #expect(DumpScan.sniff(head).rawValue == expected)
    }
}
