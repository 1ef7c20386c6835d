import Foundation

/// Where an input's value came from, in precedence order.
public enum ValueOrigin: String, Codable, Sendable, Equatable {
    case flag, answers, state, environment, prompt
    case defaultValue = "default"
}

/// A secret's source, kept in the state instead of its value: it is read again on resume.
public struct SecretSource: Codable, Sendable, Equatable {
    /// An absolute path, read again on resume.
    public var file: String?
    /// An environment variable, read again on resume.
    public var environment: String?
    /// Asked at a prompt: asked again on resume.
    public var prompt: Bool?

    public static func file(_ path: String) -> SecretSource {
        SecretSource(file: URL(fileURLWithPath: path).standardizedFileURL.path)
    }
    public static func environment(_ name: String) -> SecretSource { SecretSource(environment: name) }
    public static let prompt = SecretSource(prompt: true)
}

/// What is known when resolving inputs: flags (`--set` or the input's own flag), the answers
/// file, the saved state, the environment, and the outputs of steps that ran.
public struct ResolutionContext: Sendable {
    public var flags: [String: String] = [:]
    public var answers: [String: String] = [:]
    /// Secret inputs given as a file (answers `{file: PATH}` or `--NAME-file PATH`).
    public var secretFiles: [String: String] = [:]
    public var saved: [String: String] = [:]
    public var environment: [String: String] = [:]
    public var outputs: [String: [String: String]] = [:]
    public var migrationID = ""

    public init() {}
}

public enum Resolved: Equatable, Sendable {
    /// A value and where it came from.
    case value(String, ValueOrigin)
    /// Nothing given: ask, offering this default (nil: none).
    case ask(defaultValue: String?)
    /// A default that uses an output not produced yet.
    case waiting
}

extension Runbook {
    /// An input's value by the precedence flag › answers › saved state › environment › (prompt) ›
    /// default. Secrets never come from flags or the state. Pure.
    public func resolve(_ name: String, in context: ResolutionContext) -> Resolved {
        guard let input = input(name) else { return .ask(defaultValue: nil) }
        if !input.isSecret {
            if let value = context.flags[name] { return .value(value, .flag) }
            if let value = context.answers[name] { return .value(value, .answers) }
            if let value = context.saved[name] { return .value(value, .state) }
        }
        if let variable = input.environment, let value = context.environment[variable], !value.isEmpty {
            return .value(value, .environment)
        }
        guard let template = input.defaultValue else { return .ask(defaultValue: nil) }
        var waiting = false
        var fromOutput = false
        let expanded = References.expand(template) { reference in
            switch reference {
            case .migrationID: return context.migrationID
            case .output(let step, let output):
                fromOutput = true
                guard let value = context.outputs[step]?[output] else {
                    waiting = true
                    return nil
                }
                return value
            case .input(let other):
                switch resolve(other, in: context) {
                case .value(let value, _): return value
                case .ask(let value): return value
                case .waiting:
                    waiting = true
                    return nil
                }
            }
        }
        if waiting { return .waiting }
        // What an earlier step produced (the backup just made) is not asked: a person cannot know it better;
        // a flag or the answers file still sets it.
        if fromOutput, let expanded { return .value(expanded, .defaultValue) }
        return .ask(defaultValue: expanded)
    }

