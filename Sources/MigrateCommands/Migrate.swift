import ArgumentParser
import Blocking
import Dispatch
import Foundation
import Runbook
import RunbookActions
import Terminal
import UTCTime
import Yams

extension MariaDBMigrate {
    /// The wizard: walks a runbook from the first question to the last manifest, resumable.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk a migration runbook step by step: ask for what it needs, explain each step, run it, "
                + "and keep the state so a stopped run resumes.",
            discussion: """
                A runbook is a list of steps: survey the source, check the store, back up, turn the accounts into \
                CRs, write the MariaDB that bootstraps from the backup, and optionally restore into a reachable \
                server and verify it. The shipped runbooks are external-to-operator (the operator's migration \
                guide), standalone-to-galera (the same with the Galera rules), external-to-operator-in-cluster \
                (the operator's own Job takes the backup of a source the cluster reaches) and backup-restore (one \
                server into another, verified); `migrate --explain NAME` prints one as a guide.

                On a terminal the wizard asks for each input, showing the default (Enter takes it) and hiding \
                secrets, and asks before each step that changes something outside this machine. In a script, each \
                input comes from its flag (--NAME VALUE) or --set NAME=VALUE, then --answers FILE (YAML: NAME: \
                VALUE, or NAME: {file: PATH} for a secret), then its environment variable, then its default; \
                secrets come only from a file (--NAME-file PATH), the environment or a prompt. Without a terminal \
                every missing input is listed at once and nothing runs.

                Each migration has an id and a state file (mode 0600, no secrets) under migration-out/state. \
                `--resume ID` goes on at the step that failed or was interrupted; finished steps are not run again \
                unless their inputs changed or --redo names them.

                Exit status: 0 done, 1 a step failed, 2 a usage error or a missing input, 130 interrupted.
                """,
            subcommands: [Run.self, Status.self, List.self],
            defaultSubcommand: Run.self)
    }
}

extension MariaDBMigrate.Migrate {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run", abstract: "Run or resume a migration (the default).")

        @Option(help: ArgumentHelp("A runbook file instead of a shipped one.", valueName: "path"))
        var runbookFile: String?

        @Option(
            name: .customLong("set"),
            help: ArgumentHelp("An input's value (repeatable; never a secret).", valueName: "name=value"),
            completion: .custom(MigrateCompletion.assignments))
        var assignments: [String] = []

        @Option(
            help: ArgumentHelp(
                "A YAML file of answers: NAME: VALUE, or NAME: {file: PATH} for a secret.", valueName: "path"))
        var answers: String?

        @Option(help: ArgumentHelp("Continue this migration at the step that did not finish.", valueName: "id"))
        var resume: String?

        @Option(help: ArgumentHelp("Run this finished step again on resume (repeatable).", valueName: "step"))
        var redo: [String] = []

        @Flag(help: "Answer yes to every confirmation.")
        var yes = false

        @Flag(help: "Print the plan (steps, resolved inputs, the commands they amount to) and change nothing.")
        var dryRun = false

        @Flag(help: "One JSON event a line on standard output (step started, progress, finished, failed).")
        var json = false

        @Flag(help: "Print the runbook as a short guide and exit.")
        var explain = false

        @Option(help: ArgumentHelp("Where state files live.", valueName: "dir"))
        var stateDir = "migration-out/state"

        // One argument list for the runbook and its inputs: argument-parser refuses unknown options
        // when an optional positional before them is left out (`migrate --resume ID --NAME VALUE`).
        @Argument(
            parsing: .allUnrecognized,
            help: ArgumentHelp(
                "The runbook (\(EmbeddedRunbooks.yaml.keys.sorted().joined(separator: ", ")); none with --resume), "
                    + "then its inputs as flags: --NAME VALUE, or --NAME-file PATH for a secret.",
                valueName: "runbook --input value"),
            completion: .custom(MigrateCompletion.words))
        var words: [String] = []

        /// The runbook's name: the first word when it is not an option.
        var runbook: String? { words.first.flatMap { $0.hasPrefix("-") ? nil : $0 } }

        var inputFlags: ArraySlice<String> { runbook == nil ? words[...] : words.dropFirst() }

        func run() async throws { try await exitingTwoOnUsageFaults(runChecked) }

