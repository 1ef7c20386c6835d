import Foundation
import Runbook
import RunbookActions
import Testing

/// Issue #28: `--dry-run` takes each step's decision the way a run does (the step machine), from the state as it
/// is: a fresh plan runs every step whose `when` holds, a resumed one reuses what finished, `--redo` runs it again.
@Suite struct DryRunTests {
    /// What a run said, kept for the test to read.
    final class RecordingOutput: MigrationOutput, @unchecked Sendable {
        private let lock = NSLock()
        private var events: [MigrationEvent] = []

        func emit(_ event: MigrationEvent, migration: String, text: String?) { lock.withLock { events.append(event) } }
        func say(_ text: String) {}
        func error(_ text: String) {}

        var plan: [MigrationEvent.PlannedStep] {
            lock.withLock {
                events.compactMap { event -> [MigrationEvent.PlannedStep]? in
                    if case .plan(_, let steps) = event { return steps }
                    return nil
                }.last ?? []
            }
        }
    }

    static func plan(
        _ runbookName: String, flags: [String: String], state: MigrationState? = nil, redo: Set<String> = []
    ) async throws -> [String: String] {
        let runbook = try Runbook.named(runbookName, path: nil, actions: Actions.specs)
        var context = ResolutionContext()
        context.flags = flags
        var options = RunOptions()
        options.dryRun = true
        options.redo = redo
        let output = RecordingOutput()
        let runner = MigrationRunner(
            runbook: runbook,
            state: state ?? MigrationState(id: "m1", runbook: runbookName, runbookPath: nil, now: "t0"),
            context: context, prompter: nil, options: options, output: output)
        #expect(await runner.run() == .done)
        return Dictionary(uniqueKeysWithValues: output.plan.map { ($0.id, $0.decision) })
    }

    static let flags = ["source-host": "db1", "target-host": "db2", "databases": "shop", "store": "directory"]

    @Test func aFreshPlanRunsEveryStepWhoseWhenHolds() async throws {
        let fresh = try await Self.plan("external-to-operator", flags: Self.flags)
        #expect(fresh["survey"] == "run")
        #expect(fresh["restore"] == "run")
        // rehearse runs only when target-datadir is given
        #expect(fresh["rehearse"] == "skip")
        let withoutTarget = try await Self.plan(
            "external-to-operator", flags: Self.flags.filter { $0.key != "target-host" })
        #expect(withoutTarget["restore"] == "skip")
        #expect(withoutTarget["verify"] == "skip")
    }

    @Test func aResumedPlanReusesWhatFinishedUnlessRedone() async throws {
        var state = MigrationState(id: "m2", runbook: "backup-restore", runbookPath: nil, now: "t0")
        // The survey finished with the inputs it resolves to now (the secret is never among them).
        let runbook = try Runbook.named("backup-restore", path: nil, actions: Actions.specs)
        var context = ResolutionContext()
        context.flags = Self.flags
        var inputs: [String: String] = [:]
        for name in try #require(runbook.steps.first).inputs where runbook.input(name)?.isSecret == false {
            if case .value(let value, _) = runbook.resolve(name, in: context) { inputs[name] = value }
            if case .ask(let value?) = runbook.resolve(name, in: context) { inputs[name] = value }
        }
        var record = MigrationState.StepRecord(status: .done, inputs: inputs, startedAt: "t0")
        record.outputs = ["version": "10.11.6"]
        state.steps["survey"] = record
        let resumed = try await Self.plan("backup-restore", flags: Self.flags, state: state)
        #expect(resumed["survey"] == "reuse")
        #expect(resumed["backup"] == "run")
        let redone = try await Self.plan("backup-restore", flags: Self.flags, state: state, redo: ["survey"])
        #expect(redone["survey"] == "run")
        var changed = Self.flags
        changed["source-host"] = "db3"
        #expect(try await Self.plan("backup-restore", flags: changed, state: state)["survey"] == "run")
    }
}
