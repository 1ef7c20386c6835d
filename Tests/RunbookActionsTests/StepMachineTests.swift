import Testing

@testable import Runbook

/// Issue #28: the wizard's step machine, table-tested: what a run does with a step given its record, its
/// resolved inputs and --redo, and what the state then records.
@Suite struct StepMachineTests {
    static let step = Step(
        id: "backup", title: "Back up", why: "", action: "backup", inputs: ["databases"], outputs: ["name"],
        changes: true, when: nil, line: 1)

    static func record(
        _ status: MigrationState.Status, inputs: [String: String] = ["databases": "shop"],
        outputs: [String: String] = [:], attempt: [String: String] = [:]
    ) -> MigrationState.StepRecord {
        var record = MigrationState.StepRecord(status: status, inputs: inputs, startedAt: "t0")
        record.outputs = outputs
        record.attempt = attempt
        return record
    }

    @Test(arguments: [
        // fresh: no record
        ("fresh", nil, ["databases": "shop"], [], StepMachine.Next.run(previousAttempt: [:])),
        // resumed: done with the same inputs is reused, with its outputs
        ("resumed", record(.done, outputs: ["name": "b1"]), ["databases": "shop"], [], .reuse(outputs: ["name": "b1"])),
        // a changed input runs it again
        ("changed input", record(.done, outputs: ["name": "b1"]), ["databases": "crm"], [], .run(previousAttempt: [:])),
        // --redo runs it again
        ("redo", record(.done, outputs: ["name": "b1"]), ["databases": "shop"], ["backup"], .run(previousAttempt: [:])),
        // an interrupted attempt hands what it left to the next one
        ("interrupted", record(.interrupted, attempt: ["name": "b.partial"]), ["databases": "shop"], [],
         .run(previousAttempt: ["name": "b.partial"])),
        ("failed", record(.failed), ["databases": "shop"], [], .run(previousAttempt: [:])),
        // its `when` does not hold
        ("when false", record(.done), nil, [], .skip),
    ] as [(String, MigrationState.StepRecord?, [String: String]?, Set<String>, StepMachine.Next)])
    func whatARunDoesWithAStep(
        _ label: String, record: MigrationState.StepRecord?, values: [String: String]?, redo: Set<String>,
        expected: StepMachine.Next
    ) {
        #expect(StepMachine.next(Self.step, record: record, values: values, redo: redo) == expected, "\(label)")
    }

    @Test func aStepsRecordGoesFromStartToDoneOrFailedOrInterrupted() {
        var state = MigrationState(id: "m", runbook: "r", runbookPath: nil, now: "t0")
        state.start(Self.step, inputs: ["databases": "shop"], previousAttempt: ["name": "old"], at: "t1")
        #expect(state.steps["backup"]?.status == .running && state.steps["backup"]?.attempt == ["name": "old"])
        state.recordAttempt("backup", ["name": "new"])
        var stopped = state
        stopped.interrupt("backup")
        #expect(stopped.steps["backup"]?.status == .interrupted && stopped.steps["backup"]?.attempt == ["name": "new"])
        var failed = state
        failed.fail("backup", message: "no", at: "t2")
        #expect(failed.steps["backup"]?.status == .failed && failed.steps["backup"]?.error == "no")
        state.finish(Self.step, outputs: ["name": "b1"], at: "t2")
        #expect(state.steps["backup"]?.status == .done && state.steps["backup"]?.attempt == [:])
        #expect(state.outputs == ["backup": ["name": "b1"]])
        // Done is not undone by a late signal.
        state.interrupt("backup")
        #expect(state.steps["backup"]?.status == .done)
        var declined = MigrationState(id: "m", runbook: "r", runbookPath: nil, now: "t0")
        declined.decline(Self.step, inputs: ["databases": "shop"], at: "t1")
        #expect(declined.steps["backup"]?.status == .interrupted)
        var skipped = MigrationState(id: "m", runbook: "r", runbookPath: nil, now: "t0")
        skipped.skip(Self.step, at: "t1")
        #expect(skipped.steps["backup"]?.status == .skipped && skipped.outputs.isEmpty)
    }
}
