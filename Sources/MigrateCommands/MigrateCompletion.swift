import Runbook

/// What the shells complete for `migrate` (issue #32): the shipped runbooks' names for its first word, then the
/// runbook's inputs as flags, and input names for `--set`. Pure over the words typed so far.
enum MigrateCompletion {
    static var runbooks: [String] { EmbeddedRunbooks.yaml.keys.sorted() }

    /// The shipped runbook the words name, if one.
    static func runbook(in words: [String]) -> Runbook? {
        guard let name = words.first(where: { EmbeddedRunbooks.yaml[$0] != nil }) else { return nil }
        return try? Runbook.named(name, path: nil, actions: nil)
    }

    /// The runbook's words: its name first, then `--NAME` for each input (`--NAME-file` for a secret).
    static func words(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        guard let runbook = runbook(in: Array(words.prefix(max(0, index)))) else {
            return runbooks.filter { $0.hasPrefix(prefix) }
        }
        return runbook.inputs.map { "--" + $0.flag + ($0.isSecret ? "-file" : "") }.filter { $0.hasPrefix(prefix) }
    }

    /// `--set NAME=`: the runbook's inputs that are not secrets.
    static func assignments(_ words: [String], _ index: Int, _ prefix: String) -> [String] {
        let inputs = runbook(in: words)?.inputs ?? []
        return inputs.filter { !$0.isSecret }.map { "\($0.name)=" }.filter { $0.hasPrefix(prefix) }
    }
}
