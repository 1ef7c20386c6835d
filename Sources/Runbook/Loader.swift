import Foundation
import Yams

extension Runbook {
    /// Parses and checks a runbook. Every fault is a `RunbookError` naming `file` and the line:
    /// unknown keys, actions and inputs, an output used before a step gives it, a cycle among
    /// defaults, a duplicate id or name. `actions`: the built-in actions steps are checked against
    /// (RunbookActions' `Actions.specs`); nil checks the rest only (the fuzzers, which cannot link the actions).
    public static func load(yaml: String, file: String, actions: [String: ActionSpec]?) throws(RunbookError)
        -> Runbook
    {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw RunbookError(file: file, line: 1, "the file is empty")
            }
            root = node
        } catch let error as RunbookError {
            throw error
        } catch let error as YamlError {
            throw RunbookError(file: file, line: Self.line(of: error), "not valid YAML: \(Self.problem(of: error))")
        } catch {
            throw RunbookError(file: file, line: nil, "not valid YAML: \(error)")
        }
        let reader = NodeReader(file: file)
        let top = try reader.mapping(root, what: "a runbook", keys: ["name", "summary", "extends", "inputs", "steps"])
        var runbook = Runbook(
            name: try reader.string(top, "name", required: true)!,
            summary: try reader.string(top, "summary", required: true)!,
            inputs: [], steps: [], file: file)
        // `extends: NAME` starts from a shipped runbook; inputs and steps given here replace the
        // base's of the same name or id, or are added after them.
        if let base = try reader.string(top, "extends") {
            guard let text = EmbeddedRunbooks.yaml[base], base != runbook.name else {
                throw RunbookError(
                    file: file, line: top["extends"]?.mark?.line,
                    "'extends' names '\(base)', which is not another shipped runbook")
            }
            let parent = try load(yaml: text, file: "runbooks/\(base).yaml", actions: actions)
            runbook.inputs = parent.inputs
            runbook.steps = parent.steps
        } else if top["steps"] == nil {
            throw RunbookError(file: file, line: root.mark?.line, "'steps' is required")
        }
        var ownInputs: [String: Int] = [:]
        for node in try reader.sequence(top["inputs"], what: "inputs") {
            let input = try reader.input(node)
            if let first = ownInputs[input.name] {
                throw RunbookError(
                    file: file, line: input.line, "input '\(input.name)' is declared twice (first on line \(first))")
            }
            ownInputs[input.name] = input.line
            runbook.inputs.replaceOrAppend(input, matching: \.name)
        }
        var ownSteps = Set<String>()
        for node in try reader.sequence(top["steps"], what: "steps") {
            let (step, after) = try reader.step(node)
            guard ownSteps.insert(step.id).inserted else {
                throw RunbookError(file: file, line: step.line, "step id '\(step.id)' is used twice")
            }
            if let after {
                runbook.steps.removeAll { $0.id == step.id }
                guard let index = runbook.steps.firstIndex(where: { $0.id == after }) else {
                    throw RunbookError(
                        file: file, line: step.line, "step '\(step.id)': 'after' names unknown step '\(after)'")
                }
                runbook.steps.insert(step, at: index + 1)
            } else {
                runbook.steps.replaceOrAppend(step, matching: \.id)
            }
        }
        try runbook.check(actions: actions)
        for index in runbook.steps.indices {
            runbook.steps[index].effect = actions?[runbook.steps[index].action]?.effect ?? .none
        }
        return runbook
    }

    static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
        default: return nil
        }
    }

    static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        default: return "\(error)"
        }
    }

    /// The checks that need the whole runbook.
    func check(actions: [String: ActionSpec]?) throws(RunbookError) {
        // Names and ids are unique: loading refuses a second one in a file, and merges by them.
        var flags: [String: String] = [:]
        for input in inputs {
            if let other = flags[input.flag] {
                throw RunbookError(
                    file: file, line: input.line,
                    "flag '--\(input.flag)' of input '\(input.name)' is already input '\(other)''s")
            }
            flags[input.flag] = input.name
        }
        var stepIndex: [String: Int] = [:]
        for (index, step) in steps.enumerated() {
            stepIndex[step.id] = index
            for name in step.inputs where input(name) == nil {
                throw RunbookError(
                    file: file, line: step.line, "step '\(step.id)': unknown input '\(name)': declare it under inputs")
            }
            if let when = step.when, input(Self.conditionInput(when)) == nil {
                throw RunbookError(
                    file: file, line: step.line,
                    "step '\(step.id)': 'when' names unknown input '\(Self.conditionInput(when))'")
            }
            guard let actions else { continue }
            guard let action = actions[step.action] else {
                throw RunbookError(
                    file: file, line: step.line,
                    "step '\(step.id)': unknown action '\(step.action)' (known: "
                        + actions.keys.sorted().joined(separator: ", ") + ")"
                )
            }
            for name in step.inputs where !action.accepts.contains(name) {
                throw RunbookError(
                    file: file, line: step.line,
                    "step '\(step.id)': action '\(step.action)' does not take input '\(name)' (it takes "
                        + action.accepts.sorted().joined(separator: ", ") + ")"
                )
            }
            for name in action.required where !step.inputs.contains(name) {
                throw RunbookError(
                    file: file, line: step.line, "step '\(step.id)': action '\(step.action)' needs input '\(name)'")
            }
            for output in step.outputs where !action.outputs.contains(output) {
                throw RunbookError(
                    file: file, line: step.line,
                    "step '\(step.id)': action '\(step.action)' gives no output '\(output)' (it gives "
                        + action.outputs.joined(separator: ", ") + ")"
                )
            }
        }
        // Every reference in a default names something that exists and is there in time.
        for input in inputs {
            for reference in References.parse(input.defaultValue ?? "") {
                switch reference {
                case .migrationID: continue
                case .input(let name):
                    guard self.input(name) != nil else {
                        throw RunbookError(
                            file: file, line: input.line,
                            "input '\(input.name)': its default uses unknown input '\(name)'")
                    }
                    if self.input(name)!.isSecret {
                        throw RunbookError(
                            file: file, line: input.line,
                            "input '\(input.name)': its default may not use secret input '\(name)'")
                    }
                case .output(let stepID, let output):
                    guard let producer = stepIndex[stepID] else {
                        throw RunbookError(
                            file: file, line: input.line,
                            "input '\(input.name)': its default uses output '\(output)' of unknown step '\(stepID)'")
                    }
                    guard steps[producer].outputs.contains(output) else {
                        throw RunbookError(
                            file: file, line: input.line,
                            "input '\(input.name)': step '\(stepID)' does not list output '\(output)'")
                    }
                    for (index, step) in steps.enumerated() where index <= producer && usesInput(step, input.name) {
                        throw RunbookError(
                            file: file, line: input.line,
                            "input '\(input.name)': step '\(step.id)' uses it before step '\(stepID)' gives '\(output)'"
                        )
                    }
                }
            }
        }
        for input in inputs {
            guard let when = input.when else { continue }
            let other = Self.conditionInput(when)
            guard let condition = self.input(other), other != input.name, condition.when == nil else {
                throw RunbookError(
                    file: file, line: input.line,
                    "input '\(input.name)': 'when' must name another input without a 'when' of its own, not '\(other)'")
            }
        }
        try checkCycles()
    }

    /// Whether `step` reads `name`, directly or through another input's default.
    func usesInput(_ step: Step, _ name: String) -> Bool {
        var seen = Set<String>()
        var queue = inputsRead(by: step)
        while let next = queue.popLast() {
            if next == name { return true }
            guard seen.insert(next).inserted, let input = input(next) else { continue }
            for case .input(let other) in References.parse(input.defaultValue ?? "") { queue.append(other) }
        }
        return false
    }

    func checkCycles() throws(RunbookError) {
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ name: String, _ path: [String]) throws(RunbookError) {
            if state[name] == 2 { return }
            if state[name] == 1 {
                let cycle = (path.drop { $0 != name } + [name]).joined(separator: " → ")
                throw RunbookError(
                    file: file, line: input(name)?.line, "the defaults of these inputs form a cycle: \(cycle)")
            }
            state[name] = 1
            for case .input(let other) in References.parse(input(name)?.defaultValue ?? "") {
                try visit(other, path + [name])
            }
            state[name] = 2
        }
        for input in inputs { try visit(input.name, []) }
    }
}

