import Runbook

/// What the wizard asks before a step that changes something, said for that step and its inputs; nil when the
/// step changes only this machine's files (a backup or store check into a local directory), which is not asked.
/// Pure.
public enum StepConfirmation {
    public static func question(_ step: Step, _ values: StepValues) -> String? {
        guard step.changes else { return nil }
        let target = [values.text("target-host"), values.text("target-port")].compactMap { $0 }.joined(separator: ":")
        let source = [values.text("source-host"), values.text("source-port")].compactMap { $0 }.joined(separator: ":")
        switch step.action {
        case "backup", "store-check":
            guard values.text("store") == "s3" else { return nil }
            return "Run this step? It writes to the S3 bucket \(values.text("s3-bucket") ?? "")"
        case "restore", "apply-accounts":
            return "Run this step? It changes the server at \(target.isEmpty ? "the target" : target)"
        case "replicate", "cutover":
            return "Run this step? It changes the source \(source.isEmpty ? "" : "at \(source) ")and the server at "
                + (target.isEmpty ? "the target" : target)
        case "physical-restore":
            return "Run this step? It fills the data directory \(values.text("target-datadir") ?? "")"
        default:
            return "Run this step? It changes things outside this machine"
        }
    }
}
