import Foundation
import Terminal

/// What the event displays share: a line redrawn in place on a terminal, one JSON object a line with `--json`,
/// nothing otherwise, and the open line ended at the finish.
final class EventLines: @unchecked Sendable {
    let mode: ProgressMeter.Mode
    private let jsonOutput: FileHandle
    private let tags: [String: String]
    private let lock = NSLock()
    private var lineOpen = false

    init(mode: ProgressMeter.Mode, jsonOutput: FileHandle = .standardError, tags: [String: String] = [:]) {
        self.mode = mode
        self.jsonOutput = jsonOutput
        self.tags = tags
    }

    func emit(_ line: String, final: Bool, json: [String: Any]) {
        lock.withLock {
            switch mode {
            case .terminal:
                Console.progressLine(line, final: final)
                lineOpen = !final
            case .json:
                Console.writeJSONLine(json, tags: tags, to: jsonOutput)
            case .quiet:
                break
            }
        }
    }

    /// Ends an open line on a terminal.
    func finish() {
        lock.withLock {
            if lineOpen && mode == .terminal { Console.error("\n") }
            lineOpen = false
        }
    }
}
