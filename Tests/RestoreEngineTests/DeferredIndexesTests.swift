import Testing

@testable import RestoreEngine

@Suite struct DeferredIndexesTests {
    static let sysbench = """
        CREATE TABLE `sbtest1` (
          `id` int(11) NOT NULL AUTO_INCREMENT,
          `k` int(11) NOT NULL DEFAULT 0,
          `c` char(120) NOT NULL DEFAULT '',
          PRIMARY KEY (`id`),
          KEY `k_1` (`k`)
        ) ENGINE=InnoDB AUTO_INCREMENT=500001 DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci
        """

    /// (CREATE TABLE, the CREATE TABLE run first, the ALTER run after the rows; nil: left whole).
    static let cases: [(String, String?, String?)] = [
        (
            sysbench,
            """
            CREATE TABLE `sbtest1` (
              `id` int(11) NOT NULL AUTO_INCREMENT,
              `k` int(11) NOT NULL DEFAULT 0,
              `c` char(120) NOT NULL DEFAULT '',
              PRIMARY KEY (`id`)
            ) ENGINE=InnoDB AUTO_INCREMENT=500001 DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci
            """,
            "ALTER TABLE `sbtest1` ADD KEY `k_1` (`k`)"
        ),
        // Unique and full-text keys stay; two plain keys go, in their order, with their options.
        (
            """
            CREATE TABLE `a``b` (
              `id` bigint NOT NULL,
              `email` varchar(100) DEFAULT NULL,
              `body` text DEFAULT NULL,
              `x` int DEFAULT NULL,
              PRIMARY KEY (`id`),
              UNIQUE KEY `email` (`email`),
              KEY `x_email` (`x`,`email`(10)) COMMENT 'hot, keep',
              KEY `x` (`x`) USING BTREE,
              FULLTEXT KEY `body` (`body`)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            """,
            """
            CREATE TABLE `a``b` (
              `id` bigint NOT NULL,
              `email` varchar(100) DEFAULT NULL,
              `body` text DEFAULT NULL,
              `x` int DEFAULT NULL,
              PRIMARY KEY (`id`),
              UNIQUE KEY `email` (`email`),
              FULLTEXT KEY `body` (`body`)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            """,
            "ALTER TABLE `a``b` ADD KEY `x_email` (`x`,`email`(10)) COMMENT 'hot, keep', ADD KEY `x` (`x`) USING BTREE"
        ),
        // No plain key, another engine, a foreign key, a check, system versioning: whole.
        ("CREATE TABLE `t` (\n  `id` int NOT NULL,\n  PRIMARY KEY (`id`)\n) ENGINE=InnoDB", nil, nil),
        ("CREATE TABLE `t` (\n  `id` int NOT NULL,\n  KEY `i` (`id`)\n) ENGINE=MyISAM", nil, nil),
        (
            "CREATE TABLE `c` (\n  `id` int NOT NULL,\n  `p` int,\n  KEY `p` (`p`),\n"
                + "  CONSTRAINT `f` FOREIGN KEY (`p`) REFERENCES `p` (`id`)\n) ENGINE=InnoDB", nil, nil
        ),
        (
            "CREATE TABLE `c` (\n  `id` int NOT NULL,\n  KEY `i` (`id`),\n  CONSTRAINT `ck` CHECK (`id` > 0)\n"
                + ") ENGINE=InnoDB", nil, nil
        ),
        (
            "CREATE TABLE `v` (\n  `id` int NOT NULL,\n  KEY `i` (`id`)\n) ENGINE=InnoDB WITH SYSTEM VERSIONING", nil,
            nil
        ),
        // IF NOT EXISTS (mysql.transaction_registry in a whole-server dump): the table may be there already.
        (
            "CREATE TABLE IF NOT EXISTS `transaction_registry` (\n  `transaction_id` bigint(20) unsigned NOT NULL,\n"
                + "  `begin_timestamp` timestamp(6) NOT NULL,\n  PRIMARY KEY (`transaction_id`),\n"
                + "  KEY `begin_timestamp` (`begin_timestamp`)\n) ENGINE=InnoDB", nil, nil
        ),
        // AUTO_INCREMENT led only by a plain key: the table needs the key at creation.
        ("CREATE TABLE `t` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  KEY `id` (`id`)\n) ENGINE=InnoDB", nil, nil),
        // AUTO_INCREMENT led by a unique key: the plain key may wait.
        (
            "CREATE TABLE `t` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `k` int,\n  UNIQUE KEY `id` (`id`),\n"
                + "  KEY `k` (`k`)\n) ENGINE=InnoDB",
            "CREATE TABLE `t` (\n  `id` int NOT NULL AUTO_INCREMENT,\n  `k` int,\n  UNIQUE KEY `id` (`id`)\n"
                + ") ENGINE=InnoDB",
            "ALTER TABLE `t` ADD KEY `k` (`k`)"
        ),
        // Not mariadb-dump's layout.
        ("CREATE TABLE t (id int, KEY i (id)) ENGINE=InnoDB", nil, nil),
        ("DROP TABLE IF EXISTS `t`", nil, nil),
    ]

    @Test(arguments: cases)
    func aTablesPlainKeysWaitForItsRows(statement: String, create: String?, alter: String?) {
        let split = DeferredIndexes(createTable: Array(statement.utf8))
        #expect(split.map { String(decoding: $0.createTable, as: UTF8.self) } == create)
        #expect(split.map { String(decoding: $0.addIndexes, as: UTF8.self) } == alter)
    }

    @Test(arguments: [
        ("INSERT INTO `t` VALUES (1)", false),
        ("/*!40000 ALTER TABLE `t` DISABLE KEYS */", false),
        ("/*!40000 ALTER TABLE `t` ENABLE KEYS */", false),
        ("LOCK TABLES `t` WRITE", false),
        ("UNLOCK TABLES", false),
        ("/*!40101 SET character_set_client = utf8 */", false),
        ("DROP TABLE IF EXISTS `u`", true),
        ("USE `other`", true),
        ("CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW SET @a = 1", true),
    ])
    func theIndexesComeAfterTheRows(statement: String, ends: Bool) {
        let bytes = Array(statement.utf8)
        #expect(ParallelApplier.endsRows(StatementKind(bytes), bytes) == ends)
    }
}
