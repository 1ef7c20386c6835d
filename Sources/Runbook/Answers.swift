import Yams

/// An answers file (`--answers`): `NAME: VALUE`, or `NAME: {file: PATH}` for a secret. Pure.
public struct Answers: Sendable, Equatable {
    public var values: [String: String] = [:]
    /// Secret inputs → the file that holds each.
    public var secretFiles: [String: String] = [:]

    public init() {}

    /// Reads `text` (the contents of `file`) against `runbook`'s inputs; each fault names the
    /// file and line.
    public static func parse(_ text: String, file: String, runbook: Runbook) throws(RunbookError) -> Answers {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw RunbookError(file: file, line: nil, "not valid YAML: \(error)")
        }
        guard let mapping = node?.mapping else {
            throw RunbookError(file: file, line: nil, "must be a mapping of input names to values")
        }
        var answers = Answers()
        for (key, value) in mapping {
            let name = key.string ?? ""
            let line = key.mark?.line
            guard let input = runbook.input(name) else {
                throw RunbookError(file: file, line: line, "unknown input '\(name)' for runbook \(runbook.name)")
            }
            if let secretFile = value.mapping?["file"]?.string {
                guard input.isSecret else {
                    throw RunbookError(file: file, line: line, "'\(name)' is not a secret: give its value")
                }
                answers.secretFiles[name] = secretFile
                continue
            }
            guard !input.isSecret else {
                let other = input.environment ?? "a prompt"
                throw RunbookError(
                    file: file, line: line, "'\(name)' is a secret: write \(name): {file: PATH} or use \(other)")
            }
            guard let scalar = value.scalar?.string else {
                throw RunbookError(file: file, line: line, "'\(name)' must be a single value")
            }
            answers.values[name] = scalar
        }
        return answers
    }
}
