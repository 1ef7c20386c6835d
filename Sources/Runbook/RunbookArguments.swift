import Foundation

/// A runbook's inputs given on `migrate`'s command line: `--set NAME=VALUE` and `--FLAG VALUE` (`--FLAG=VALUE`),
/// a secret only as `--FLAG-file PATH`. Pure.
public struct RunbookArguments: Sendable, Equatable {
    /// Input name → value.
    public var values: [String: String] = [:]
    /// Secret input name → the file that holds it.
    public var secretFiles: [String: String] = [:]

    public struct Fault: Error, LocalizedError, Equatable {
        public var message: String
        public var errorDescription: String? { message }
    }

    public static func parse(assignments: [String], words: [String], for runbook: Runbook) throws(Fault)
        -> RunbookArguments
    {
        var given = RunbookArguments()
        let explain = "see mariadb-migrate migrate \(runbook.name) --explain"
        for assignment in assignments {
            guard let eq = assignment.firstIndex(of: "=") else {
                throw Fault(message: "--set '\(assignment)' is not name=value")
            }
            let name = String(assignment[..<eq])
            guard let input = runbook.input(name) ?? runbook.inputs.first(where: { $0.flag == name }) else {
                throw Fault(message: "--set: unknown input '\(name)' for runbook \(runbook.name) (\(explain))")
            }
            guard !input.isSecret else {
                let other = input.environment ?? "the prompt"
                throw Fault(message: "--set may not carry secret '\(name)': use --\(input.flag)-file PATH or \(other)")
            }
            given.values[input.name] = String(assignment[assignment.index(after: eq)...])
        }
        var words = words[...]
        while let word = words.popFirst() {
            guard word.hasPrefix("--") else { throw Fault(message: "unexpected argument '\(word)'") }
            var flag = String(word.dropFirst(2))
            var value: String?
            if let eq = flag.firstIndex(of: "=") {
                value = String(flag[flag.index(after: eq)...])
                flag = String(flag[..<eq])
            }
            let isFile = flag.hasSuffix("-file") && runbook.inputs.contains { $0.isSecret && $0.flag + "-file" == flag }
            let inputFlag = isFile ? String(flag.dropLast(5)) : flag
            guard let input = runbook.inputs.first(where: { $0.flag == inputFlag }) else {
                throw Fault(message: "unknown option '--\(flag)' for runbook \(runbook.name) (\(explain))")
            }
            if value == nil {
                guard let next = words.popFirst() else { throw Fault(message: "--\(flag) needs a value") }
                value = next
            }
            if input.isSecret {
                guard isFile else {
                    throw Fault(message: "--\(flag) is a secret: give --\(flag)-file PATH, never the value on the "
                        + "command line")
                }
                given.secretFiles[input.name] = value
            } else {
                given.values[input.name] = value
            }
        }
        return given
    }
}
