import Dump
import Foundation
import MariaDBClient
import Presentation
import Runbook
import Terminal
import UTCTime

/// Exit statuses of `migrate`, as documented in its help.
public enum MigrationExit: Int32, Sendable {
    case done = 0
    case stepFailed = 1
    case usage = 2
    case interrupted = 130
}

public struct RunOptions: Sendable {
    public var yes = false
    public var dryRun = false
    public var json = false
    public var redo: Set<String> = []
    public var stateDirectory = StateDirectory()

    public init() {}
}

/// Where a run says what happens: events (JSON lines or text), explanations for a person, and errors.
public protocol MigrationOutput: Sendable {
    /// The event as a JSON line with `--json`, else `text` (if any) for a person.
    func emit(_ event: MigrationEvent, migration: String, text: String?)
    /// Free text for a person only (a step's explanation); nothing in JSON mode.
    func say(_ text: String)
    /// A problem or what to do next, on standard error in both modes.
    func error(_ text: String)
}

extension MigrationOutput {
    func emit(_ event: MigrationEvent, migration: String) { emit(event, migration: migration, text: nil) }
}

/// Writes what happens: lines for a person, or one JSON event a line (`--json`) on standard output.
public final class EventOutput: MigrationOutput, @unchecked Sendable {
    let json: Bool
    private let lock = NSLock()

    public init(json: Bool) { self.json = json }

    public func emit(_ event: MigrationEvent, migration: String, text: String?) {
        lock.withLock {
            if json {
                if let data = try? event.json(migration: migration, time: UTCDateTime.now()) {
                    Console.write(data + Data("\n".utf8), to: .standardOutput)
                }
            } else if let text {
                Console.out(text + "\n")
            }
        }
    }

    public func say(_ text: String) {
        guard !json else { return }
        lock.withLock { Console.out(text + "\n") }
    }

    public func error(_ text: String) {
        lock.withLock { Console.error(text) }
    }
}

/// Walks a runbook: resolves each step's inputs (asking on a terminal), explains the step, asks
/// before changes, runs the action, and saves the state after every change so a stopped run
/// resumes at the step that did not finish.
public final class MigrationRunner: @unchecked Sendable {
    let runbook: Runbook
    var state: MigrationState
    var context: ResolutionContext
    let prompter: Prompter?
    let options: RunOptions
    let output: any MigrationOutput
    /// Secrets answered at a prompt in this run: asked once, kept in memory only.
    private var promptedSecrets: [String: String] = [:]
    private let promptLock = NSLock()
    private var waitingForAnswer = false
    /// Whether a signal asked the run to stop: set by `run(cancelled:)`, read again as each prompt opens.
    private var stopRequested: @Sendable () -> Bool = { false }

    /// True while a prompt waits for a person: an interrupt then exits at once (the state is saved).
    /// Read by the signal handler on another thread.
    public var prompting: Bool { promptLock.withLock { waitingForAnswer } }

    public init(
        runbook: Runbook, state: MigrationState, context: ResolutionContext, prompter: Prompter?, options: RunOptions,
        output: (any MigrationOutput)? = nil
    ) {
        self.runbook = runbook
        self.state = state
        self.context = context
        self.prompter = prompter
        self.options = options
        self.output = output ?? EventOutput(json: options.json)
        self.context.migrationID = state.id
        // Values given now are kept for a resume even if the run stops before a step reads them.
        for (name, value) in context.answers.merging(context.flags, uniquingKeysWith: { $1 }) {
            self.state.inputs[name] = value
        }
        self.context.saved = self.state.inputs
        self.context.outputs = state.outputs
    }

    var interactive: Bool { prompter?.isInteractive == true && !options.json }

    public var migrationID: String { state.id }

    /// What a person types to go on with this migration.
    public var resumeCommand: String { "mariadb-migrate migrate --resume \(state.id)" }

    func save() throws {
        state.updatedAt = UTCDateTime.now().rfc3339
        try options.stateDirectory.save(state)
    }

    /// Inputs nothing answers, when there is no terminal to ask on: every one of them, at once.
    public func missingInputs() -> [Input] {
        let done = Set(state.steps.filter { $0.value.status == .done }.map(\.key))
        return runbook.missingInputs(in: context, skipping: done).filter { input in
            !(input.isSecret && hasSecretSource(input))
        }
    }

    func secretFile(_ input: Input) -> String? {
        context.secretFiles[input.name] ?? state.secretSources[input.name]?.file
    }

