import Runbook

/// The `mariadb-migrate` command a step amounts to, for the plan and the wizard's "runs:" line, from the step's
/// action descriptor. Secrets show as `<secret>`; nothing here runs. Pure.
public enum CommandPreview {
    public static func render(_ step: Step, _ values: StepValues) -> String {
        // The pipe and the secret placeholder are the preview's own words, shown as they are.
        words(step, values).map { $0 == "|" || $0 == "<secret>" ? $0 : quote($0) }.joined(separator: " ")
    }

    /// The command's words, unquoted.
    public static func words(_ step: Step, _ given: StepValues) -> [String] {
        guard let descriptor = Actions.descriptors[step.action] else { return ["mariadb-migrate", step.action] }
        var values = descriptor.normalize(given)
        // The store choice shows as which of its flags are given.
        let usesS3 = values.values["store"] == "s3"
        values = values.without(
            usesS3 ? ["storage-dir"] : descriptor.inputs.keys.filter { $0.hasPrefix("s3-") })
        var words = ["mariadb-migrate"] + descriptor.command
        // The step's inputs, and what normalizing put under another name (the cluster's S3 endpoint).
        let moved = values.values.keys.filter { values.values[$0] != given.values[$0] }
        for name in Set(step.inputs).union(moved).sorted() {
            guard let flag = descriptor.inputs[name] else { continue }
            let value = values.values[name].flatMap { $0.isEmpty ? nil : $0 }
            switch flag {
            case .none:
                continue
            case .secretFile(let option):
                if values.secrets[name] != nil || value != nil { words += [option, "<secret>"] }
            case .option(let option):
                if let value { words += [option, value] }
            case .list(let option):
                for item in (value ?? "").split(separator: ",") { words += [option, String(item)] }
            case .words(let byValue):
                guard let value else { continue }
                let key = Runbook.parseBool(value).map { $0 ? "yes" : "no" } ?? value
                words += byValue[key] ?? []
            }
        }
        return words + descriptor.trailer(values)
    }

    static func quote(_ value: String) -> String {
        let plain = value.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@,${}".contains($0) }
        return plain ? value : "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
