import Testing

@testable import Dump

/// The fixes applied to a whole mariadb-dump stream (`DefinitionFixer`), as 10.11's mariadb-dump writes it.
@Suite struct DefinitionFixerTests {
    static let dump = """
        -- MariaDB dump 10.19  Distrib 10.11.19-MariaDB
        /*!40101 SET NAMES utf8mb4 */;

        USE `app`;
        DROP TABLE IF EXISTS `my`;
        /*!40101 SET character_set_client = utf8mb4 */;
        CREATE TABLE `my` (
          `id` int(11) NOT NULL AUTO_INCREMENT,
          `body` text DEFAULT NULL,
          PRIMARY KEY (`id`),
          FULLTEXT KEY `ft` (`body`)
        ) ENGINE=MyISAM AUTO_INCREMENT=3 DEFAULT CHARSET=latin1 COMMENT='caf\u{E9}';
        /*!40101 SET character_set_client = @saved_cs_client */;
        INSERT INTO `my` VALUES (1,'CREATE TABLE `x` ('),
        (2,'DEFINER=`gone`@`localhost`');
        CREATE TABLE `nokey` (
          `a` int(11) DEFAULT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=latin1;
        DELIMITER ;;
        /*!50003 CREATE*/ /*!50017 DEFINER=`gone`@`localhost`*/ /*!50003 TRIGGER tr BEFORE INSERT ON my FOR EACH ROW
        SET NEW.id = NEW.id */;;
        DELIMITER ;
        DELIMITER ;;
        CREATE DEFINER=`gone`@`localhost` PROCEDURE `p`()
        BEGIN
        CREATE TABLE scratch (
          a int
        ) ENGINE=MyISAM;
        END ;;
        DELIMITER ;
        DELIMITER ;;
        CREATE DEFINER=`kept`@`%` FUNCTION `f`(x INT) RETURNS int(11)
        RETURN x+1
        ;;
        DELIMITER ;
        /*!50001 CREATE ALGORITHM=UNDEFINED */
        /*!50013 DEFINER=`gone`@`localhost` SQL SECURITY DEFINER */
        /*!50001 VIEW `v` AS select 1 AS `1` */;
        USE `mysql`;
        CREATE TABLE `time_zone` (
          `Time_zone_id` int(10) unsigned NOT NULL AUTO_INCREMENT,
          PRIMARY KEY (`Time_zone_id`)
        ) ENGINE=Aria DEFAULT CHARSET=utf8mb3 PAGE_CHECKSUM=1 TRANSACTIONAL=1;
        -- Dump completed

        """

    static func fixed(_ input: String, fixes: [DumpFix], chunk: Int) throws -> (String, [String]) {
        var fixer = DefinitionFixer(DefinitionFixOptions(fixes: fixes, keptAccounts: ["kept@%"], definer: "app@%"))
        let bytes = Array(input.utf8)
        var output: [UInt8] = []
        var start = 0
        while start < bytes.count {
            output += try fixer.consume(Array(bytes[start..<min(start + chunk, bytes.count)]))
            start += chunk
        }
        output += fixer.finish()
        return (String(decoding: output, as: UTF8.self), fixer.notes)
    }

