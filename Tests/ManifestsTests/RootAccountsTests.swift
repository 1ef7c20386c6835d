import Testing

@testable import Manifests

@Suite struct RootAccountsTests {
    @Test func nativeHashIsMariaDBsPasswordFunction() {
        // SELECT PASSWORD('password') on MariaDB 10.11.
        #expect(RootAccounts.nativeHash("password") == "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19")
    }

    static let hash = RootAccounts.nativeHash("s3cret")
    static let other = RootAccounts.nativeHash("other")

    @Test(
        arguments: [
            // Both take it (localhost also by socket, as Debian sets it up).
            (
                [
                    "localhost":
                        "CREATE USER `root`@`localhost` IDENTIFIED VIA mysql_native_password USING '\(hash)' "
                        + "OR unix_socket",
                    "%": "CREATE USER `root`@`%` IDENTIFIED BY PASSWORD '\(hash)'",
                ], []
            ),
            (
                ["localhost": "CREATE USER `root`@`localhost` IDENTIFIED BY PASSWORD '\(hash)'"],
                ["root@'%' does not exist"]
            ),
            (
                [
                    "localhost": "CREATE USER `root`@`localhost` IDENTIFIED VIA unix_socket",
                    "%": "CREATE USER `root`@`%` IDENTIFIED BY PASSWORD '\(other)'",
                ],
                [
                    "root@'localhost' does not take the root password: it takes no password (unix_socket)",
                    "root@'%' does not take the root password: its password differs",
                ]
            ),
            (
                [
                    "localhost": "CREATE USER `root`@`localhost` IDENTIFIED VIA ed25519 USING 'x8Ab'",
                    "%": "CREATE USER `root`@`%` IDENTIFIED BY PASSWORD '\(hash)'",
                ], []
            ),
        ] as [([String: String], [String])])
    func bothRootAccountsMustTakeThePassword(statements: [String: String], expected: [String]) {
        let problems = RootAccounts.problems(createUser: statements.mapValues { $0 }, password: "s3cret")
        #expect(problems.count == expected.count)
        for (problem, start) in zip(problems, expected) { #expect(problem.hasPrefix(start), "\(problem)") }
    }

    @Test func aPhysicalBootstrapSaysSoAndTakesThePhysicalName() throws {
        var inputs = ManifestInputs()
        inputs.physical = true
        inputs.s3Bucket = "b"
        inputs.s3Endpoint = "s3.example.com"
        inputs.backupFile = "physicalbackup-20240826122434.xb.gz"
        #expect(inputs.problems() == [])
        let plan = try ManifestJob.plan(inputs, secrets: ManifestSecrets())
        #expect(plan.targetRecoveryTime == "2024-08-26T12:24:34Z")
        let yaml = "\(plan.documents().last!.json)"
        #expect(yaml.contains("Physical"))
        inputs.backupFile = "backup.2024-08-26T12:24:34Z.sql.gz"
        #expect(inputs.problems().first?.contains("is not a physical backup name") == true)
        inputs.backupFile = nil
        inputs.restoreCR = true
        #expect(inputs.problems().first?.contains("drop --restore-cr") == true)
    }
}
