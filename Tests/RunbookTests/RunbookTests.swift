import Foundation
import Testing

@testable import Runbook
import RunbookActions

let miniRunbook = """
    name: mini
    summary: A small runbook for the tests.
    inputs:
      - {name: source-host, default: 127.0.0.1, env: MARIADB_HOST}
      - {name: source-port, type: number, default: "3306", min: 1, max: 65535}
      - {name: source-password, type: secret, env: MARIADB_PASSWORD}
      - {name: store, type: choice, choices: [directory, s3], default: directory}
      - {name: target-host, optional: true}
      - {name: backup-file, default: "${backup.name}"}
    steps:
      - id: backup
        title: Back up
        why: Because.
        action: backup
        inputs: [source-host, source-port, source-password, store]
        outputs: [name]
        changes: true
      - id: restore
        title: Restore
        why: Because.
        action: restore
        when: target-host
        inputs: [target-host, store, backup-file]
        changes: true
    """

@Suite struct RunbookLoadingTests {
    @Test func loadsAValidRunbook() throws {
        let runbook = try Runbook.load(yaml: miniRunbook, file: "mini.yaml", actions: Actions.specs)
        #expect(runbook.steps.map(\.id) == ["backup", "restore"])
        #expect(runbook.input("source-port")?.kind == .number)
        #expect(runbook.step("restore")?.when == "target-host")
    }

    @Test(arguments: [
        // (what to replace, with what, line, words of the message)
        ("action: restore", "action: teleport", 18, "unknown action 'teleport'"),
        (
            "inputs: [target-host, store, backup-file]", "inputs: [target-host, store, nothing]", 18,
            "unknown input 'nothing'"
        ),
        ("  - id: restore", "  - id: backup", 18, "step id 'backup' is used twice"),
        ("outputs: [name]", "outputs: [size]", 11, "gives no output 'size'"),
        ("default: \"${backup.name}\"", "default: \"${restore.location}\"", 9, "does not list output 'location'"),
        ("outputs: [name]\n", "outputs: [name]\n    when: backup-file\n", 9, "before step 'backup' gives 'name'"),
        (
            "{name: source-host, default: 127.0.0.1, env: MARIADB_HOST}",
            "{name: source-host, default: \"${target-host}\"}", 4, "cycle"
        ),
        (
            "{name: store, type: choice, choices: [directory, s3], default: directory}", "{name: store, type: colour}",
            7, "unknown type 'colour'"
        ),
        ("    title: Restore", "    titel: Restore", 19, "unknown key 'titel'"),
        (
            "{name: target-host, optional: true}", "{name: target-host, optional: true, when: target-host}", 8,
            "'when' must name another input"
        ),
        ("summary: A small runbook for the tests.", "summary: [unclosed", 3, "not valid YAML"),
    ])
    func namesTheFileAndLineOfEachFault(find: String, replace: String, line: Int, message: String) {
        var yaml = miniRunbook.replacingOccurrences(of: find, with: replace)
        if message == "cycle" {
            yaml = yaml.replacingOccurrences(
                of: "{name: target-host, optional: true}", with: "{name: target-host, default: \"${source-host}\"}")
        }
        #expect(yaml != miniRunbook)
        do {
            _ = try Runbook.load(yaml: yaml, file: "mini.yaml", actions: Actions.specs)
            Issue.record("loaded a runbook with a fault: \(message)")
        } catch {
            #expect(error.file == "mini.yaml")
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test func theShippedRunbooksLoadAndTheEmbeddedCopiesMatchTheFiles() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
            .appendingPathComponent("runbooks")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }
            .sorted()
        #expect(
            files.map { String($0.dropLast(5)) }.sorted() == EmbeddedRunbooks.yaml.keys.sorted(),
            "run scripts/embed-runbooks.py"
        )
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            #expect(EmbeddedRunbooks.yaml[String(file.dropLast(5))] == text, "run scripts/embed-runbooks.py")
            let runbook = try Runbook.named(String(file.dropLast(5)), path: nil, actions: Actions.specs)
            #expect(runbook.name == String(file.dropLast(5)))
            #expect(!runbook.guide.isEmpty)
        }
    }
}

