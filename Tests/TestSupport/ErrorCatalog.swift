import Foundation
import Testing

/// docs/errors.md: each class of bad input or fault, with the exit status and the message users get
/// (`…` stands for the details of a run). Tests run each case and hold its result against its row,
/// so the page cannot drift from what the tool does.
public enum ErrorCatalog {
    public struct Row: Sendable {
        public var id: String
        public var exit: Int32
        public var message: String
    }

    public static let rows: [String: Row] = {
        let path = TestEnvironment.repositoryRoot.appendingPathComponent("docs/errors.md").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var rows: [String: Row] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            // | `id` | class | exit | `message` |
            guard cells.count >= 6, let exit = Int32(cells[3]) else { continue }
            let id = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let message = cells[4...].dropLast().joined(separator: "|").trimmingCharacters(in: .whitespaces)
            rows[id] = Row(id: id, exit: exit, message: String(message.dropFirst().dropLast()))
        }
        return rows
    }()

    /// Whether `output` shows the row's message (`…` matches anything, `\|` a pipe).
    public static func matches(_ message: String, in output: String) -> Bool {
        let pattern = message.replacingOccurrences(of: "\\|", with: "|").components(separatedBy: "…")
            .map(NSRegularExpression.escapedPattern(for:)).joined(separator: "(.|\\n)*")
        return output.range(of: pattern, options: .regularExpression) != nil
    }

    /// Holds a run's exit status and output against row `id`.
    public static func expect(
        _ id: String, status: Int32, output: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        if ProcessInfo.processInfo.environment["MM_PRINT_ERRORS"] != nil {
            print("ERRORCATALOG \(id) | \(status) | \(output.replacingOccurrences(of: "\n", with: "⏎"))")
        }
        guard let row = rows[id] else {
            Issue.record("docs/errors.md has no row `\(id)`", sourceLocation: sourceLocation)
            return
        }
        #expect(status == row.exit, "\(id): exit \(status), documented \(row.exit)", sourceLocation: sourceLocation)
        #expect(
            matches(row.message, in: output), "\(id): documented `\(row.message)`, got: \(output)",
            sourceLocation: sourceLocation)
    }

    public static func expect(_ id: String, _ result: CLI.Result, sourceLocation: SourceLocation = #_sourceLocation) {
        expect(id, status: result.status, output: result.stderr + result.stdout, sourceLocation: sourceLocation)
    }
}