/// `${name}`, `${step.output}` and `${migration.id}` inside a default.
public enum Reference: Equatable, Sendable {
    case input(String)
    case output(step: String, output: String)
    case migrationID
}

public enum References {
    public static func parse(_ text: String) -> [Reference] {
        pieces(text).compactMap { piece in
            if case .reference(let reference) = piece { return reference }
            return nil
        }
    }

    enum Piece: Equatable { case literal(String), reference(Reference) }

    static func pieces(_ text: String) -> [Piece] {
        var pieces: [Piece] = []
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            if start.lowerBound > rest.startIndex { pieces.append(.literal(String(rest[..<start.lowerBound]))) }
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                pieces.append(.literal(String(rest[start.lowerBound...])))
                return pieces
            }
            let name = String(rest[start.upperBound..<end])
            if name == "migration.id" {
                pieces.append(.reference(.migrationID))
            } else if let dot = name.firstIndex(of: ".") {
                pieces.append(
                    .reference(.output(step: String(name[..<dot]), output: String(name[name.index(after: dot)...]))))
            } else {
                pieces.append(.reference(.input(name)))
            }
            rest = rest[rest.index(after: end)...]
        }
        if !rest.isEmpty { pieces.append(.literal(String(rest))) }
        return pieces
    }

    /// Fills the references in; nil when one of them has no value yet.
    public static func expand(_ text: String, lookup: (Reference) -> String?) -> String? {
        var out = ""
        for piece in pieces(text) {
            switch piece {
            case .literal(let literal): out += literal
            case .reference(let reference):
                guard let value = lookup(reference) else { return nil }
                out += value
            }
        }
        return out
    }
}

