import ArgumentParser
import Dump
import Foundation
import MariaDBClient
import ObjectStore
import Replication
import Runbook
import RunbookActions
import Testing

@testable import MigrateCommands

/// Issue #28: the command each step of each shipped runbook says it "runs" is one the CLI parses. Every step
/// is previewed with every input given (a sample value per type, each choice of the store and the route) and
/// the preview is handed to the CLI's own parser.
@Suite struct CommandPreviewParseTests {
    /// A value for each input as a user gives them: its default when it names no other value, a sample of its
    /// type for one without a default that must be given, nothing for an optional one (the store's bucket and
    /// the backup file excepted).
    static func values(_ runbook: Runbook, store: String, route: String, optional: Bool = false) -> StepValues {
        var values: [String: String] = [:]
        var secrets: [String: String] = [:]
        for input in runbook.inputs {
            if input.isSecret {
                secrets[input.name] = "s3cret"
                continue
            }
            var sample: String
            switch input.kind {
            case .choice: sample = input.choices.first ?? "x"
            case .bool: sample = "yes"
            case .number: sample = String(max(input.minimum ?? 1, 1))
            case .path: sample = "/tmp/mm-preview/\(input.name)"
            case .duration: sample = "720h"
            case .time: sample = "2024-08-26T12:24:34Z"
            case .url: sample = "https://example.com"
            case .hostPort: sample = "db.example.com:3306"
            case .text, .secret: sample = "sample-\(input.name)"
            }
            // Inputs whose pattern a sample must match.
            let patterned = ["fixes": DumpFix.allCases.map(\.rawValue).joined(separator: ","), "definer": "app@%"]
            if let value = patterned[input.name] { sample = value }
            let fallback = input.defaultValue.flatMap { $0.contains("${") || $0.isEmpty ? nil : $0 }
            values[input.name] = fallback ?? (input.optional && !optional ? "" : sample)
        }
        values["store"] = store
        if store == "s3" {
            values["s3-bucket"] = "backups"
            values["s3-endpoint"] = "minio.example.com:9000"
        }
        // Each optional step runs: the input its condition names is given.
        for step in runbook.steps {
            guard let when = step.when else { continue }
            let name = String(when.prefix { $0 != "=" && $0 != "!" })
            if values[name]?.isEmpty ?? true { values[name] = "/tmp/mm-preview/\(name)" }
        }
        if runbook.input("route") != nil { values["route"] = route }
        values["backup-file"] =
            route == "physical" ? "physicalbackup-20240826122434.xb.gz" : "backup.2024-08-26T12:24:34Z.sql.gz"
        values["databases"] = "shop,crm"
        return StepValues(values: values, secrets: secrets)
    }

    /// The words of a previewed command as a shell would split them (single quotes, `'\''`).
    static func words(_ command: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var started = false
        for character in command {
            if character == "'" {
                quoted.toggle()
                started = true
            } else if character == " " && !quoted {
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(character)
                started = true
            }
        }
        if started { words.append(current) }
        return words
    }

    static let cases: [(String, String, String, Bool)] = EmbeddedRunbooks.yaml.keys.sorted().flatMap { name in
        ["directory", "s3"].flatMap { store in
            ["logical", "physical"].flatMap { route in [false, true].map { (name, store, route, $0) } }
        }
    }

