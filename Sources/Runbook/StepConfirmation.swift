/// What the wizard asks before a step that changes something, said for that step and its inputs; nil when the
/// step changes only this machine's files (a backup or store check into a local directory), which is not asked.
/// Pure; `--explain` says the same from the step's effect.
public enum StepConfirmation {
    public static func question(_ step: Step, _ values: [String: String]) -> String? {
        guard step.changes else { return nil }
        func text(_ name: String) -> String? { values[name].flatMap { $0.isEmpty ? nil : $0 } }
        let target = [text("target-host"), text("target-port")].compactMap { $0 }.joined(separator: ":")
        let source = [text("source-host"), text("source-port")].compactMap { $0 }.joined(separator: ":")
        switch step.effect {
        case .store:
            guard text("store") == "s3" else { return nil }
            return "Run this step? It writes to the S3 bucket \(text("s3-bucket") ?? "")"
        case .target:
            return "Run this step? It changes the server at \(target.isEmpty ? "the target" : target)"
        case .source:
            return "Run this step? It changes the source\(source.isEmpty ? "" : " at \(source)")"
        case .sourceAndTarget:
            return "Run this step? It changes the source \(source.isEmpty ? "" : "at \(source) ")and the server at "
                + (target.isEmpty ? "the target" : target)
        case .dataDirectory:
            return "Run this step? It fills the data directory \(text("target-datadir") ?? "")"
        case .none:
            return "Run this step? It changes things outside this machine"
        }
    }
}
