import BackupEngine
import Compression
import Testing
import UTCTime
import Verification

@testable import RestoreEngine

@Suite struct GaleraRuleTests {
    func manifest(databases: [String], arguments: [String]) -> BackupManifest {
        BackupManifest(
            name: "backup.2024-08-26T12:24:34Z.sql.gz", object: .init(sha256: "", bytes: 0),
            sql: .init(sha256: "", bytes: 0),
            compression: .gzip, serverVersion: "10.11", galera: false, binlog: nil, databases: databases,
            dumpArguments: arguments, startedAt: UTCDateTime(epochSeconds: 0), finishedAt: UTCDateTime(epochSeconds: 0),
            tool: "t")
    }

    @Test(arguments: [
        ([String](), ["--all-databases"], [String](), true),
        ([], ["--all-databases", "--ignore-table=mysql.global_priv"], [], true),
        (
            [],
            ["--all-databases"]
                + ["global_priv", "db", "tables_priv", "columns_priv", "procs_priv", "proxies_priv", "roles_mapping"]
                .map { "--ignore-table=mysql.\($0)" }, [], false
        ),
        (["shop"], ["--databases", "shop"], [], false),
        ([], ["--all-databases"], ["shop"], false),
        (["mysql", "shop"], ["--databases", "mysql", "shop"], ["mysql"], true),
    ])
    func aDumpWithThePrivilegeTablesIsRefusedForGalera(
        dumped: [String], arguments: [String], restoring: [String], refused: Bool
    ) {
        #expect(
            RestorePipeline.writesPrivilegeTables(
                manifest(databases: dumped, arguments: arguments), restoring: restoring) == refused)
    }
}

@Suite struct InventoryDiffTests {
    @Test(arguments: [
        ("GRANT SELECT (`name`, `id`) ON `d`.`t` TO `u`@`%`", "GRANT SELECT (`id`, `name`) ON `d`.`t` TO `u`@`%`"),
        (
            "GRANT SELECT (`b`, `a`), INSERT (`z`, `y`) ON `d`.`t` TO `u`@`%`",
            "GRANT SELECT (`a`, `b`), INSERT (`y`, `z`) ON `d`.`t` TO `u`@`%`"
        ),
        ("GRANT USAGE ON *.* TO `u`@`%`", "GRANT USAGE ON *.* TO `u`@`%`"),
    ])
    func columnListsOfGrantsAreSorted(grant: String, expected: String) {
        #expect(Inventory.sortingColumnLists(grant) == expected)
    }

    @Test func listsEveryDifferenceOnceSorted() {
        var a = Inventory()
        var b = Inventory()
        a.schemas["shop"] = .init(
            characterSet: "utf8mb4", collation: "utf8mb4_unicode_ci",
            tables: ["t": .init(rows: 3, checksum: "11"), "u": .init(rows: 1, checksum: "5")],
            views: ["v": "select 1"], routines: ["p (procedure)": "begin end"])
        b.schemas["shop"] = .init(
            characterSet: "utf8mb4", collation: "utf8mb4_general_ci",
            tables: ["t": .init(rows: 2, checksum: "10")], views: ["v": "select 1"], routines: [:])
        b.schemas["extra"] = .init(characterSet: "latin1", collation: "latin1_swedish_ci")
        a.accounts = ["'app'@'%'": ["GRANT USAGE ON *.* TO `app`@`%`"]]
        b.accounts = ["'app'@'%'": ["GRANT USAGE ON *.* TO `app`@`%`"]]
        #expect(
            Inventory.differences(source: a, target: b) == [
                "schema extra: on the target only (latin1/latin1_swedish_ci)",
                "schema shop: source utf8mb4/utf8mb4_unicode_ci, target utf8mb4/utf8mb4_general_ci",
                "table shop.t: source 3 rows, checksum 11, target 2 rows, checksum 10",
                "table shop.u: on the source only (1 rows, checksum 5)",
                "routine shop.p (procedure): on the source only (begin end)",
            ])
        #expect(Inventory.differences(source: a, target: a) == [])
    }
}