    @Test(arguments: cases)
    func everyPreviewedCommandParses(runbook name: String, store: String, route: String, optional: Bool) throws {
        let runbook = try Runbook.named(name, path: nil, actions: Actions.specs)
        let values = Self.values(runbook, store: store, route: route, optional: optional)
        for step in runbook.steps {
            let preview = CommandPreview.render(step, values)
            // apply-accounts pipes into the client: the part before the pipe is ours.
            var arguments = Self.words(String(preview.split(separator: "|").first ?? ""))
            #expect(arguments.first == "mariadb-migrate", "\(preview)")
            arguments.removeFirst()
            let context = "\(name) \(step.id) (\(store), \(route)\(optional ? ", optional inputs" : "")): \(preview)"
            let parsed = try #require(try MariaDBMigrate.parseAsRoot(arguments), "\(context)")
            // The command builds the request the step would run.
            let stepValues = Actions.descriptors[step.action]!.normalize(Self.stepValues(step, values))
            switch step.action {
            case "backup":
                let command = try #require(parsed as? MariaDBMigrate.Backup, "\(context)")
                #expect(command.job == (try Actions.backupJob(stepValues)), "\(context)")
            case "preflight":
                let command = try #require(parsed as? MariaDBMigrate.PreflightCommand, "\(context)")
                #expect(command.job == (try Actions.preflightJob(stepValues)), "\(context)")
            case "verify":
                let command = try #require(parsed as? MariaDBMigrate.Verify, "\(context)")
                #expect(command.job == Actions.verifyJob(stepValues), "\(context)")
            case "verify-live":
                let command = try #require(parsed as? MariaDBMigrate.Verify, "\(context)")
                #expect(
                    try command.liveOptions.job(databases: command.databases) == Actions.verifyLiveJob(stepValues),
                    "\(context)")
            case "accounts", "apply-accounts":
                let command = try #require(parsed as? MariaDBMigrate.Users, "\(context)")
                #expect(command.job == Actions.accountsJob(stepValues), "\(context)")
            case "manifests":
                let command = try #require(parsed as? MariaDBMigrate.Manifests.Generate, "\(context)")
                #expect(command.inputs == Actions.manifestInputs(stepValues), "\(context)")
            case "restore":
                let command = try #require(parsed as? MariaDBMigrate.Restore, "\(context)")
                let settings = ConnectionSettings(transport: .tcp(host: "db.example.com", port: 3306), user: "root")
                #expect(
                    command.request(connection: settings) == Actions.restoreRequest(stepValues, connection: settings),
                    "\(context)")
            case "physical-restore":
                let command = try #require(parsed as? MariaDBMigrate.Restore, "\(context)")
                #expect(command.physicalRequest == Actions.physicalRestoreRequest(stepValues), "\(context)")
            case "replicate":
                let command = try #require(parsed as? MariaDBMigrate.Replicate, "\(context)")
                #expect(command.request == Actions.replicateRequest(stepValues), "\(context)")
            case "cutover", "revert", "finish-way-back":
                let command = try #require(parsed as? MariaDBMigrate.Cutover, "\(context)")
                #expect(command.request == (try Actions.cutoverRequest(stepValues, action: step.action)), "\(context)")
            case "survey":
                #expect(parsed is MariaDBMigrate.Inspect, "\(context)")
            case "store-check":
                #expect(parsed is MariaDBMigrate.Storage.Check, "\(context)")
            default:
                Issue.record("no request comparison for action '\(step.action)': add one (\(context))")
            }
            // The servers and the store it reaches are the step's.
            let descriptor = try #require(Actions.descriptors[step.action])
            let ownConnection = descriptor.inputs["target-host"] == .option("--host") ? "target" : "source"
            let reached = Self.reached(by: parsed)
            if let request = reached.connection {
                #expect(Self.endpoint(request) == Self.endpoint(stepValues.connection(ownConnection)), "\(context)")
            }
            if let request = reached.target {
                #expect(Self.endpoint(request) == Self.endpoint(stepValues.connection("target")), "\(context)")
            }
            if let settings = reached.store {
                #expect(Self.withoutSecrets(settings) == Self.withoutSecrets(stepValues.store), "\(context)")
            }
        }
    }

    /// The connection, target connection and store option groups of a parsed command.
    static func reached(
        by command: any ParsableCommand
    ) -> (connection: ConnectionRequest?, target: ConnectionRequest?, store: StoreSettings?) {
        var found: (connection: ConnectionRequest?, target: ConnectionRequest?, store: StoreSettings?)
        for child in Mirror(reflecting: command).children {
            if let group = child.value as? OptionGroup<ConnectionOptions> {
                found.connection = group.wrappedValue.request
            }
            if let group = child.value as? OptionGroup<TargetConnectionOptions> {
                found.target = group.wrappedValue.request
            }
            if let group = child.value as? OptionGroup<StorageOptions> {
                found.store = group.wrappedValue.settings
            }
        }
        return found
    }

    /// Where a connection goes and as whom (its password is read another way on each side).
    static func endpoint(_ request: ConnectionRequest) -> [String?] {
        [request.host, request.port.map(String.init), request.socket, request.user, request.defaultsFile]
    }

    /// A command reads the S3 secret key from a file, a step holds it in memory.
    static func withoutSecrets(_ settings: StoreSettings) -> StoreSettings {
        var copy = settings
        copy.s3SecretAccessKey = nil
        copy.s3SecretAccessKeyFile = nil
        return copy
    }

    /// What the runner hands a step: the values of its own inputs.
    static func stepValues(_ step: Step, _ values: StepValues) -> StepValues {
        StepValues(
            values: values.values.filter { step.inputs.contains($0.key) },
            secrets: values.secrets.filter { step.inputs.contains($0.key) })
    }

    /// Every action the shipped runbooks name has a descriptor, and each descriptor's catalog entry is made of it.
    @Test func everyActionDispatchesAndItsCatalogEntryIsItsDescriptors() throws {
        for name in EmbeddedRunbooks.yaml.keys {
            for step in try Runbook.named(name, path: nil, actions: Actions.specs).steps {
                let descriptor = try #require(Actions.descriptors[step.action], "\(name) \(step.id)")
                #expect(Set(step.inputs).isSubset(of: descriptor.inputs.keys), "\(name) \(step.id)")
            }
        }
        #expect(Set(Actions.specs.keys) == Set(Actions.table.map(\.name)))
        #expect(Actions.table.count == Actions.descriptors.count, "an action is listed twice")
        for descriptor in Actions.table {
            #expect(Actions.specs[descriptor.name]?.accepts == Set(descriptor.inputs.keys))
            #expect(descriptor.required.isSubset(of: descriptor.inputs.keys), "\(descriptor.name)")
        }
    }

    /// The live runbook shows the cutover's own defaults.
    @Test func theRunbookDefaultsAreTheCutoversOwn() throws {
        let runbook = try Runbook.named("external-to-operator-live", path: nil, actions: Actions.specs)
        let job = CutoverJob()
        #expect(runbook.input("max-lag")?.defaultValue == String(job.maxLag))
        #expect(runbook.input("cutover-timeout")?.defaultValue == String(Int(job.timeout)))
        // The cutover keeps a way back when the new MariaDB keeps the binlog it needs, which it does by default.
        #expect(runbook.input("reversible")?.defaultValue == "${binlog}")
        #expect(runbook.input("binlog")?.defaultValue == "yes")
    }

    /// Each choice of after-cutover but keep is the condition of one step, and each such step is a way-back action.
    @Test func theAfterCutoverChoicesAreTheWayBackSteps() throws {
        let runbook = try Runbook.named("external-to-operator-live", path: nil, actions: Actions.specs)
        let choices = try #require(runbook.input("after-cutover")).choices
        let steps = runbook.steps.filter { $0.when?.hasPrefix("after-cutover=") == true }
        #expect(["keep"] + steps.map { String($0.when!.dropFirst("after-cutover=".count)) } == choices)
        #expect(steps.map(\.action) == ["revert", "finish-way-back"])
        let none = StepValues(values: [:], secrets: [:])
        for step in steps {
            #expect(
                (try Actions.cutoverRequest(none, action: step.action)).direction.rawValue
                    == ["revert": "revert", "finish-way-back": "finish"][step.action])
        }
    }

    /// The runbooks' `fixes` input names the fixes `DumpFix` has, no more, no fewer (YAML cannot derive them).
    @Test func theFixesInputNamesEveryFixAndNoOther() throws {
        let runbook = try Runbook.named("external-to-operator", path: nil, actions: Actions.specs)
        let input = try #require(runbook.input("fixes"))
        let names = DumpFix.allCases.map(\.rawValue)
        let alternatives = "(" + names.joined(separator: "|") + ")"
        #expect(input.pattern == "\(alternatives)(,\(alternatives))*")
        for name in names { #expect(input.help.contains("\(name) ("), "\(name) is not in the input's help") }
        #expect(Runbook.problem(names.joined(separator: ","), for: input) == nil)
        #expect(Runbook.problem("innodb,pk", for: input) != nil)
    }

    /// What only the quiet comparison reads is refused with --live, naming the flag; --live alone parses.
    @Test(arguments: [
        (["--fix", "innodb"], "--fix"), (["--account", "app%"], "--account"), (["--no-accounts"], "--accounts"),
        (["--tool-account", "x"], "--tool-account"), (["--no-history"], "--no-history"),
        (["--history-left-out", "d.t"], "--history-left-out"), (["--drop-restore-progress"], "--drop-restore-progress"),
        ([], nil),
    ] as [([String], String?)])
    func liveRefusesTheQuietComparisonsFlags(_ extra: [String], refused: String?) throws {
        let arguments = ["verify", "--live", "--target-host", "db.invalid"] + extra
        if let refused {
            #expect {
                _ = try MariaDBMigrate.parseAsRoot(arguments)
            } throws: { error in
                MariaDBMigrate.message(for: error).contains(refused)
            }
        } else {
            _ = try MariaDBMigrate.parseAsRoot(arguments)
        }
    }
}