    @Test(arguments: [1, 2, 3, 7, 64, 1 << 20])
    func everyFixLandsWhereItBelongsWhateverTheChunks(chunk: Int) throws {
        let (text, notes) = try Self.fixed(Self.dump, fixes: DumpFix.allCases, chunk: chunk)
        var expected = Self.dump
        expected = expected.replacingOccurrences(
            of: ") ENGINE=MyISAM AUTO_INCREMENT=3", with: ") ENGINE=InnoDB AUTO_INCREMENT=3")
        expected = expected.replacingOccurrences(
            of: "  `a` int(11) DEFAULT NULL\n) ENGINE=InnoDB DEFAULT CHARSET=latin1;",
            with: "  `a` int(11) DEFAULT NULL,\n"
                + "  `_mariadb_migrate_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT INVISIBLE,\n"
                + "  PRIMARY KEY (`_mariadb_migrate_id`)\n) ENGINE=InnoDB DEFAULT CHARSET=latin1;")
        expected = expected.replacingOccurrences(
            of: "/*!50017 DEFINER=`gone`@`localhost`*/", with: "/*!50017 DEFINER=`app`@`%`*/")
        expected = expected.replacingOccurrences(
            of: "CREATE DEFINER=`gone`@`localhost` PROCEDURE", with: "CREATE DEFINER=`app`@`%` PROCEDURE")
        expected = expected.replacingOccurrences(
            of: "/*!50013 DEFINER=`gone`@`localhost` SQL", with: "/*!50013 DEFINER=`app`@`%` SQL")
        #expect(text == expected)
        // The rows, a routine's own CREATE TABLE, a kept definer and the mysql schema stay as they were.
        #expect(text.contains("(2,'DEFINER=`gone`@`localhost`');"))
        #expect(text.contains("  a int\n) ENGINE=MyISAM;"))
        #expect(text.contains("CREATE DEFINER=`kept`@`%` FUNCTION"))
        #expect(text.contains("ENGINE=Aria DEFAULT CHARSET=utf8mb3 PAGE_CHECKSUM=1 TRANSACTIONAL=1;"))
        #expect(notes == [
            "app.my: ENGINE=MyISAM → InnoDB",
            "app.nokey: added the invisible primary key column `_mariadb_migrate_id`",
            "trigger app.tr: definer `gone`@`localhost` → `app`@`%`",
            "procedure app.p: definer `gone`@`localhost` → `app`@`%`",
            "view app.v: definer `gone`@`localhost` → `app`@`%`",
        ])
    }

    @Test func withoutFixesTheStreamIsUntouched() throws {
        #expect(try Self.fixed(Self.dump, fixes: [], chunk: 5).0 == Self.dump)
        let (definersOnly, _) = try Self.fixed(Self.dump, fixes: [.definers], chunk: 11)
        #expect(definersOnly.contains(") ENGINE=MyISAM AUTO_INCREMENT=3"))
    }

    @Test func bytesThatAreNotUTF8PassAsTheyCame() throws {
        let statement: [UInt8] = Array("USE `a`;\nCREATE TABLE `t` (\n  `id` int(11) NOT NULL COMMENT '".utf8)
            + [0xE9, 0xFF] + Array("',\n  PRIMARY KEY (`id`)\n) ENGINE=MyISAM;\n".utf8)
        var fixer = DefinitionFixer(DefinitionFixOptions(fixes: [.innodb]))
        let output = try fixer.consume(statement) + fixer.finish()
        let expected = Array("USE `a`;\nCREATE TABLE `t` (\n  `id` int(11) NOT NULL COMMENT '".utf8)
            + [0xE9, 0xFF] + Array("',\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB;\n".utf8)
        #expect(output == expected)
    }

    @Test func aRefusedTableStopsTheStreamNamingIt() {
        let dump = "USE `app`;\nCREATE TABLE `g` (\n  `grp` int(11) NOT NULL,\n  `n` int(11) NOT NULL AUTO_INCREMENT,\n"
            + "  PRIMARY KEY (`grp`,`n`)\n) ENGINE=MyISAM;\n"
        #expect(throws: DefinitionFixError.self) { try Self.fixed(dump, fixes: [.innodb], chunk: 9) }
    }

    @Test(arguments: [
        ("  `b` text DEFAULT NULL", ["  PRIMARY KEY (`id`) USING BTREE"], nil),
        ("  `b` text DEFAULT NULL", ["  KEY `k` (`b`(10),`id`) COMMENT 'x'"], "does not start any key"),
        ("  `b` text DEFAULT NULL", ["  UNIQUE KEY `k` (`id`)", "  KEY `w` (" + (1...17).map { "`c\($0)`" }
            .joined(separator: ",") + ")"], "more than 16 columns"),
        ("  `b` text CHARACTER SET ucs2 COLLATE ucs2_general_ci DEFAULT NULL",
         ["  PRIMARY KEY (`id`)", "  FULLTEXT KEY `f` (`b`)"], "a ucs2 column (error 1283)"),
        ("  `b` text DEFAULT NULL", ["  PRIMARY KEY (`id`)", "  FULLTEXT KEY `f` (`b`)"], nil),
        ("  `fts_doc_id` bigint(20) DEFAULT NULL,\n  `b` text DEFAULT NULL",
         ["  PRIMARY KEY (`id`)", "  FULLTEXT KEY `f` (`b`)"], "keeps for a FULLTEXT index's own column"),
    ])
    func innoDBsLimitsOnKeysAreRefusedBeforeTheRestore(column: String, keys: [String], refusal: String?) {
        let statement = "CREATE TABLE `t` (\n  `id` int(11) NOT NULL AUTO_INCREMENT,\n\(column),\n"
            + keys.joined(separator: ",\n") + "\n) ENGINE=MyISAM;"
        do {
            _ = try DefinitionFixes.innodb(statement, table: "db.t")
            #expect(refusal == nil)
        } catch {
            #expect(refusal.map { error.message.contains($0) } == true, "\(error.message)")
        }
    }

    @Test func aTableInAUtf32CharsetRefusesItsFullTextIndex() {
        let statement = "CREATE TABLE `t` (\n  `id` int(11) NOT NULL,\n  `b` text DEFAULT NULL,\n"
            + "  PRIMARY KEY (`id`),\n"
            + "  FULLTEXT KEY `f` (`b`)\n) ENGINE=MyISAM DEFAULT CHARSET=utf32 COLLATE=utf32_general_ci;"
        #expect(throws: DefinitionFixError.self) { try DefinitionFixes.innodb(statement, table: "db.t") }
    }

    @Test(arguments: [
        ("  UNIQUE KEY `u` (`a`,`b`(10)) USING BTREE", ["a", "b"]),
        ("  KEY `k``(` (`x``y`,`z`)", ["x`y", "z"]),
        ("  PRIMARY KEY (`id`)", ["id"]),
    ])
    func keyColumnsAreReadWithTheirOddNames(line: String, columns: [String]) {
        #expect(DefinitionFixes.keyColumns(line) == columns)
    }

    @Test func accountsAreQuotedAsMariaDBDumpQuotesThem() {
        #expect(DefinitionFixOptions.quoted("app@%") == "`app`@`%`")
        #expect(DefinitionFixOptions.quoted("o`dd@10.0.0.1") == "`o``dd`@`10.0.0.1`")
        #expect(DefinitionFixOptions.quoted("me@you@host") == "`me@you`@`host`")
    }

    @Test func asInvokerViewsAndRoutinesLoseTheDefinerAndTriggersTakeTheDefaultAccount() throws {
        var fixer = DefinitionFixer(
            DefinitionFixOptions(fixes: [.definers], keptAccounts: ["kept@%"], definer: "invoker"))
        let output = try fixer.consume(Array(Self.dump.utf8)) + fixer.finish()
        let text = String(decoding: output, as: UTF8.self)
        #expect(text.contains("/*!50013 SQL SECURITY INVOKER */\n/*!50001 VIEW `v`"))
        #expect(text.contains("CREATE PROCEDURE `p`()\nBEGIN"))
        #expect(text.contains("END ;;\nDELIMITER ;\nALTER PROCEDURE `p` SQL SECURITY INVOKER;\n"))
        #expect(text.contains("/*!50017 DEFINER=`root`@`localhost`*/ /*!50003 TRIGGER tr"))
        #expect(text.contains("CREATE DEFINER=`kept`@`%` FUNCTION"))
        #expect(!text.contains("ALTER FUNCTION"))
        #expect(fixer.notes == [
            "trigger app.tr: definer `gone`@`localhost` → `root`@`localhost` (it has no SQL SECURITY INVOKER)",
            "procedure app.p: definer `gone`@`localhost` removed, SQL SECURITY INVOKER",
            "view app.v: definer `gone`@`localhost` removed, SQL SECURITY INVOKER",
        ])
    }

    /// Comments that look like what the rewrites look for: a column's COMMENT naming a key, a table COMMENT naming
    /// an engine and a closing parenthesis, odd quoted names.
    @Test func commentsAndOddNamesInsideADefinitionDoNotMislead() throws {
        let statement = "CREATE TABLE `we``ird ( t` (\n"
            + "  `a` int(11) DEFAULT NULL COMMENT 'PRIMARY KEY (`a`), ENGINE=Aria',\n"
            + "  `b) c` varchar(5) NOT NULL COMMENT 'UNIQUE KEY'\n"
            + ") ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 COMMENT='was ENGINE=MEMORY ) once; PAGE_CHECKSUM=1';"
        let innodb = try DefinitionFixes.innodb(statement, table: "db.we`ird ( t")
        #expect(innodb.text == statement.replacingOccurrences(of: ") ENGINE=MyISAM", with: ") ENGINE=InnoDB"))
        #expect(innodb.notes == ["db.we`ird ( t: ENGINE=MyISAM → InnoDB"])
        let keyed = try DefinitionFixes.invisiblePrimaryKey(innodb.text, table: "db.t")
        #expect(keyed.text.contains(
            "COMMENT 'UNIQUE KEY',\n  `_mariadb_migrate_id` bigint(20) unsigned NOT NULL AUTO_INCREMENT INVISIBLE,\n"
                + "  PRIMARY KEY (`_mariadb_migrate_id`)\n) ENGINE=InnoDB"))
        #expect(DefinitionFixes.servingKey(statement) == .missing)
    }
}
