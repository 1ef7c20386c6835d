/// The wizard's step machine: what a run does with each step, and what the state records of it. Pure: the
/// runner resolves the inputs (asking on a terminal), prints, confirms, runs the action and saves.
public enum StepMachine {
    public enum Next: Equatable, Sendable {
        /// The step's `when` does not hold.
        case skip
        /// Done before with the same inputs (and not `--redo`): its outputs are used again.
        case reuse(outputs: [String: String])
        /// Runs; `previousAttempt` is what an unfinished earlier attempt left to clean up.
        case run(previousAttempt: [String: String])
    }

    /// `values`: the step's resolved non-secret inputs, nil when its `when` turned it off.
    public static func next(
        _ step: Step, record: MigrationState.StepRecord?, values: [String: String]?, redo: Set<String>
    ) -> Next {
        guard let values else { return .skip }
        if ResumeRule.decide(step: step, record: record, inputs: values, redo: redo) == .reuse {
            return .reuse(outputs: record?.outputs ?? [:])
        }
        return .run(previousAttempt: record?.status == .done ? [:] : (record?.attempt ?? [:]))
    }
}

extension MigrationState {
    /// The step's `when` did not hold.
    public mutating func skip(_ step: Step, at time: String) {
        steps[step.id] = StepRecord(status: .skipped, inputs: [:], startedAt: time)
    }

    /// The step starts with these inputs; an earlier attempt's leftovers stay recorded until it finishes.
    public mutating func start(
        _ step: Step, inputs: [String: String], previousAttempt: [String: String], at time: String
    ) {
        var record = StepRecord(status: .running, inputs: inputs, startedAt: time)
        record.attempt = previousAttempt
        steps[step.id] = record
    }

    /// What the running attempt may leave behind if stopped (e.g. an upload's name), saved at once.
    public mutating func recordAttempt(_ stepID: String, _ attempt: [String: String]) {
        steps[stepID]?.attempt = attempt
    }

    public mutating func finish(_ step: Step, outputs: [String: String], at time: String) {
        steps[step.id]?.status = .done
        steps[step.id]?.outputs = outputs
        steps[step.id]?.attempt = [:]
        steps[step.id]?.finishedAt = time
    }

    public mutating func fail(_ stepID: String, message: String, at time: String) {
        guard steps[stepID] != nil else { return }
        steps[stepID]?.status = .failed
        steps[stepID]?.error = message
        steps[stepID]?.finishedAt = time
    }

    /// Stopped while running: a resume runs it again.
    public mutating func interrupt(_ stepID: String) {
        if steps[stepID]?.status == .running { steps[stepID]?.status = .interrupted }
    }

    /// The person declined the step: it is recorded as interrupted, with what it would have run with.
    public mutating func decline(_ step: Step, inputs: [String: String], at time: String) {
        if steps[step.id] == nil { steps[step.id] = StepRecord(status: .interrupted, inputs: inputs, startedAt: time) }
        steps[step.id]?.status = .interrupted
    }
}