        func runChecked() async throws {
            let directory = StateDirectory(path: stateDir)
            var saved: MigrationState?
            if let resume { saved = try directory.load(resume) }
            let name = runbook ?? saved?.runbook
            guard name != nil || runbookFile != nil || saved?.runbookPath != nil else {
                let names = EmbeddedRunbooks.yaml.keys.sorted().joined(separator: ", ")
                throw ValidationError("name a runbook (\(names)), give --runbook-file PATH, or --resume ID")
            }
            let book: Runbook
            do {
                book = try Runbook.named(name, path: runbookFile ?? saved?.runbookPath, actions: Actions.specs)
            } catch {
                throw ValidationError(error.description)
            }
            if explain { return print(book.guide, terminator: "") }
            if let saved, saved.runbook != book.name {
                throw ValidationError("migration '\(saved.id)' ran runbook '\(saved.runbook)', not '\(book.name)'")
            }
            for step in redo where book.step(step) == nil {
                let steps = book.steps.map(\.id).joined(separator: ", ")
                throw ValidationError("--redo '\(step)' is not a step of \(book.name) (steps: \(steps))")
            }
            var context = ResolutionContext()
            context.environment = ProcessInfo.processInfo.environment
            try readAnswers(into: &context, runbook: book)
            try readFlags(into: &context, runbook: book)
            // A value given on the command line or in the answers file is checked now, before anything runs.
            for (name, value) in context.flags.merging(context.answers, uniquingKeysWith: { flag, _ in flag }) {
                if let input = book.input(name), let problem = Runbook.problem(value, for: input) {
                    throw ValidationError("\(problem): nothing was run")
                }
            }
            let now = UTCDateTime.now()
            let state =
                saved
                ?? MigrationState(
                    id: "\(book.name)-\(now.basicISO8601.lowercased())", runbook: book.name,
                    runbookPath: runbookFile.map { URL(fileURLWithPath: $0).path }, now: now.rfc3339)
            var options = RunOptions()
            options.yes = yes
            options.dryRun = dryRun
            options.json = json
            options.redo = Set(redo)
            options.stateDirectory = directory
            let prompter = Prompter()
            let runner = MigrationRunner(
                runbook: book, state: state, context: context, prompter: prompter, options: options)
            let status = await runInterruptibly(runner)
            if status != .done { throw ExitCode(status.rawValue) }
        }

        /// SIGINT/SIGTERM cancel the running step (its upload is aborted, the state kept); at a
        /// prompt they end the run at once (the state is already saved). A second signal exits.
        func runInterruptibly(_ runner: MigrationRunner) async -> MigrationExit {
            let flag = CancellationFlag()
            let task = Task { await runner.run(cancelled: { flag.isSet }) }
            return await watchingSignals({ count in
                flag.set()
                if count > 1 || runner.prompting {
                    Console.error("\ninterrupted; the state is kept: \(runner.resumeCommand)\n")
                    Glibc.exit(130)
                }
                task.cancel()
            }, during: { await task.value })
        }

        func readAnswers(into context: inout ResolutionContext, runbook: Runbook) throws {
            guard let answers else { return }
            let text = try InputFiles.text(answers, option: "--answers")
            do {
                let parsed = try Answers.parse(text, file: answers, runbook: runbook)
                context.answers.merge(parsed.values) { _, new in new }
                context.secretFiles.merge(parsed.secretFiles) { _, new in new }
            } catch {
                throw ValidationError(error.description)
            }
        }

        func readFlags(into context: inout ResolutionContext, runbook: Runbook) throws {
            do {
                let given = try RunbookArguments.parse(assignments: assignments, words: Array(inputFlags), for: runbook)
                context.flags.merge(given.values) { _, new in new }
                context.secretFiles.merge(given.secretFiles) { _, new in new }
            } catch {
                throw ValidationError(error.localizedDescription)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a migration's steps, their state and outputs (default: the newest).")

        @Argument(help: "The migration id.") var id: String?
        @Option(help: ArgumentHelp("Where state files live.", valueName: "dir")) var stateDir = "migration-out/state"
        @OptionGroup var output: OutputOptions

        func run() async throws { try await exitingTwoOnUsageFaults(runChecked) }

        func runChecked() async throws {
            let directory = StateDirectory(path: stateDir)
            guard
                let state = try id.map({ try directory.load($0) })
                    ?? directory.all().max(by: { $0.updatedAt < $1.updatedAt })
            else {
                throw ValidationError("no migrations under \(stateDir)")
            }
            if output.json { return try output.printJSON(state) }
            let book = try? Runbook.named(state.runbook, path: state.runbookPath, actions: Actions.specs)
            let order = book?.steps.map(\.id) ?? state.steps.keys.sorted()
            print("\(state.id): \(state.runbook), \(state.summary(order: order)), updated \(state.updatedAt)")
            for id in order {
                let record = state.steps[id]
                var line = "  \(id): \(record?.status.rawValue ?? "pending")"
                if let outputs = record?.outputs, !outputs.isEmpty {
                    line +=
                        " ("
                        + outputs.sorted(by: { $0.key < $1.key }).map { "\($0.key) \($0.value)" }.joined(
                            separator: ", ") + ")"
                }
                if let error = record?.error { line += ": \(error)" }
                print(line)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the migrations with their runbook and progress.")

        @Option(help: ArgumentHelp("Where state files live.", valueName: "dir")) var stateDir = "migration-out/state"
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let states = StateDirectory(path: stateDir).all()
            struct Entry: Codable {
                var id: String
                var runbook: String
                var progress: String
                var updatedAt: String
            }
            let entries = states.map { state in
                let book = try? Runbook.named(state.runbook, path: state.runbookPath, actions: Actions.specs)
                let order = book?.steps.map(\.id) ?? state.steps.keys.sorted()
                return Entry(
                    id: state.id, runbook: state.runbook, progress: state.summary(order: order),
                    updatedAt: state.updatedAt)
            }
            if output.json { return try output.printJSON(entries) }
            print(
                TextTable.render(
                    headers: ["id", "runbook", "progress", "updated"],
                    rows: entries.map { [$0.id, $0.runbook, $0.progress, $0.updatedAt] }), terminator: "")
        }
    }
}

/// Usage faults of `migrate` exit 2, as the README promises (the argument parser's own would be 64).
func exitingTwoOnUsageFaults(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ValidationError {
        Console.error("Error: \(error.message)\n")
        throw ExitCode(2)
    }
}