    /// The problem with `value` for `input`, or nil when it is acceptable. Pure.
    public static func problem(_ value: String, for input: Input) -> String? {
        let shown = input.isSecret ? "the value" : "'\(value)'"
        if value.isEmpty { return input.optional ? nil : "\(input.name) needs a value" }
        switch input.kind {
        case .text, .secret, .path:
            break
        case .choice:
            if !input.choices.contains(value) {
                return "\(input.name) \(shown) is not one of \(input.choices.joined(separator: ", "))"
            }
        case .bool:
            if parseBool(value) == nil { return "\(input.name) \(shown) is not yes or no (true/false)" }
        case .number:
            guard let number = Int(value) else { return "\(input.name) \(shown) is not a whole number" }
            if let minimum = input.minimum, number < minimum { return "\(input.name) \(shown) is below \(minimum)" }
            if let maximum = input.maximum, number > maximum { return "\(input.name) \(shown) is above \(maximum)" }
        case .duration:
            if !isGoDuration(value) { return "\(input.name) \(shown) is not a duration: write e.g. 720h or 1h30m" }
        case .time:
            if !isRFC3339(value) {
                return "\(input.name) \(shown) is not an RFC 3339 time: write e.g. 2024-08-26T12:24:34Z"
            }
        case .url:
            guard let url = URL(string: value), let scheme = url.scheme,
                ["http", "https"].contains(scheme.lowercased()), url.host != nil
            else {
                return "\(input.name) \(shown) is not an http(s) URL"
            }
        case .hostPort:
            let parts = value.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, !parts[0].isEmpty,
                parts.count == 1 || (Int(parts[1]).map { (1...65535).contains($0) } ?? false)
            else {
                return "\(input.name) \(shown) is not host or host:port (port 1-65535)"
            }
        }
        if let pattern = input.pattern, let regex = try? NSRegularExpression(pattern: "^(?:\(pattern))$"),
            regex.firstMatch(in: value, range: NSRange(value.startIndex..., in: value)) == nil
        {
            return "\(input.name) \(shown) does not match \(pattern)"
        }
        return nil
    }

    public static func parseBool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true", "yes", "y", "1", "on": return true
        case "false", "no", "n", "0", "off": return false
        default: return nil
        }
    }

    /// Go's time.ParseDuration grammar (the operator's maxRetention), without fractions' edge cases.
    static func isGoDuration(_ text: String) -> Bool {
        if text == "0" { return true }
        let regex = try! NSRegularExpression(pattern: "^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    static func isRFC3339(_ text: String) -> Bool {
        let regex = try! NSRegularExpression(
            pattern:
                "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// The inputs a step reads in the order it needs them: the step's `when` input first, and
    /// each input's `when` input before it.
    public func inputsRead(by step: Step) -> [String] {
        var names: [String] = []
        for name in (step.when.map { [Self.conditionInput($0)] } ?? []) + step.inputs {
            if let when = input(name)?.when, !names.contains(Self.conditionInput(when)) {
                names.append(Self.conditionInput(when))
            }
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    /// The input a condition (`NAME` or `NAME=VALUE`) is about.
    public static func conditionInput(_ condition: String) -> String {
        String(condition.split(separator: "=", maxSplits: 1).first ?? "")
    }

    /// Whether a condition holds for `value`, its input's value: `NAME=VALUE` when they are equal,
    /// `NAME` when a bool is true or a text is not empty. Pure.
    public func holds(_ condition: String, value: String) -> Bool {
        let parts = condition.split(separator: "=", maxSplits: 1).map(String.init)
        if parts.count == 2 { return value == parts[1] }
        return input(parts[0]).map { isTruthy(value, input: $0) } ?? false
    }

    /// A condition's state as far as `context` tells (a value or a default); nil when unknown.
    func holds(_ condition: String, in context: ResolutionContext) -> Bool? {
        switch resolve(Self.conditionInput(condition), in: context) {
        case .value(let value, _), .ask(defaultValue: let value?): return holds(condition, value: value)
        default: return nil
        }
    }

    /// The inputs nothing can answer without a prompt: no flag, answer, state, environment or
    /// default, among the inputs of every step that may run. Listed at once when there is no
    /// terminal, so a script learns everything it must add in one go. Pure.
    public func missingInputs(in context: ResolutionContext, skipping done: Set<String> = []) -> [Input] {
        var missing: [Input] = []
        for step in steps where !done.contains(step.id) {
            if let when = step.when, holds(when, in: context) == false { continue }
            for name in inputsRead(by: step) {
                guard let input = input(name), !missing.contains(input) else { continue }
                if let when = input.when, holds(when, in: context) == false { continue }
                if case .ask(nil) = resolve(name, in: context), !input.optional { missing.append(input) }
            }
        }
        return missing
    }

    /// A `when` input's value: a bool that is true, or any non-empty text.
    public func isTruthy(_ value: String, input: Input) -> Bool {
        input.kind == .bool ? (Self.parseBool(value) ?? false) : !value.isEmpty
    }
}
