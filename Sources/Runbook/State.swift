import AtomicFile
import Foundation

/// A migration's progress, saved after every change (mode 0600) so `--resume` can go on where
/// it stopped. It holds no secret values: secrets are re-read from their source or asked.
public struct MigrationState: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case running, done, failed, interrupted, skipped }

    public struct StepRecord: Codable, Sendable, Equatable {
        public var status: Status
        /// The non-secret input values the step ran with: a change means the step runs again.
        public var inputs: [String: String]
        public var outputs: [String: String]
        public var startedAt: String
        public var finishedAt: String?
        public var error: String?
        /// What an unfinished attempt left to clean up (e.g. the backup name of an interrupted upload).
        public var attempt: [String: String]

        public init(status: Status, inputs: [String: String], startedAt: String) {
            self.status = status
            self.inputs = inputs
            self.outputs = [:]
            self.startedAt = startedAt
            self.attempt = [:]
        }
    }

    public var id: String
    public var runbook: String
    /// The runbook file when it was not an embedded one.
    public var runbookPath: String?
    public var createdAt: String
    public var updatedAt: String
    /// Non-secret inputs as resolved (and so as they will be on resume).
    public var inputs: [String: String]
    public var secretSources: [String: SecretSource]
    public var steps: [String: StepRecord]

    public init(id: String, runbook: String, runbookPath: String?, now: String) {
        self.id = id
        self.runbook = runbook
        self.runbookPath = runbookPath
        createdAt = now
        updatedAt = now
        inputs = [:]
        secretSources = [:]
        steps = [:]
    }

    /// The outputs of finished steps, for `${step.output}` references.
    public var outputs: [String: [String: String]] {
        steps.filter { $0.value.status == .done }.mapValues(\.outputs)
    }

    /// done / failed / interrupted / running / new, for `migrate list`.
    public func summary(order: [String]) -> String {
        if let failed = order.first(where: { steps[$0]?.status == .failed }) { return "failed at \(failed)" }
        if let stopped = order.first(where: { [.interrupted, .running].contains(steps[$0]?.status) }) {
            return "interrupted at \(stopped)"
        }
        if order.allSatisfy({ [.done, .skipped].contains(steps[$0]?.status) }) { return "done" }
        let finished = order.filter { [.done, .skipped].contains(steps[$0]?.status) }.count
        return "\(finished) of \(order.count) steps done"
    }
}

/// Whether a step runs again on resume. Pure.
public enum ResumeRule {
    public enum Decision: Equatable, Sendable {
        case run
        /// Done with the same inputs: its outputs are reused.
        case reuse
    }

    public static func decide(
        step: Step, record: MigrationState.StepRecord?, inputs: [String: String], redo: Set<String>
    ) -> Decision {
        guard let record, record.status == .done, !redo.contains(step.id), record.inputs == inputs else { return .run }
        return .reuse
    }
}

/// Reads and writes state files under a directory (default `migration-out/state`).
public struct StateDirectory: Sendable {
    public var path: String

    public init(path: String = "migration-out/state") { self.path = path }

    public func file(_ id: String) -> String { (path as NSString).appendingPathComponent("\(id).json") }

    /// Written aside with mode 0600, then renamed: never half a file.
    public func save(_ state: MigrationState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try AtomicFile.write(
                try encoder.encode(state), to: file(state.id), permissions: 0o600, directoryPermissions: 0o700)
        } catch let failure as AtomicFile.Failure {
            throw RunbookError(file: failure.path, line: nil, "cannot write the state file: \(failure.reason)")
        }
    }

    public func load(_ id: String) throws -> MigrationState {
        let target = file(id)
        guard let data = FileManager.default.contents(atPath: target) else {
            throw RunbookError(file: target, line: nil, "no migration '\(id)': see 'mariadb-migrate migrate list'")
        }
        do { return try JSONDecoder().decode(MigrationState.self, from: data) } catch {
            throw RunbookError(
                file: target, line: nil, "the state file is not readable (\(error)): start a new migration")
        }
    }

    public func all() -> [MigrationState] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { try? load(String($0.dropLast(5))) }
    }
}
