import Runbook
import RunbookActions
import Testing

/// What the wizard asks before a step that changes something (issue #27: it asked "changes things outside this
/// machine" before a backup into a local directory).
@Suite struct StepConfirmationTests {
    static let galera = try! Runbook.named("standalone-to-galera", path: nil, actions: Actions.specs)

    func question(_ id: String, _ values: [String: String]) throws -> String? {
        let step = try #require(Self.galera.steps.first { $0.id == id })
        return StepConfirmation.question(step, values)
    }

    @Test(arguments: [
        ("backup", ["store": "directory", "storage-dir": "/backups"], nil),
        ("store-check", ["store": "directory"], nil),
        ("backup", ["store": "s3", "s3-bucket": "backups"], "Run this step? It writes to the S3 bucket backups"),
        ("restore", ["target-host": "10.0.0.9", "target-port": "3306"],
         "Run this step? It changes the server at 10.0.0.9:3306"),
        ("apply-accounts", ["target-host": "db"], "Run this step? It changes the server at db"),
        ("survey", ["source-host": "old"], nil),
    ] as [(String, [String: String], String?)])
    func aStepIsAskedForWhatItChanges(id: String, values: [String: String], expected: String?) throws {
        #expect(try question(id, values) == expected)
    }

    /// Dropping the way back changes the source only.
    @Test func finishingTheWayBackIsAskedForTheSource() throws {
        let live = try Runbook.named("external-to-operator-live", path: nil, actions: Actions.specs)
        let step = try #require(live.step("finish"))
        #expect(
            StepConfirmation.question(step, ["source-host": "old", "source-port": "3306", "target-host": "new"])
                == "Run this step? It changes the source at old:3306")
    }

    /// Every step of every shipped runbook that changes something outside this machine is asked for.
    @Test(arguments: ["external-to-operator", "standalone-to-galera", "backup-restore", "external-to-operator-live"])
    func everyChangingStepWithARemoteEffectIsAsked(name: String) throws {
        let runbook = try Runbook.named(name, path: nil, actions: Actions.specs)
        for step in runbook.steps where step.changes {
            let values = ["store": "s3", "s3-bucket": "b", "target-host": "t"]
            #expect(StepConfirmation.question(step, values) != nil, "\(name) \(step.id)")
        }
    }
}
