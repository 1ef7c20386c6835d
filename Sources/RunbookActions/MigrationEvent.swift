import Foundation
import UTCTime

/// What `migrate --json` writes, one event a line: `{"event": NAME, "migration": ID, "time": …, "step": …}` and
/// the event's own fields beside them.
public enum MigrationEvent: Sendable, Equatable {
    case migrationStarted(runbook: String)
    case missingInputs([String])
    case stepSkipped(step: String, reason: String)
    case stepReused(step: String, outputs: [String: String])
    case stepStarted(step: String, title: String)
    case note(step: String, message: String)
    case stepFinished(step: String, outputs: [String: String])
    case interrupted(step: String)
    case stepFailed(step: String?, error: String)
    case migrationFinished
    case plan(runbook: String, steps: [PlannedStep])

    /// One step of a `--dry-run` plan.
    public struct PlannedStep: Encodable, Sendable, Equatable {
        public var id: String
        public var title: String
        public var action: String
        public var inputs: [String: String]
        public var command: String
        public var changes: Bool
        public var when: String?
        /// What a run would do with it now: run, reuse (done before with the same inputs) or skip (its `when`).
        public var decision = "run"

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in [("id", id), ("title", title), ("action", action), ("command", command)] {
                try container.encode(value, forKey: Key(key))
            }
            try container.encode(inputs, forKey: Key("inputs"))
            try container.encode(changes, forKey: Key("changes"))
            try container.encode(when, forKey: Key("when"))  // null when the step always runs
            try container.encode(decision, forKey: Key("decision"))
        }
    }

    public var name: String {
        switch self {
        case .migrationStarted: "migration-started"
        case .missingInputs: "missing-inputs"
        case .stepSkipped: "step-skipped"
        case .stepReused: "step-reused"
        case .stepStarted: "step-started"
        case .note: "note"
        case .stepFinished: "step-finished"
        case .interrupted: "interrupted"
        case .stepFailed: "step-failed"
        case .migrationFinished: "migration-finished"
        case .plan: "plan"
        }
    }

    var step: String? {
        switch self {
        case .stepSkipped(let step, _), .stepReused(let step, _), .stepStarted(let step, _), .note(let step, _),
            .stepFinished(let step, _), .interrupted(let step):
            step
        case .stepFailed(let step, _): step
        case .migrationStarted, .missingInputs, .migrationFinished, .plan: nil
        }
    }

    /// The JSON line, without its newline.
    func json(migration: String, time: UTCDateTime) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(Envelope(event: self, migration: migration, time: time.rfc3339))
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct Envelope: Encodable {
        var event: MigrationEvent
        var migration: String
        var time: String

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(event.name, forKey: Key("event"))
            try container.encode(migration, forKey: Key("migration"))
            try container.encode(time, forKey: Key("time"))
            try container.encodeIfPresent(event.step, forKey: Key("step"))
            switch event {
            case .migrationStarted(let runbook): try container.encode(runbook, forKey: Key("runbook"))
            case .missingInputs(let inputs): try container.encode(inputs, forKey: Key("inputs"))
            case .stepSkipped(_, let reason): try container.encode(reason, forKey: Key("reason"))
            case .stepReused(_, let outputs), .stepFinished(_, let outputs):
                try container.encode(outputs, forKey: Key("outputs"))
            case .stepStarted(_, let title): try container.encode(title, forKey: Key("title"))
            case .note(_, let message): try container.encode(message, forKey: Key("message"))
            case .stepFailed(_, let error): try container.encode(error, forKey: Key("error"))
            case .plan(let runbook, let steps):
                try container.encode(runbook, forKey: Key("runbook"))
                try container.encode(steps, forKey: Key("steps"))
            case .interrupted, .migrationFinished: break
            }
        }
    }
}