@Suite struct GuideTests {
    let runbook = try! Runbook.load(yaml: miniRunbook, file: "mini.yaml", actions: Actions.specs)

    @Test func conditionsAndDefaultsReadAsWords() {
        #expect(runbook.describe("store=s3") == "store is s3")
        #expect(runbook.describe("target-host") == "target-host is given")
        #expect(runbook.describeDefault("${backup.name}") == "the name the backup step gives")
        #expect(runbook.describeDefault("out/${migration.id}") == "out/<migration id>")
        #expect(runbook.describeDefault("${source-host}:3306") == "--source-host's value:3306")
    }

    @Test func theGuideExplainsEachStepWithinAHundredColumns() throws {
        for name in EmbeddedRunbooks.yaml.keys {
            let guide = try Runbook.named(name, path: nil, actions: Actions.specs).guide
            #expect(guide.split(separator: "\n").allSatisfy { $0.count <= 100 }, "\(name)")
            #expect(guide.contains(" 1. Survey the source") && guide.contains("Inputs"))
        }
    }

    @Test func wrappingKeepsEveryWordAndTheIndent() {
        let text = Array(repeating: "word", count: 60).joined(separator: " ")
        let lines = Runbook.wrap(text, indent: "  ", width: 30).split(separator: "\n")
        #expect(lines.allSatisfy { $0.hasPrefix("  word") && $0.count <= 30 })
        #expect(lines.joined(separator: " ").split(separator: " ").count == 60)
    }
}

@Suite struct RunbookExtensionTests {
    @Test func anExtendingRunbookReplacesByNameInsertsAfterAStepAndAppendsTheRest() throws {
        let base = try Runbook.named("external-to-operator", path: nil, actions: Actions.specs)
        let galera = try Runbook.named("standalone-to-galera", path: nil, actions: Actions.specs)
        var ids = base.steps.map(\.id)
        ids.insert("preflight", at: 1)
        #expect(galera.steps.map(\.id) == ids)
        #expect(galera.step("verify")?.inputs.contains("other-nodes") == true)
        #expect(galera.step("backup") == base.step("backup"))
        #expect(galera.inputs.map(\.name) == base.inputs.map(\.name) + ["topology", "other-nodes"])
        #expect(galera.input("galera")?.defaultValue == "yes" && galera.input("replicas")?.defaultValue == "3")
        #expect(galera.input("source-host") == base.input("source-host"))
    }

    @Test func insertingAfterAStepTheBaseLacksNamesTheLine() {
        let yaml =
            "name: x\nsummary: y\nextends: backup-restore\nsteps:\n  - id: extra\n    after: nowhere\n"
            + "    title: t\n    why: w\n    action: survey\n"
        #expect(throws: RunbookError(file: "x.yaml", line: 5, "step 'extra': 'after' names unknown step 'nowhere'")) {
            try Runbook.load(yaml: yaml, file: "x.yaml", actions: Actions.specs)
        }
    }

    @Test func extendingAnUnknownRunbookNamesTheLine() {
        #expect(
            throws: RunbookError(
                file: "x.yaml", line: 3, "'extends' names 'nothing', which is not another shipped runbook")
        ) {
            try Runbook.load(yaml: "name: x\nsummary: y\nextends: nothing\n", file: "x.yaml", actions: Actions.specs)
        }
    }
}

@Suite struct InputResolutionTests {
    let runbook = try! Runbook.load(yaml: miniRunbook, file: "mini.yaml", actions: Actions.specs)

