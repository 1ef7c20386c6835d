import Dump
import Testing

@Suite struct DumpPrefaceTests {
    @Test func aDefinerIsCreatedIfMissingWithTheGrantsThatNeedNoObject() {
        let statements = DumpPreface.accountStatements(
            createUser: "CREATE USER `v`@`localhost` IDENTIFIED BY PASSWORD '*252B'",
            grants: [
                "GRANT USAGE ON *.* TO `v`@`localhost` IDENTIFIED BY PASSWORD '*252B'",
                "GRANT PROCESS, RELOAD ON *.* TO `v`@`localhost`",
                "GRANT SELECT ON `zoo`.* TO `v`@`localhost`",
                "GRANT SELECT, INSERT ON `odd TO db`.* TO `v`@`localhost`",
                "GRANT SELECT ON `zoo`.`staff` TO `v`@`localhost`",
                "GRANT SELECT (`id`), UPDATE (`boss`) ON `zoo`.`staff` TO `v`@`localhost`",
                "GRANT EXECUTE ON PROCEDURE `zoo`.`p` TO `v`@`localhost`",
                "GRANT EXECUTE ON FUNCTION `zoo`.`f` TO `v`@`localhost`",
                "GRANT PROXY ON `a`@`%` TO `v`@`localhost`",
                "GRANT `reader` TO `v`@`localhost`",
            ])
        #expect(
            statements == [
                "CREATE USER IF NOT EXISTS `v`@`localhost` IDENTIFIED BY PASSWORD '*252B'",
                "GRANT PROCESS, RELOAD ON *.* TO `v`@`localhost`",
                "GRANT SELECT ON `zoo`.* TO `v`@`localhost`",
                "GRANT SELECT, INSERT ON `odd TO db`.* TO `v`@`localhost`",
            ])
    }

    @Test func pluginsAreInstalledInOneStatementThatGoesOnPastAMissingLibrary() throws {
        let statement = try #require(
            DumpPreface.pluginStatement([
                .init(name: "ed25519", library: "auth_ed25519.so"),
                .init(name: "server_audit", library: "server_audit.so"),
            ]))
        #expect(
            statement == """
                BEGIN NOT ATOMIC
                  DECLARE CONTINUE HANDLER FOR SQLEXCEPTION BEGIN END;
                  INSTALL PLUGIN IF NOT EXISTS `ed25519` SONAME 'auth_ed25519.so';
                  INSTALL PLUGIN IF NOT EXISTS `server_audit` SONAME 'server_audit.so';
                END
                """)
        #expect(DumpPreface.pluginStatement([]) == nil)
        #expect(DumpPreface.text(plugins: [], accounts: []).isEmpty)
    }

    static let header = """
        -- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
        /*!40101 SET NAMES utf8mb4 */;
        /*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

        --
        -- Current Database: `zoo`
        --

        CREATE DATABASE `zoo`;
        -- Dump completed on 2026-12-04 16:22:13

        """

    /// The preface goes right after the header's last line, whatever the chunks' boundaries.
    @Test(arguments: [1, 7, 64, 4096])
    func thePrefaceFollowsTheHeaderOnce(chunkSize: Int) {
        let input = Array(Self.header.utf8)
        var inserter = PrefaceInserter(preface: Array("PREFACE;\n".utf8))
        var output: [UInt8] = []
        var start = 0
        while start < input.count {
            output += inserter.consume(Array(input[start..<min(start + chunkSize, input.count)]))
            start += chunkSize
        }
        output += inserter.finish()
        let expected = Self.header.replacingOccurrences(
            of: "SQL_NOTES=0 */;\n", with: "SQL_NOTES=0 */;\nPREFACE;\n")
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    /// Without the header's SQL_NOTES line (--compact, --skip-comments), before the first database.
    @Test func withoutTheHeaderLineThePrefaceGoesBeforeTheFirstDatabase() {
        var inserter = PrefaceInserter(preface: Array("PREFACE;\n".utf8))
        let output = inserter.consume(Array("SET NAMES utf8mb4;\nCREATE DATABASE `a`;\nUSE `a`;\n".utf8))
        #expect(
            String(decoding: output, as: UTF8.self) == "SET NAMES utf8mb4;\nPREFACE;\nCREATE DATABASE `a`;\nUSE `a`;\n")
    }

    @Test func anEmptyPrefaceLeavesTheStreamAlone() {
        var inserter = PrefaceInserter(preface: [])
        #expect(inserter.consume(Array(Self.header.utf8)) == Array(Self.header.utf8))
    }
}