/// Reads YAML nodes into the model with errors that carry the node's line.
struct NodeReader {
    let file: String

    func fail(_ node: Node?, _ message: String) -> RunbookError {
        RunbookError(file: file, line: node?.mark?.line, message)
    }

    func mapping(_ node: Node, what: String, keys: Set<String>) throws(RunbookError) -> Node.Mapping {
        guard let mapping = node.mapping else { throw fail(node, "\(what) must be a mapping") }
        for (key, _) in mapping {
            guard let name = key.string, keys.contains(name) else {
                throw fail(
                    key,
                    "unknown key '\(key.string ?? "?")' in \(what) (known: \(keys.sorted().joined(separator: ", ")))")
            }
        }
        return mapping
    }

    func sequence(_ node: Node?, what: String) throws(RunbookError) -> [Node] {
        guard let node else { return [] }
        guard let sequence = node.sequence else { throw fail(node, "'\(what)' must be a list") }
        return Array(sequence)
    }

    func string(_ mapping: Node.Mapping, _ key: String, required: Bool = false) throws(RunbookError) -> String? {
        guard let node = mapping[key] else {
            if required { throw RunbookError(file: file, line: mapping.mark?.line, "'\(key)' is required") }
            return nil
        }
        guard let scalar = node.scalar else { throw fail(node, "'\(key)' must be a single value") }
        return scalar.string
    }