    func hasSecretSource(_ input: Input) -> Bool {
        secretFile(input) != nil || input.environment.flatMap { context.environment[$0] }.map { !$0.isEmpty } == true
    }

    /// A secret from its file (the first line, as the client reads a password file: a password
    /// may end in spaces) or its environment variable; nil when neither gives it.
    func secretFromSources(_ input: Input) throws -> String? {
        if let path = secretFile(input) {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ActionFailure(
                    message:
                        "cannot read the file of secret input '\(input.name)' '\(path)': "
                        + "\(error.localizedDescription); "
                        + "give a readable file with --\(input.flag)-file")
            }
            return text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }
        if let variable = input.environment, let value = context.environment[variable], !value.isEmpty { return value }
        return nil
    }

    public func run(cancelled: @escaping @Sendable () -> Bool = { false }) async -> MigrationExit {
        if options.dryRun { return dryRun() }
        stopRequested = cancelled
        // A secret file given now must be readable before anything runs, not at the step that needs it.
        for input in runbook.inputs where context.secretFiles[input.name] != nil {
            do { _ = try secretFromSources(input) } catch { return fail(nil, error, exit: .usage) }
        }
        if !interactive {
            let missing = missingInputs()
            if !missing.isEmpty {
                let list = missing.map { input in
                    "  --\(input.flag)\(input.isSecret ? "-file PATH" : " VALUE")"
                        + (input.environment.map { " (or \($0))" } ?? "")
                        + (input.help.isEmpty ? "" : ": \(input.help)")
                }
                output.emit(.missingInputs(missing.map(\.name)), migration: state.id)
                output.error(
                    "Error: \(missing.count) input\(missing.count == 1 ? "" : "s") missing and no terminal to ask on; "
                        + "nothing was run. Give them as flags, in --answers, or in the environment:\n"
                        + list.joined(separator: "\n") + "\n")
                return .usage
            }
            if !options.yes, let step = runbook.steps.first(where: \.changes) {
                output.error(
                    "Error: step '\(step.id)' changes things outside this machine and there is no terminal "
                        + "to confirm on: add --yes (or --dry-run to see the plan); nothing was run\n")
                return .usage
            }
        }
        output.emit(
            .migrationStarted(runbook: runbook.name), migration: state.id,
            text: "migration \(state.id): \(runbook.name) — \(runbook.summary)\n"
                + "state: \(options.stateDirectory.file(state.id)) (resume with: \(resumeCommand))")
        do { try save() } catch { return fail(nil, error) }
        for (index, step) in runbook.steps.enumerated() {
            if cancelled() { return interrupted(step) }
            let header = "\n[\(index + 1)/\(runbook.steps.count)] \(step.title)"
            let resolved: StepValues?
            do {
                resolved = try resolveStep(step, header: header)
            } catch let stop as StopRequest {
                return stop.exit == .interrupted ? interrupted(step) : stop.exit
            } catch {
                return fail(step, error, exit: .usage)
            }
            let previousAttempt: [String: String]
            switch StepMachine.next(step, record: state.steps[step.id], values: resolved?.values, redo: options.redo) {
            case .skip:
                state.skip(step, at: UTCDateTime.now().rfc3339)
                do { try save() } catch { return fail(step, error, exit: .usage) }
                output.emit(
                    .stepSkipped(step: step.id, reason: "when"), migration: state.id,
                    text: "\(header): skipped (only when \(runbook.describe(step.when ?? "")))")
                continue
            case .reuse(let outputs):
                output.emit(
                    .stepReused(step: step.id, outputs: outputs), migration: state.id,
                    text: "\(header): done before, with the same inputs; not redone")
                continue
            case .run(let attempt):
                previousAttempt = attempt
            }
            // `.run` comes only with resolved values.
            guard let values = resolved else { continue }
            if !interactive {
                output.emit(
                    .stepStarted(step: step.id, title: step.title), migration: state.id,
                    text: "\(header)\n  runs: \(CommandPreview.render(step, values))")
            }
            if !options.yes && interactive, let question = StepConfirmation.question(step, values.values) {
                do {
                    guard try confirm(question) else {
                        state.decline(step, inputs: values.values, at: UTCDateTime.now().rfc3339)
                        try? save()
                        output.error("stopped before '\(step.id)'; resume with: \(resumeCommand)\n")
                        return .interrupted
                    }
                } catch {
                    return interrupted(step)
                }
            }
            state.start(step, inputs: values.values, previousAttempt: previousAttempt, at: UTCDateTime.now().rfc3339)
            do { try save() } catch { return fail(step, error) }
            let stepID = step.id
            let actionContext = ActionContext(
                migrationID: state.id, stepID: step.id,
                progressMode: options.json ? .json : ProgressMeter.mode(json: false),
                note: { [output, id = state.id] message in
                    output.emit(.note(step: stepID, message: message), migration: id, text: "  \(message)")
                },
                attempts: StateAttemptJournal(runner: self, stepID: stepID, previous: previousAttempt))
            do {
                // A step that finished is recorded as done even when a signal came meanwhile: the
                // loop stops before the next one, and a resume does not redo this one.
                let outputs = try await performAskingAgainForAWrongPassword(step, values, context: actionContext)
                state.finish(step, outputs: outputs, at: UTCDateTime.now().rfc3339)
                context.outputs[step.id] = outputs
                try save()
                let shown = step.outputs.compactMap { name in outputs[name].map { "\(name) \($0)" } }.joined(
                    separator: ", ")
                output.emit(
                    .stepFinished(step: step.id, outputs: outputs), migration: state.id,
                    text: "  done\(shown.isEmpty ? "" : ": \(shown)")")
            } catch is CancellationError {
                return interrupted(step)
            } catch {
                if cancelled() { return interrupted(step) }
                return fail(step, error)
            }
        }
        output.emit(.migrationFinished, migration: state.id, text: "\nmigration \(state.id) done")
        return .done
    }

    struct StopRequest: Error { var exit: MigrationExit }

    /// A step's attempt, kept in the migration's state file.
    struct StateAttemptJournal: AttemptJournal {
        let runner: MigrationRunner
        let stepID: String
        let previous: [String: String]

        func record(_ attempt: [String: String]) throws {
            runner.state.recordAttempt(stepID, attempt)
            try runner.save()
        }
    }

    /// Runs the step's action; on a terminal, a password typed at the prompt that the server refuses (error 1045,
    /// or 1698 for an account that also takes unix_socket)
    /// is asked again and the step run again, as `mariadb --password` users expect. A password from a flag, a
    /// file or the environment, and any run without a terminal, fail at once. Preflight blockers that fixes in the
    /// dump can lift are offered one by one; with each taken, the step runs again with them.
    func performAskingAgainForAWrongPassword(
        _ step: Step, _ values: StepValues, context actionContext: ActionContext
    ) async throws -> [String: String] {
        var values = values
        while true {
            do {
                return try await Actions.perform(step.action, values, context: actionContext)
            } catch let error as MariaDBError
                where error.kind == .connect && [1045, 1698].contains(error.code) && interactive
            {
                guard let name = typedPassword(refusedBy: error, values), let input = runbook.input(name),
                    let prompter
                else { throw error }
                output.error("  \(error.localizedDescription); try again\n")
                let value = try ask {
                    try prompter.askSecret(self.question(input), hint: "give --\(input.flag)-file PATH")
                }
                promptedSecrets[name] = value
                values.secrets[name] = value
            } catch let blocked as FixableBlockers where interactive && runbook.input("fixes") != nil {
                guard let chosen = try offer(blocked) else { throw blocked }
                var fixes = values.list("fixes")
                for fix in chosen where !fixes.contains(fix.rawValue) { fixes.append(fix.rawValue) }
                let list = fixes.joined(separator: ",")
                try remember("fixes", list)
                values.values["fixes"] = list
                output.say("  running the preflight again with the fixes \(list)")
            }
        }
    }

    /// Asks, for each blocker, whether to fix it in the dump or stop; nil when the user stops.
    func offer(_ blocked: FixableBlockers) throws -> [DumpFix]? {
        guard let prompter else { return nil }
        var chosen: [DumpFix] = []
        for offer in blocked.offers {
            output.say("  blocker: \(offer.blocker)")
            output.say("    the \(offer.fix.rawValue) fix: \(offer.fix.help)")
            while true {
                let answer = try ask {
                    try prompter.ask(
                        "  fix it in the dump (the source is not changed), or stop, I will fix the source? (dump/stop)",
                        defaultValue: nil, hint: "give --fixes \(offer.fix.rawValue)")
                }
                if answer == "stop" { return nil }
                if answer == "dump" { break }
                output.error("  answer dump or stop\n")
            }
            chosen.append(offer.fix)
        }
        return chosen
    }

    /// The password input typed at the prompt this run for the server that refused it.
    func typedPassword(refusedBy error: MariaDBError, _ values: StepValues) -> String? {
        ["source", "target"].first { side in
            promptedSecrets["\(side)-password"] != nil
                && (try? values.connection(side).resolve().endpointDescription) == error.endpoint
        }.map { "\($0)-password" }
    }

    func interrupted(_ step: Step) -> MigrationExit {
        state.interrupt(step.id)
        try? save()
        output.emit(.interrupted(step: step.id), migration: state.id)
        output.error("interrupted at '\(step.id)'; the state is kept: \(resumeCommand)\n")
        return .interrupted
    }

    func fail(_ step: Step?, _ error: Error, exit: MigrationExit = .stepFailed) -> MigrationExit {
        let message = error.localizedDescription
        if let step, state.steps[step.id] != nil {
            state.fail(step.id, message: message, at: UTCDateTime.now().rfc3339)
            try? save()
        }
        output.emit(.stepFailed(step: step?.id, error: message), migration: state.id)
        output.error("Error: \(step.map { "step '\($0.id)': " } ?? "")\(message)\n")
        if step != nil {
            output.error("fix the cause, then: \(resumeCommand)\n")
        }
        return exit
    }

    /// The step's values; nil when its `when` input is off. Asks on a terminal for what nothing gives.
    func resolveStep(_ step: Step, header: String) throws -> StepValues? {
        var explained = false
        func explain() {
            guard interactive, !explained else { return }
            explained = true
            output.say("\(header)\n\(Runbook.wrap(step.why, indent: "  "))")
        }
        var values: [String: String] = [:]
        var secrets: [String: String] = [:]
        /// Whether `value` of input `name` turns the step off (the step's `when` is about it).
        func turnsStepOff(_ name: String, _ value: String) -> Bool {
            guard let when = step.when, name == Runbook.conditionInput(when) else { return false }
            return !runbook.holds(when, value: value)
        }
        for name in runbook.inputsRead(by: step) {
            guard let input = runbook.input(name) else { continue }
            if let when = input.when, let value = values[Runbook.conditionInput(when)],
                !runbook.holds(when, value: value)
            {
                // An input that is off is empty: the step that runs only when it is given is off too.
                values[name] = ""
                if turnsStepOff(name, "") { return nil }
                continue
            }
            if input.isSecret {
                if let value = try promptedSecrets[name] ?? secretFromSources(input) {
                    secrets[name] = value
                    if let path = context.secretFiles[name] {
                        state.secretSources[name] = .file(path)
                    } else if state.secretSources[name] == nil, let variable = input.environment {
                        state.secretSources[name] = .environment(variable)
                    }
                    continue
                }
                guard interactive, let prompter else {
                    if input.optional { continue }
                    throw ActionFailure(
                        message: "no value for secret input '\(name)': give --\(input.flag)-file PATH"
                            + (input.environment.map { " or \($0)" } ?? ""))
                }
                explain()
                var value = ""
                while true {
                    value = try ask {
                        try prompter.askSecret(self.question(input), hint: "give --\(input.flag)-file PATH")
                    }
                    guard let problem = Runbook.problem(value, for: input) else { break }
                    output.error("  \(problem); try again\n")
                }
                promptedSecrets[name] = value
                if !value.isEmpty { secrets[name] = value }
                state.secretSources[name] = .prompt
                continue
            }
            var value: String
            switch runbook.resolve(name, in: context) {
            case .value(let given, let origin):
                value = given
                if let problem = Runbook.problem(value, for: input) {
                    guard interactive, origin == .state || origin == .environment else {
                        throw ActionFailure(message: "\(problem) (from \(origin.rawValue))")
                    }
                    explain()
                    value = try askUntilValid(input, defaultValue: nil)
                    try remember(name, value)
                } else if [.flag, .answers].contains(origin) {
                    state.inputs[name] = value
                }
            case .ask(let defaultValue):
                if interactive {
                    explain()
                    value = try askUntilValid(input, defaultValue: defaultValue)
                    try remember(name, value)
                } else if let defaultValue {
                    value = defaultValue
                    if let problem = Runbook.problem(value, for: input) {
                        throw ActionFailure(message: "\(problem) (the default)")
                    }
                } else if input.optional {
                    value = ""
                } else {
                    throw ActionFailure(message: "no value for input '\(name)': give --\(input.flag) VALUE")
                }
            case .waiting:
                throw ActionFailure(message: "input '\(name)' waits for an output no step has given (a runbook bug)")
            }
            values[name] = value
            if turnsStepOff(name, value) { return nil }
        }
        if interactive {
            explain()
            output.say("  runs: \(CommandPreview.render(step, StepValues(values: values, secrets: secrets)))")
        }
        return StepValues(values: values, secrets: secrets)
    }

    /// An answer typed at a prompt, saved at once: ^C at the next prompt ends the run on the spot.
    func remember(_ name: String, _ value: String) throws {
        context.saved[name] = value
        state.inputs[name] = value
        try save()
    }

    func question(_ input: Input) -> String {
        let choices =
            input.kind == .choice
            ? " (\(input.choices.joined(separator: "/")))" : input.kind == .bool ? " (yes/no)" : ""
        return "  \(input.help.isEmpty ? input.name : input.help)\(choices)"
    }

    func ask(_ body: () throws -> String) throws -> String {
        promptLock.withLock { waitingForAnswer = true }
        defer { promptLock.withLock { waitingForAnswer = false } }
        // A signal that came after the step's own check but before this prompt opened found no prompt and only
        // set the flag: stop here rather than wait for an answer nobody will give. The handler sets the flag
        // before it reads `prompting`, so one of the two always sees the other.
        if stopRequested() { throw StopRequest(exit: .interrupted) }
        do { return try body() } catch { throw StopRequest(exit: .interrupted) }
    }

    func askUntilValid(_ input: Input, defaultValue: String?) throws -> String {
        guard let prompter else { throw StopRequest(exit: .usage) }
        while true {
            let answer = try ask {
                try prompter.ask(question(input), defaultValue: defaultValue, hint: "give --\(input.flag) VALUE")
            }
            guard let problem = Runbook.problem(answer, for: input) else { return answer }
            output.error("  \(problem); try again\n")
        }
    }

    func confirm(_ question: String) throws -> Bool {
        guard let prompter else { return false }
        while true {
            let answer = try ask { try prompter.ask("  \(question)? (yes/no)", defaultValue: nil, hint: "add --yes") }
            if let yes = Runbook.parseBool(answer) { return yes }
            output.error("  '\(answer)' is not yes or no; try again\n")
        }
    }

    /// `--dry-run`: every step with its inputs as they resolve now, secrets masked, and the
    /// command each runs. Outputs not produced yet show as `${step.output}`.
    func dryRun() -> MigrationExit {
        var steps: [MigrationEvent.PlannedStep] = []
        output.say("plan of \(runbook.name) (migration \(state.id)); nothing is changed")
        for (index, step) in runbook.steps.enumerated() {
            var values: [String: String] = [:]
            var secrets: [String: String] = [:]
            for name in runbook.inputsRead(by: step) {
                guard let input = runbook.input(name) else { continue }
                // As in a run: an input whose condition does not hold is off, and empty (one that waits for an
                // output not produced yet may hold).
                if let when = input.when, let value = values[Runbook.conditionInput(when)], !value.contains("${"),
                    !runbook.holds(when, value: value)
                {
                    values[name] = ""
                    continue
                }
                if input.isSecret {
                    secrets[name] = hasSecretSource(input) ? "(given)" : "(asked)"
                    continue
                }
                switch runbook.resolve(name, in: context) {
                case .value(let value, _): values[name] = value
                // Without a terminal an optional input nothing gives is empty, as in a run.
                case .ask(let value): values[name] = value ?? (input.optional && !interactive ? "" : "(asked)")
                case .waiting: values[name] = runbook.input(name)?.defaultValue ?? ""
                }
            }
            let preview = CommandPreview.render(step, StepValues(values: values, secrets: secrets))
            // The same decision a run takes, from the state as it is: a resumed plan shows what it would reuse.
            let on = step.when.map { when in
                let value = values[Runbook.conditionInput(when)] ?? ""
                return value.contains("${") || runbook.holds(when, value: value)
            } ?? true
            let decision: String
            let said: String
            switch StepMachine.next(step, record: state.steps[step.id], values: on ? values : nil, redo: options.redo)
            {
            case .skip: (decision, said) = ("skip", "skipped: only when \(runbook.describe(step.when ?? ""))")
            case .reuse: (decision, said) = ("reuse", "done before, with the same inputs; not redone")
            case .run: (decision, said) = ("run", "runs: \(preview)")
            }
            var planned = MigrationEvent.PlannedStep(
                id: step.id, title: step.title, action: step.action, inputs: values, command: preview,
                changes: step.changes, when: step.when)
            planned.decision = decision
            steps.append(planned)
            let when = step.when.map { " (when \($0))" } ?? ""
            output.say("\n[\(index + 1)/\(runbook.steps.count)] \(step.title)\(when)\n  \(said)")
        }
        output.emit(.plan(runbook: runbook.name, steps: steps), migration: state.id)
        return .done
    }
}
