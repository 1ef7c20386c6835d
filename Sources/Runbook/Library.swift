import Foundation

extension Runbook {
    /// A shipped runbook by name, or a file when `path` is given.
    public static func named(_ name: String?, path: String?) throws(RunbookError) -> Runbook {
        if let path {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw RunbookError(file: path, line: nil, "cannot read the runbook file: check the path")
            }
            return try load(yaml: text, file: path)
        }
        guard let name, let text = EmbeddedRunbooks.yaml[name] else {
            throw RunbookError(
                file: name ?? "(none)", line: nil,
                "no such runbook: choose one of \(EmbeddedRunbooks.yaml.keys.sorted().joined(separator: ", ")), "
                    + "or give --runbook-file PATH"
            )
        }
        return try load(yaml: text, file: "runbooks/\(name).yaml")
    }

    /// `migrate --explain`: the runbook as a short guide. Pure.
    public var guide: String {
        var text = "\(name): \(summary)\n\nSteps:\n"
        for (index, step) in steps.enumerated() {
            let changes = step.changes ? " (changes things: asks first, or --yes)" : ""
            let when = step.when.map { " (only when \($0) is given)" } ?? ""
            text += "\n\(index + 1). \(step.title)\(changes)\(when)\n"
            text += "   \(step.why)\n"
        }
        text += "\nInputs (--NAME VALUE, --set NAME=VALUE, an --answers file, the environment variable, or a prompt):\n"
        for input in inputs where !input.help.isEmpty {
            var line = "  --\(input.flag)\(input.isSecret ? "-file PATH" : "")"
            line += "  \(input.help)"
            if input.kind == .choice { line += " (\(input.choices.joined(separator: ", ")))" }
            if let value = input.defaultValue { line += " [default: \(value)]" }
            if let variable = input.environment { line += " [env: \(variable)]" }
            if input.isSecret { line += " [secret: never stored; from a file, the environment or a prompt]" }
            text += line + "\n"
        }
        return text
    }
}