    func bool(_ mapping: Node.Mapping, _ key: String) throws(RunbookError) -> Bool {
        guard let text = try string(mapping, key) else { return false }
        switch text.lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default: throw fail(mapping[key], "'\(key)' must be true or false, not '\(text)'")
        }
    }

    func int(_ mapping: Node.Mapping, _ key: String) throws(RunbookError) -> Int? {
        guard let text = try string(mapping, key) else { return nil }
        guard let value = Int(text) else { throw fail(mapping[key], "'\(key)' must be a whole number, not '\(text)'") }
        return value
    }

    func names(_ mapping: Node.Mapping, _ key: String) throws(RunbookError) -> [String] {
        try sequence(mapping[key], what: key).map { (node: Node) throws(RunbookError) -> String in
            guard let text = node.scalar?.string, !text.isEmpty else { throw fail(node, "'\(key)' must list names") }
            return text
        }
    }

    static let namePattern = try! NSRegularExpression(pattern: "^[a-z][a-z0-9-]*$")

    func checkName(_ name: String, _ node: Node?, what: String) throws(RunbookError) {
        guard Self.namePattern.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil else {
            throw fail(node, "\(what) '\(name)' must be lowercase letters, digits and '-', starting with a letter")
        }
    }

    func input(_ node: Node) throws(RunbookError) -> Input {
        let map = try mapping(
            node, what: "an input",
            keys: [
                "name", "type", "help", "default", "choices", "pattern", "min", "max",
                "optional", "flag", "env", "when",
            ])
        let name = try string(map, "name", required: true)!
        try checkName(name, map["name"], what: "input name")
        let typeText = try string(map, "type") ?? "text"
        guard let kind = Input.Kind(rawValue: typeText == "hostport" ? "host:port" : typeText) else {
            throw fail(
                map["type"],
                "input '\(name)': unknown type '\(typeText)' (known: "
                    + Input.Kind.allCases.map(\.rawValue).joined(separator: ", ") + ")"
            )
        }
        let choices = try names(map, "choices")
        if kind == .choice && choices.isEmpty { throw fail(node, "input '\(name)': a choice needs 'choices'") }
        let defaultValue = try string(map, "default")
        if kind == .secret && defaultValue != nil {
            throw fail(map["default"], "input '\(name)': a secret has no default")
        }
        if let pattern = try string(map, "pattern"), (try? NSRegularExpression(pattern: pattern)) == nil {
            throw fail(map["pattern"], "input '\(name)': pattern '\(pattern)' is not a regular expression")
        }
        let flag = try string(map, "flag") ?? name
        try checkName(flag, map["flag"], what: "flag")
        return Input(
            name: name, kind: kind, help: try string(map, "help") ?? "", defaultValue: defaultValue, choices: choices,
            pattern: try string(map, "pattern"), minimum: try int(map, "min"), maximum: try int(map, "max"),
            optional: try bool(map, "optional"), flag: flag, environment: try string(map, "env"),
            when: try string(map, "when"), line: node.mark?.line ?? 0)
    }

    /// A step, and the `after` of a step that an extending runbook inserts after one of its base's.
    func step(_ node: Node) throws(RunbookError) -> (step: Step, after: String?) {
        let map = try mapping(
            node, what: "a step",
            keys: ["id", "title", "why", "action", "inputs", "outputs", "changes", "when", "after"])
        let id = try string(map, "id", required: true)!
        try checkName(id, map["id"], what: "step id")
        let step = Step(
            id: id, title: try string(map, "title", required: true)!, why: try string(map, "why", required: true)!,
            action: try string(map, "action", required: true)!, inputs: try names(map, "inputs"),
            outputs: try names(map, "outputs"), changes: try bool(map, "changes"), when: try string(map, "when"),
            line: node.mark?.line ?? 0)
        return (step, try string(map, "after"))
    }
}

extension Array {
    mutating func replaceOrAppend(_ element: Element, matching key: KeyPath<Element, String>) {
        if let index = firstIndex(where: { $0[keyPath: key] == element[keyPath: key] }) {
            self[index] = element
        } else {
            append(element)
        }
    }
}