    @Test func precedenceIsFlagThenAnswersThenStateThenEnvironmentThenDefault() {
        var context = ResolutionContext()
        #expect(runbook.resolve("source-host", in: context) == .ask(defaultValue: "127.0.0.1"))
        context.environment["MARIADB_HOST"] = "env-host"
        #expect(runbook.resolve("source-host", in: context) == .value("env-host", .environment))
        context.saved["source-host"] = "saved-host"
        #expect(runbook.resolve("source-host", in: context) == .value("saved-host", .state))
        context.answers["source-host"] = "answer-host"
        #expect(runbook.resolve("source-host", in: context) == .value("answer-host", .answers))
        context.flags["source-host"] = "flag-host"
        #expect(runbook.resolve("source-host", in: context) == .value("flag-host", .flag))
    }

    @Test func aSecretNeverComesFromFlagsAnswersOrState() {
        var context = ResolutionContext()
        context.flags["source-password"] = "x"
        context.answers["source-password"] = "x"
        context.saved["source-password"] = "x"
        #expect(runbook.resolve("source-password", in: context) == .ask(defaultValue: nil))
        context.environment["MARIADB_PASSWORD"] = "from-env"
        #expect(runbook.resolve("source-password", in: context) == .value("from-env", .environment))
    }

    /// Taken, not asked: a person cannot know the backup just made better than the step that made it.
    @Test func anOutputFeedsALaterInputOnceTheStepGaveIt() {
        var context = ResolutionContext()
        #expect(runbook.resolve("backup-file", in: context) == .waiting)
        context.outputs["backup"] = ["name": "backup.2024-08-26T12:24:34Z.sql.gz"]
        #expect(
            runbook.resolve("backup-file", in: context) == .value("backup.2024-08-26T12:24:34Z.sql.gz", .defaultValue))
        context.flags["backup-file"] = "backup.2024-08-25T00:00:00Z.sql.gz"
        #expect(runbook.resolve("backup-file", in: context) == .value("backup.2024-08-25T00:00:00Z.sql.gz", .flag))
    }

    /// Every input of every shipped runbook is asked in words (its help), never by its raw name.
    @Test(arguments: EmbeddedRunbooks.yaml.keys.sorted())
    func everyShippedInputHasAHelpText(name: String) throws {
        let runbook = try Runbook.named(name, path: nil, actions: Actions.specs)
        for input in runbook.inputs { #expect(!input.help.isEmpty, "\(name): \(input.name)") }
    }

    @Test func everyMissingInputIsListedAtOnce() {
        var context = ResolutionContext()
        #expect(runbook.missingInputs(in: context).map(\.name) == ["source-password"])
        context.environment["MARIADB_PASSWORD"] = "pw"
        #expect(runbook.missingInputs(in: context).isEmpty)
    }

    @Test func anInputWhoseConditionDoesNotHoldIsNeitherAskedNorMissing() throws {
        let yaml = miniRunbook.replacingOccurrences(
            of: "  - {name: target-host, optional: true}",
            with: "  - {name: target-host, optional: true}\n  - {name: s3-bucket, when: store=s3}"
        )
        .replacingOccurrences(
            of: "inputs: [source-host, source-port, source-password, store]",
            with: "inputs: [source-host, source-port, source-password, s3-bucket, store]")
        let runbook = try Runbook.load(yaml: yaml, file: "mini.yaml", actions: Actions.specs)
        #expect(
            runbook.inputsRead(by: runbook.step("backup")!).prefix(4) == [
                "source-host", "source-port", "source-password", "store",
            ])
        var context = ResolutionContext()
        context.environment["MARIADB_PASSWORD"] = "pw"
        #expect(runbook.missingInputs(in: context).isEmpty)
        context.flags["store"] = "s3"
        #expect(runbook.missingInputs(in: context).map(\.name) == ["s3-bucket"])
        #expect(runbook.holds("store=s3", value: "s3") && !runbook.holds("store=s3", value: "directory"))
        #expect(runbook.holds("target-host", value: "db") && !runbook.holds("target-host", value: ""))
    }

    @Test(arguments: [
        ("source-port", "3306", true), ("source-port", "0", false), ("source-port", "70000", false),
        ("source-port", "33o6", false),
        ("store", "s3", true), ("store", "tape", false), ("target-host", "", true), ("source-host", "", false),
    ])
    func valuesAreCheckedByType(name: String, value: String, ok: Bool) {
        #expect((Runbook.problem(value, for: runbook.input(name)!) == nil) == ok)
    }

    @Test(arguments: [
        (Input.Kind.duration, "720h", true), (.duration, "1h30m", true), (.duration, "a week", false),
        (.time, "2024-08-26T12:24:34Z", true), (.time, "2024-08-26 12:24", false),
        (.url, "https://s3.example.com", true), (.url, "s3.example.com", false),
        (.hostPort, "db:3306", true), (.hostPort, "db:0", false), (.bool, "yes", true), (.bool, "maybe", false),
    ])
    func eachTypeHasItsRule(kind: Input.Kind, value: String, ok: Bool) {
        let input = Input(
            name: "x", kind: kind, help: "", defaultValue: nil, choices: [], pattern: nil, minimum: nil, maximum: nil,
            optional: false, flag: "x", environment: nil, line: 1)
        #expect((Runbook.problem(value, for: input) == nil) == ok)
    }
}

