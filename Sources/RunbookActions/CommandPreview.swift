import BackupEngine
import Runbook

/// The `mariadb-migrate` command a step amounts to, for the plan and the wizard's "runs:" line.
/// Secrets show as `<secret>`; nothing here runs. Pure.
public enum CommandPreview {
    static let subcommands = [
        "survey": "inspect", "store-check": "storage check", "backup": "backup", "accounts": "users",
        "manifests": "manifests", "restore": "restore", "verify": "verify", "apply-accounts": "users --emit-sql",
        "preflight": "preflight", "replicate": "replicate", "cutover": "cutover --yes",
        "physical-restore": "restore --physical",
    ]

    static func flag(_ action: String, _ input: String) -> String? {
        // apply-accounts names its target after the pipe, as the client's flags.
        if action == "apply-accounts" && input.hasPrefix("target-") { return nil }
        if input == "target-datadir" { return "--datadir" }
        let side = action == "restore" ? "target-" : "source-"
        if input.hasPrefix(side) {
            return "--" + input.dropFirst(side.count) + (input.hasSuffix("password") ? "-file" : "")
        }
        if input.hasPrefix("target-") { return "--" + input + (input.hasSuffix("password") ? "-file" : "") }
        switch (action, input) {
        case (_, "store"): return nil
        case ("accounts", "mariadb-name"): return "--mariadb-name"
        case (_, "mariadb-name"): return "--name"
        case ("restore", "backup-file"), ("physical-restore", "backup-file"): return "--file"
        case (_, "route"): return nil  // --physical, below
        case ("replicate", "backup-file"): return "--backup"
        case ("replicate", "replication-password"): return nil  // MARIADB_REPLICATION_PASSWORD
        case ("cutover", "cutover-timeout"): return "--timeout"
        case ("replicate", "new-password-file"): return "--replication-password-file"
        case (_, "databases"): return "--database"
        case (_, "accounts"): return "--account"
        case ("preflight", "topology"): return "--target"
        case (_, "other-nodes"): return nil
        case ("verify", "compare-accounts"): return "--accounts"
        case ("verify", "replication-user"): return "--tool-account"
        case (_, "accounts-dir"): return action == "accounts" ? "--output-dir" : nil
        case (_, "manifests-dir"): return "--output-dir"
        case (_, "s3-secret-access-key"): return "--s3-secret-access-key-file"
        case (_, "root-password"): return "--root-password-file"
        case (_, "cluster-s3-endpoint"): return "--s3-endpoint"
        default: return "--" + input
        }
    }

    public static func render(_ step: Step, _ values: StepValues) -> String {
        var words = ["mariadb-migrate", subcommands[step.action] ?? step.action]
        let usesS3 = values.values["store"] == "s3"
        for name in step.inputs.sorted() {
            if name.hasPrefix("s3-") && !usesS3 { continue }
            if name == "storage-dir" && usesS3 { continue }
            guard let flag = flag(step.action, name) else { continue }
            if values.secrets[name] != nil {
                words += [flag, "<secret>"]
                continue
            }
            guard let value = values.values[name], !value.isEmpty else { continue }
            if ["true", "false", "yes", "no"].contains(value.lowercased()) {
                if Runbook.parseBool(value) == true { words.append(flag) }
                continue
            }
            if name == "databases" || name == "accounts" {
                for item in value.split(separator: ",") { words += [flag, quote(String(item))] }
                continue
            }
            words += [flag, quote(value)]
        }
        if step.inputs.contains("route") && values.values["route"] == BackupKind.physical.rawValue {
            words.insert("--physical", at: 2)
        }
        if step.action == "apply-accounts" {
            // The SQL goes into the target through the client, as `users --emit-sql | mariadb` would.
            words.append("| mariadb")
            for (name, flag) in [("target-host", "--host"), ("target-port", "--port"), ("target-user", "--user")] {
                if let value = values.values[name], !value.isEmpty { words += [flag, quote(value)] }
            }
            words.append("-p")
        }
        return words.joined(separator: " ")
    }

    static func quote(_ value: String) -> String {
        let plain = value.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@,${}".contains($0) }
        return plain ? value : "'" + value.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
