import RunbookActions
import Testing

@testable import Runbook

/// `migrate`'s own words for a runbook's inputs (issue #28: parsed in Runbook, not in the command).
@Suite struct RunbookArgumentsTests {
    static let runbook = try! Runbook.named("backup-restore", path: nil, actions: Actions.specs)

    @Test(arguments: [
        ([], ["--source-host", "db1"], ["source-host": "db1"], [:]),
        ([], ["--source-port=3307"], ["source-port": "3307"], [:]),
        (["databases=shop,crm"], [], ["databases": "shop,crm"], [:]),
        ([], ["--source-password-file", "/run/pw"], [:], ["source-password": "/run/pw"]),
        (["source-host=a"], ["--source-host", "b"], ["source-host": "b"], [:]),
    ] as [([String], [String], [String: String], [String: String])])
    func inputsFromSetAndFlags(
        assignments: [String], words: [String], values: [String: String], files: [String: String]
    ) throws {
        let given = try RunbookArguments.parse(assignments: assignments, words: words, for: Self.runbook)
        #expect(given.values == values)
        #expect(given.secretFiles == files)
    }

    @Test(arguments: [
        (["colour"], [], "--set 'colour' is not name=value"),
        (["colour=blue"], [], "--set: unknown input 'colour' for runbook backup-restore (see mariadb-migrate"),
        (["source-password=x"], [], "--set may not carry secret 'source-password'"),
        ([], ["db1"], "unexpected argument 'db1'"),
        ([], ["--colour", "blue"], "unknown option '--colour' for runbook backup-restore"),
        ([], ["--source-host"], "--source-host needs a value"),
        ([], ["--source-password", "x"], "--source-password is a secret: give --source-password-file PATH"),
    ] as [([String], [String], String)])
    func badWordsAreNamed(assignments: [String], words: [String], message: String) {
        #expect {
            _ = try RunbookArguments.parse(assignments: assignments, words: words, for: Self.runbook)
        } throws: { error in
            error.localizedDescription.contains(message)
        }
    }
}