@Suite struct ResumeTests {
    let runbook = try! Runbook.load(yaml: miniRunbook, file: "mini.yaml", actions: Actions.specs)

    func record(_ status: MigrationState.Status, _ inputs: [String: String]) -> MigrationState.StepRecord {
        var record = MigrationState.StepRecord(status: status, inputs: inputs, startedAt: "2026-11-25T00:00:00Z")
        record.outputs = ["name": "backup.2026-11-25T00:00:00Z.sql.gz"]
        return record
    }

    @Test func aFailureAtStepKResumesAtStepKAndRedoesNothingBeforeIt() {
        let inputs = ["source-host": "db"]
        let backup = runbook.step("backup")!
        let restore = runbook.step("restore")!
        #expect(ResumeRule.decide(step: backup, record: record(.done, inputs), inputs: inputs, redo: []) == .reuse)
        #expect(ResumeRule.decide(step: restore, record: record(.failed, inputs), inputs: inputs, redo: []) == .run)
        #expect(
            ResumeRule.decide(step: restore, record: record(.interrupted, inputs), inputs: inputs, redo: []) == .run)
        #expect(ResumeRule.decide(step: restore, record: nil, inputs: inputs, redo: []) == .run)
    }

    @Test func aDoneStepRunsAgainWhenItsInputsChangedOrItIsRedone() {
        let backup = runbook.step("backup")!
        #expect(
            ResumeRule.decide(
                step: backup, record: record(.done, ["source-host": "db"]), inputs: ["source-host": "db2"], redo: [])
                == .run)
        #expect(
            ResumeRule.decide(
                step: backup, record: record(.done, ["source-host": "db"]), inputs: ["source-host": "db"],
                redo: ["backup"]) == .run)
    }

    @Test func theStateKeepsOutputsOfFinishedStepsOnlyAndSavesWithMode0600() throws {
        var state = MigrationState(id: "mini-1", runbook: "mini", runbookPath: nil, now: "2026-11-25T00:00:00Z")
        state.steps["backup"] = record(.done, [:])
        state.steps["restore"] = record(.failed, [:])
        #expect(state.outputs.keys.sorted() == ["backup"])
        #expect(state.summary(order: ["backup", "restore"]) == "failed at restore")
        let directory = StateDirectory(path: NSTemporaryDirectory() + "mm-state-\(UInt32.random(in: 0...UInt32.max))")
        try directory.save(state)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.file("mini-1"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try directory.load("mini-1") == state)
    }
}
