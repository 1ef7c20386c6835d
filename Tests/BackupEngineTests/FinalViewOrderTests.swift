import Dump
import Testing

/// mariadb-dump 10.11's second pass over a database, as it writes it (shortened): the final views in name order.
@Suite struct FinalViewOrderTests {
    static func block(_ raw: String, _ body: String, checkOption: Bool = false) -> String {
        let name = raw.replacingOccurrences(of: "`", with: "``")
        return """
        --
        -- Final view structure for view `\(name)`
        --

        /*!50001 DROP VIEW IF EXISTS `\(name)`*/;
        /*!50001 CREATE ALGORITHM=UNDEFINED */
        /*!50013 DEFINER=`root`@`localhost` SQL SECURITY DEFINER */
        /*!50001 VIEW `\(name)` AS \(body) */\(checkOption ? "\n/*!50002 WITH CASCADED CHECK OPTION */;" : ";")
        /*!50001 SET character_set_client      = @saved_cs_client */;


        """
    }

    static let before = "--\n-- Current Database: `vord`\n--\n\nUSE `vord`;\n\n"
    static let after =
        "--\n-- Current Database: `next`\n--\n\nUSE `next`;\n\n/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n"

    func reordered(_ text: String, chunk: Int) -> String {
        var order = FinalViewOrder()
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var start = 0
        while start < bytes.count {
            output += order.consume(Array(bytes[start..<min(start + chunk, bytes.count)]))
            start += chunk
        }
        return String(decoding: output + order.finish(), as: UTF8.self)
    }

    /// v_a (WITH CHECK OPTION) reads v_z: v_z is made first, whatever the chunks; everything else stays.
    @Test(arguments: [1, 5, 64, 100_000])
    func aViewComesAfterTheViewItReads(chunk: Int) {
        let a = Self.block("v_a", "select `v_z`.`id` AS `id` from `v_z` where `v_z`.`id` > 0", checkOption: true)
        let m = Self.block("v_m", "select `t`.`id` AS `id` from `t`")
        let z = Self.block("v_z", "select `t`.`id` AS `id` from `t`")
        #expect(reordered(Self.before + a + m + z + Self.after, chunk: chunk) == Self.before + m + z + a + Self.after)
    }

    @Test func viewsInOrderAlreadyAndCyclesKeepTheDumpsOrder() {
        let a = Self.block("a", "select 1 AS `x`")
        let b = Self.block("b", "select `a`.`x` AS `x` from `a`")
        #expect(reordered(Self.before + a + b + Self.after, chunk: 7) == Self.before + a + b + Self.after)
        // Each names the other (a column called like the other view): the dump's order.
        let c = Self.block("c", "select `d`.`d` AS `d` from `t` `d`")
        let d = Self.block("d", "select `c`.`c` AS `c` from `t` `c`")
        #expect(reordered(Self.before + c + d + Self.after, chunk: 7) == Self.before + c + d + Self.after)
    }

    /// A quoted name with a doubled backtick, and the section ending at the dump's trailer.
    @Test func oddNamesAndTheTrailerEndTheSection() {
        let a = Self.block("a", "select `b``q`.`x` AS `x` from `b``q`")
        let b = Self.block("b`q", "select 1 AS `x`")
        let trailer = "/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n-- Dump completed\n"
        #expect(reordered(Self.before + a + b + trailer, chunk: 3) == Self.before + b + a + trailer)
    }

    /// A row line streams through before its newline arrives: nothing gathers a dump's long INSERT lines.
    @Test func aLongLineIsNotHeldBack() {
        var order = FinalViewOrder()
        #expect(order.consume(Array("INSERT INTO `t` VALUES (1".utf8)) == Array("INSERT INTO `t` VALUES (1".utf8))
        #expect(order.consume(Array("),(2);\n-".utf8)) == Array("),(2);\n".utf8))
        #expect(order.finish() == Array("-".utf8))
    }

    @Test func aDumpWithoutViewsPassesUnchanged() {
        let text = "-- MariaDB dump\n--\n-- Table structure for table `t`\n--\n\nCREATE TABLE `t` (`id` int);\n--"
        #expect(reordered(text, chunk: 4) == text)
    }
}
