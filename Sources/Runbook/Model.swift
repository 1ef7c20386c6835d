import Foundation

/// A runbook: the steps of a migration, the inputs they need, and why each step is there.
/// Loaded from YAML (`runbooks/`, embedded, or `--runbook PATH`) and checked before anything runs.
public struct Runbook: Sendable, Equatable {
    public var name: String
    public var summary: String
    public var inputs: [Input]
    public var steps: [Step]
    /// Where it came from, for messages: a path or `embedded:NAME`.
    public var file: String

    public func input(_ name: String) -> Input? { inputs.first { $0.name == name } }
    public func step(_ id: String) -> Step? { steps.first { $0.id == id } }
}

public struct Step: Sendable, Equatable {
    public var id: String
    public var title: String
    /// A short paragraph: what the step does and why the migration needs it.
    public var why: String
    /// The built-in action it runs (see `ActionSpec`).
    public var action: String
    /// The names of the runbook inputs the action reads.
    public var inputs: [String]
    /// Outputs later steps may use as `${id.output}`.
    public var outputs: [String]
    /// It changes something outside this machine (a store, a server): asks for confirmation.
    public var changes: Bool
    /// A condition on an input for the step to run (see `Runbook.holds`); nil: always runs.
    public var when: String?
    public var line: Int
    /// What its action changes, from the action's spec (set by the loader).
    public var effect: ActionEffect = .none
}

public struct Input: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case text, secret, choice, bool, number, duration, time, path, url
        case hostPort = "host:port"
    }

    public var name: String
    public var kind: Kind
    public var help: String
    /// Literal text, possibly with `${input}`, `${step.output}` or `${migration.id}` references.
    public var defaultValue: String?
    public var choices: [String]
    /// A regular expression the whole value must match.
    public var pattern: String?
    public var minimum: Int?
    public var maximum: Int?
    /// An empty value is allowed (the input is then left out).
    public var optional: Bool
    /// The command-line flag, without dashes (default: the name).
    public var flag: String
    /// The environment variable read when no flag or answer gives it.
    public var environment: String?
    /// A condition on another input (`store=s3`): when it does not hold, the input is neither
    /// asked nor needed, and its value is empty.
    public var when: String?
    public var line: Int

    public var isSecret: Bool { kind == .secret }
}

/// A loading or validation fault, with the file and line it concerns.
public struct RunbookError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int?, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file)\(line.map { ":\($0)" } ?? ""): \(message)" }
}

extension RunbookError: LocalizedError {
    public var errorDescription: String? { description }
}
