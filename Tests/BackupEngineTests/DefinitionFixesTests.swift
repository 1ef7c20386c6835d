import Testing

@testable import Dump

/// Issue #31's rewrites on definitions as mariadb-dump prints them: table-driven.
@Suite struct DefinitionFixesTests {
    static func table(_ lines: [String], options: String, after: String = "") -> String {
        "CREATE TABLE `t` (\n" + lines.joined(separator: ",\n") + "\n) " + options + ";" + after
    }

    static let aria = table(
        ["  `id` int(11) NOT NULL", "  `v` varchar(20) DEFAULT NULL", "  PRIMARY KEY (`id`)"],
        options: "ENGINE=Aria DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci PAGE_CHECKSUM=1 TRANSACTIONAL=1")

    @Test(arguments: [
        // engine, options in → options out, dropped
        ("MyISAM", "ENGINE=MyISAM AUTO_INCREMENT=7 DEFAULT CHARSET=latin1 DELAY_KEY_WRITE=1 CHECKSUM=1",
         "ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=latin1", "DELAY_KEY_WRITE=1 CHECKSUM=1"),
        ("Aria", "ENGINE=Aria DEFAULT CHARSET=utf8mb4 PAGE_CHECKSUM=1 ROW_FORMAT=PAGE TRANSACTIONAL=1",
         "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", "PAGE_CHECKSUM=1 ROW_FORMAT=PAGE TRANSACTIONAL=1"),
        ("MyISAM", "ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 ROW_FORMAT=DYNAMIC COMMENT='a=b c ''d'''",
         "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 ROW_FORMAT=DYNAMIC COMMENT='a=b c ''d'''", ""),
        ("MEMORY", "ENGINE=MEMORY DEFAULT CHARSET=utf8mb4", "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", ""),
        ("CSV", "ENGINE=CSV DEFAULT CHARSET=utf8mb4 PACK_KEYS=1 KEY_BLOCK_SIZE=8",
         "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4", "PACK_KEYS=1 KEY_BLOCK_SIZE=8"),
    ])
    func anEngineBecomesInnoDBAndLosesWhatInnoDBHasNoUseFor(
        engine: String, options: String, expected: String, dropped: String
    ) throws {
        let statement = Self.table(["  `id` int(11) NOT NULL", "  PRIMARY KEY (`id`)"], options: options)
        let fixed = try DefinitionFixes.innodb(statement, table: "db.t")
        #expect(fixed.text == Self.table(["  `id` int(11) NOT NULL", "  PRIMARY KEY (`id`)"], options: expected))
        #expect(fixed.notes.first == "db.t: ENGINE=\(engine) → InnoDB")
        #expect(fixed.notes.contains { $0.hasPrefix("db.t: dropped ") } == !dropped.isEmpty)
        if !dropped.isEmpty { #expect(fixed.notes.contains("db.t: dropped \(dropped) (not InnoDB's)")) }
        #expect(fixed.notes.contains { $0.contains("was MEMORY") } == (engine == "MEMORY"))
    }

    @Test func innoDBTablesAndOtherStatementsStayAsTheyAre() throws {
        let innodb = Self.table(["  `id` int(11) NOT NULL"], options: "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
        #expect(try DefinitionFixes.innodb(innodb, table: "db.t") == FixedDefinition(text: innodb, notes: []))
        let view = "CREATE VIEW `v` AS SELECT 1"
        #expect(try DefinitionFixes.innodb(view, table: "db.v").text == view)
    }

    @Test func partitioningAfterTheOptionsIsKept() throws {
        let after = "\n/*!50100 PARTITION BY HASH (`id`)\nPARTITIONS 4 */;"
        let statement = "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  KEY `k` (`id`)\n) ENGINE=MyISAM" + after
        let fixed = try DefinitionFixes.innodb(statement, table: "db.t")
        #expect(fixed.text == "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  KEY `k` (`id`)\n) ENGINE=InnoDB" + after)
    }

    @Test(arguments: [
        ("ENGINE=MRG_MyISAM DEFAULT CHARSET=utf8mb4 INSERT_METHOD=LAST UNION=(`a`,`b`)", "MERGE"),
        ("ENGINE=FEDERATED CONNECTION='mysql://u@h/db/t'", "another server"),
        ("ENGINE=BLACKHOLE", "keeps no rows"),
        ("ENGINE=ROCKSDB", "not one of"),
    ])
    func enginesWhoseRowsAreNotHereAreRefused(options: String, reason: String) {
        let statement = Self.table(["  `id` int(11) NOT NULL"], options: options)
        let error = #expect(throws: DefinitionFixError.self) { try DefinitionFixes.innodb(statement, table: "db.t") }
        #expect(error?.message.contains(reason) == true, "\(String(describing: error))")
    }

    @Test func aFullTextIndexOfAPartitionedTableIsRefused() {
        let statement = "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `b` text,\n  FULLTEXT KEY `f` (`b`)\n"
            + ") ENGINE=MyISAM\n/*!50100 PARTITION BY HASH (`id`) PARTITIONS 2 */;"
        #expect(throws: DefinitionFixError.innodbRefuses(
            table: "db.t", reason: "InnoDB has no FULLTEXT index on a partitioned table")) {
            try DefinitionFixes.innodb(statement, table: "db.t")
        }
    }

