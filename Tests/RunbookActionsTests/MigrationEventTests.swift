import Foundation
import Testing
import UTCTime

@testable import RunbookActions

/// The JSON lines of `migrate --json` keep their names and fields now that events are typed (issue #28).
@Suite struct MigrationEventTests {
    static let time = UTCDateTime(epochSeconds: 1_724_675_074)

    static func line(_ event: MigrationEvent) throws -> String {
        String(decoding: try event.json(migration: "m-1", time: time), as: UTF8.self)
    }

    @Test(arguments: [
        (
            MigrationEvent.migrationStarted(runbook: "backup-restore"),
            #"{"event":"migration-started","migration":"m-1","runbook":"backup-restore","time":"2024-08-26T12:24:34Z"}"#
        ),
        (.missingInputs(["a", "b"]), #"{"event":"missing-inputs","inputs":["a","b"],"#),
        (.stepSkipped(step: "s", reason: "when"), #""reason":"when","step":"s""#),
        (.stepReused(step: "s", outputs: ["k": "v"]), #""outputs":{"k":"v"},"step":"s""#),
        (.stepStarted(step: "s", title: "T/x"), #""step":"s","time":"2024-08-26T12:24:34Z","title":"T/x"}"#),
        (.note(step: "s", message: "m"), #""message":"m","migration":"m-1","step":"s""#),
        (.stepFinished(step: "s", outputs: [:]), #"{"event":"step-finished","migration":"m-1","outputs":{},"#),
        (.interrupted(step: "s"), #"{"event":"interrupted","migration":"m-1","step":"s","time":"#),
        (.stepFailed(step: nil, error: "e"), #"{"error":"e","event":"step-failed","migration":"m-1","time":"#),
        (.migrationFinished, #"{"event":"migration-finished","migration":"m-1","time":"2024-08-26T12:24:34Z"}"#),
    ] as [(MigrationEvent, String)])
    func eachEventKeepsItsNameAndFields(event: MigrationEvent, expected: String) throws {
        let line = try Self.line(event)
        #expect(line.contains(expected), "\(line)")
    }

    @Test func aPlannedStepThatAlwaysRunsHasANullWhen() throws {
        let step = MigrationEvent.PlannedStep(
            id: "backup", title: "Back up", action: "backup", inputs: ["store": "directory"],
            command: "mariadb-migrate backup", changes: true, when: nil)
        let line = try Self.line(.plan(runbook: "r", steps: [step]))
        #expect(line.contains(#""steps":[{"action":"backup","changes":true,"command":"mariadb-migrate backup","#))
        #expect(line.contains(#""when":null"#), "\(line)")
    }
}
