import Foundation

extension Runbook {
    /// A shipped runbook by name, or a file when `path` is given, its steps checked against `actions`.
    public static func named(_ name: String?, path: String?, actions: [String: ActionSpec]?) throws(RunbookError)
        -> Runbook
    {
        if let path {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw RunbookError(file: path, line: nil, "cannot read the runbook file: check the path")
            }
            return try load(yaml: text, file: path, actions: actions)
        }
        guard let name, let text = EmbeddedRunbooks.yaml[name] else {
            throw RunbookError(
                file: name ?? "(none)", line: nil,
                "no such runbook: choose one of \(EmbeddedRunbooks.yaml.keys.sorted().joined(separator: ", ")), "
                    + "or give --runbook-file PATH"
            )
        }
        return try load(yaml: text, file: "runbooks/\(name).yaml", actions: actions)
    }

    /// `migrate --explain`: the runbook as a short guide. Pure.
    public var guide: String {
        var text = "\(name)\n\(Self.wrap(summary, indent: "  "))\n\nSteps:\n"
        for (index, step) in steps.enumerated() {
            var notes: [String] = []
            if let when = step.when { notes.append("Only when \(describe(when)).") }
            if step.changes && step.effect == .store {
                notes.append("With an S3 store it writes there: asks first, unless --yes.")
            } else if step.changes {
                notes.append("It changes things outside this machine: asks first, unless --yes.")
            }
            text += "\n\(String(repeating: " ", count: index < 9 ? 1 : 0))\(index + 1). \(step.title)\n"
            text += Self.wrap(([step.why] + notes).joined(separator: " "), indent: "    ") + "\n"
        }
        text += "\nInputs\n" + Self.wrap(
            "Each comes from --NAME VALUE or --set NAME=VALUE, then an --answers file, then its environment "
                + "variable, then a prompt on a terminal, then its default.", indent: "  ") + "\n\n"
        for input in inputs where !input.help.isEmpty {
            var about = [input.help.hasSuffix(".") ? input.help : input.help + "."]
            if input.kind == .choice { about.append("One of \(input.choices.joined(separator: ", ")).") }
            if let value = input.defaultValue { about.append("Default: \(describeDefault(value)).") }
            if let when = input.when { about.append("Only when \(describe(when)).") }
            if input.isSecret {
                let from = input.environment.map { "\($0), " } ?? ""
                about.append("Secret: never stored; from the file, \(from)or a hidden prompt.")
            } else if let variable = input.environment {
                about.append("Environment: \(variable).")
            }
            text += "  --\(input.flag)\(input.isSecret ? "-file PATH" : " VALUE")\n"
            text += Self.wrap(about.joined(separator: " "), indent: "      ") + "\n"
        }
        return text
    }

    /// A default in words: `${s3-endpoint}` is "--s3-endpoint's value", `${backup.name}` is "the name
    /// the backup step gives". Pure.
    public func describeDefault(_ template: String) -> String {
        References.pieces(template).map { piece in
            switch piece {
            case .literal(let text): return text
            case .reference(.input(let name)): return "--\(input(name)?.flag ?? name)'s value"
            case .reference(.output(let step, let output)): return "the \(output) the \(step) step gives"
            case .reference(.migrationID): return "<migration id>"
            }
        }.joined()
    }

    /// "store is s3", "target-host is given": a condition in words. Pure.
    public func describe(_ condition: String) -> String {
        let parts = condition.split(separator: "=", maxSplits: 1).map(String.init)
        if parts.count == 2 { return "\(parts[0]) is \(parts[1])" }
        return input(parts[0])?.kind == .bool ? "\(parts[0]) is yes" : "\(parts[0]) is given"
    }

    /// Words of `text` on lines of at most `width` columns, each starting with `indent`. Pure.
    public static func wrap(_ text: String, indent: String, width: Int = 100) -> String {
        var lines: [String] = []
        var line = indent
        for word in text.split(whereSeparator: \.isWhitespace) {
            if line.count + word.count + 1 > width && line != indent {
                lines.append(line)
                line = indent
            }
            line += (line == indent ? "" : " ") + word
        }
        if line != indent { lines.append(line) }
        return lines.joined(separator: "\n")
    }
}