    @Test func aTableWithoutAnyKeyGetsTheInvisibleKeyColumn() throws {
        let statement = Self.table(
            ["  `a` int(11) DEFAULT NULL", "  `b``c` varchar(5) NOT NULL", "  KEY `k` (`a`)"],
            options: "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
        let fixed = try DefinitionFixes.invisiblePrimaryKey(statement, table: "db.t")
        #expect(fixed.text == Self.table(
            ["  `a` int(11) DEFAULT NULL", "  `b``c` varchar(5) NOT NULL",
             "  `_mariadb_migrate_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT INVISIBLE",
             "  PRIMARY KEY (`_mariadb_migrate_id`)", "  KEY `k` (`a`)"],
            options: "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"))
        #expect(fixed.notes == ["db.t: added the invisible primary key column `_mariadb_migrate_id`"])
        let noKeys = Self.table(["  `a` int(11) DEFAULT NULL"], options: "ENGINE=Aria")
        #expect(try DefinitionFixes.invisiblePrimaryKey(noKeys, table: "db.t").text == Self.table(
            ["  `a` int(11) DEFAULT NULL",
             "  `_mariadb_migrate_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT INVISIBLE",
             "  PRIMARY KEY (`_mariadb_migrate_id`)"], options: "ENGINE=Aria"))
    }

    @Test(arguments: [
        // key lines, kept unchanged?
        (["  UNIQUE KEY `u` (`a`,`b`)"], true),
        (["  UNIQUE KEY `u` (`a`,`c`(3))"], false),
        (["  PRIMARY KEY (`a`)"], true),
        (["  KEY `k` (`a`)"], false),
    ])
    func aPrimaryOrNotNullUniqueKeyIsKept(keys: [String], kept: Bool) throws {
        let statement = Self.table(
            ["  `a` int(11) NOT NULL", "  `b` int(11) NOT NULL", "  `c` varchar(9) DEFAULT NULL"] + keys,
            options: "ENGINE=InnoDB")
        let fixed = try DefinitionFixes.invisiblePrimaryKey(statement, table: "db.t")
        #expect((fixed.text == statement) == kept)
    }

    @Test func theKeyColumnRefusesAClashAndAnAutoIncrementWithoutPrimaryKey() {
        let clash = Self.table(["  `_mariadb_migrate_id` int(11) DEFAULT NULL"], options: "ENGINE=InnoDB")
        #expect(throws: DefinitionFixError.addedColumnClash(table: "db.t")) {
            try DefinitionFixes.invisiblePrimaryKey(clash, table: "db.t")
        }
        let auto = Self.table(["  `n` int(11) NOT NULL AUTO_INCREMENT", "  KEY `n` (`n`)"], options: "ENGINE=InnoDB")
        #expect(throws: DefinitionFixError.autoIncrementWithoutKey(table: "db.t", column: "n")) {
            try DefinitionFixes.invisiblePrimaryKey(auto, table: "db.t")
        }
    }

    @Test(arguments: [
        ("/*!50013 DEFINER=`gone`@`%` SQL SECURITY DEFINER */", "/*!50013 DEFINER=`app`@`%` SQL SECURITY DEFINER */",
         ["definer `gone`@`%` → `app`@`%`"]),
        ("CREATE DEFINER=`kept`@`localhost` PROCEDURE `p`()", "CREATE DEFINER=`kept`@`localhost` PROCEDURE `p`()", []),
        ("/*!50017 DEFINER=`o``dd`@`10.0.0.%`*/ /*!50003 TRIGGER", "/*!50017 DEFINER=`app`@`%`*/ /*!50003 TRIGGER",
         ["definer `o``dd`@`10.0.0.%` → `app`@`%`"]),
        ("SELECT 'no definer here'", "SELECT 'no definer here'", []),
    ])
    func definersNotCarriedAreRewritten(statement: String, expected: String, notes: [String]) {
        let fixed = DefinitionFixes.definers(statement, kept: ["`kept`@`localhost`"], account: "`app`@`%`")
        #expect(fixed == FixedDefinition(text: expected, notes: notes))
    }

    @Test func theFixListIsParsedAndAnUnknownNameNamesTheKnownOnes() throws {
        #expect(try DumpFix.parse("innodb, invisible-pk,innodb") == [.innodb, .invisiblePrimaryKey])
        #expect(throws: DefinitionFixError.unknownFix("pk")) { try DumpFix.parse("innodb,pk") }
        let message = DefinitionFixError.unknownFix("pk").message
        #expect(message == "unknown fix 'pk': give some of innodb, invisible-pk, definers")
        #expect(Set(DumpFix.allCases.map(\.covers)).count == DumpFix.allCases.count)
    }
}
