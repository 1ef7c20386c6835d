import BackupEngine
import Dump
import Foundation
import MariaDBClient
import TestSupport
import Testing

@testable import RestoreEngine

/// Backups travel in the binary character set when the table definitions are ASCII (rows as stored,
/// no conversion), in utf8mb4 otherwise; either way the engine and the operator's `mariadb < file`
/// restore the same text, definitions included.
@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct CharacterSetTests {
    /// Rows in latin1, cp1251 and utf8mb4 (4-byte too), bytes that need escaping, non-ASCII names,
    /// and views, triggers and routines with non-ASCII literals, which the dump wraps in their own
    /// character sets. `accentedDefault` adds a latin1 column default that only utf8mb4 carries.
    static func seed(_ connection: MariaDBConnection, _ name: String, accentedDefault: Bool) async throws {
        let note = accentedDefault ? "DEFAULT 'été'" : "DEFAULT 'plain'"
        try await connection.execute([
            "CREATE DATABASE `\(name)` CHARACTER SET latin1",
            "CREATE TABLE `\(name)`.`tëst` (id INT PRIMARY KEY, `çol` VARCHAR(20) \(note), "
                + "c CHAR(5) CHARACTER SET cp1251, u VARCHAR(20) CHARACTER SET utf8mb4 DEFAULT 'ux' COMMENT 'c', "
                + "b VARBINARY(10), KEY `ïdx` (`çol`))",
            "INSERT INTO `\(name)`.`tëst` VALUES (1, 'é\\'\\\\ñ', 'Жук', '😀 €', 0x00FF27E95C0A0D1A), "
                + "(2, DEFAULT, NULL, DEFAULT, NULL), (3, 'ÿ\\n\\r\\0x', 'ЖЖ', '𝄞', '')",
            "CREATE VIEW `\(name)`.`vüe` AS SELECT id, CONCAT(`çol`, ' ü') AS x, 'Ω' AS omega FROM `\(name)`.`tëst`",
            "CREATE TRIGGER `\(name)`.`trë` BEFORE INSERT ON `\(name)`.`tëst` FOR EACH ROW "
                + "SET NEW.`çol` = CONCAT(NEW.`çol`, 'ï')",
            "CREATE FUNCTION `\(name)`.`fü`() RETURNS VARCHAR(10) CHARSET latin1 DETERMINISTIC RETURN 'é'",
        ])
    }

    /// What must come back identical: the definitions, the rows byte for byte, the view and the function.
    static func snapshot(_ connection: MariaDBConnection, _ name: String) async throws -> [String] {
        var lines: [String] = []
        for statement in [
            "SHOW CREATE TABLE `\(name)`.`tëst`", "SHOW CREATE VIEW `\(name)`.`vüe`",
            "SELECT id, HEX(`çol`), HEX(c), HEX(u), HEX(b) FROM `\(name)`.`tëst` ORDER BY id",
            "SELECT * FROM `\(name)`.`vüe` ORDER BY id", "SELECT `\(name)`.`fü`()",
            "SELECT ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = '\(name)'",
        ] {
            for row in try await connection.query(statement).rows {
                lines.append(row.values.map { $0.string ?? "NULL" }.joined(separator: " | "))
            }
        }
        return lines
    }

    @Test(arguments: [false, true])
    func textComesBackTheSameInEitherCharacterSet(accentedDefault: Bool) async throws {
        let scratch = try await ScratchDatabase.make("cs")
        defer { scratch.drop() }
        let (env, source, target, name) = (scratch.env, scratch.source, scratch.target, scratch.name)
        try await Self.seed(source, name, accentedDefault: accentedDefault)
        let store = try temporaryStore()
        let manifest = try await backup(env, databases: [name], compression: .gzip, store: store)
        #expect(manifest.dumpArguments.contains("--default-character-set=binary") == !accentedDefault)
        let expected = try await Self.snapshot(source, name)
        #expect(expected.joined().contains("été") == accentedDefault)

        _ = try await RestorePipeline.run(
            RestoreRequest(connection: try env.targetTCP(), target: .time(manifest.startedAt), parallel: 2),
            store: store)
        #expect(try await Self.snapshot(target, name) == expected)
        #expect(try await differences(env, databases: [name]) == [])

        // The operator restores with the client: the file's own SET NAMES must carry it too.
        try await target.query("DROP DATABASE `\(name)`")
        let credentials = try CredentialsFile(settings: try env.targetTCP())
        defer { credentials.remove() }
        let client = try CLI.shell(
            "gunzip -c \"$0\" | mariadb --defaults-extra-file=\"$1\"",
            arguments: [store.location + manifest.name, credentials.path])
        #expect(client.status == 0, "\(client.stderr)")
        #expect(try await Self.snapshot(target, name) == expected)
    }
}
