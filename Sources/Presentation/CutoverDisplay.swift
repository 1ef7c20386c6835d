import Foundation
import Replication
import Terminal

/// Shows a cutover's events: a redrawn lag line on a terminal, JSON lines with `--json`, nothing
/// otherwise; one wiring for the `cutover` command and the wizard's step.
public final class CutoverDisplay: @unchecked Sendable {
    private let lines: EventLines
    private let lock = NSLock()
    private var lastDraw = ContinuousClock.now - .seconds(1)

    public init(mode: ProgressMeter.Mode, jsonOutput: FileHandle = .standardError, tags: [String: String] = [:]) {
        lines = EventLines(mode: mode, jsonOutput: jsonOutput, tags: tags)
    }

    public static func text(_ lag: ReplicationLag) -> String {
        let seconds = lag.seconds.map { "\($0) s behind" } ?? "not running"
        return "\(lag.transactions) transactions behind (\(seconds)), source at \(lag.sourcePosition), applied "
            + "\(lag.appliedPosition)"
    }

    public func show(_ event: CutoverJob.Event) {
        lock.withLock {
            switch event {
            case .catchingUp(let lag), .draining(let lag):
                let phase = if case .catchingUp = event { "catching up" } else { "draining" }
                guard ContinuousClock.now - lastDraw >= .milliseconds(200) else { return }
                lastDraw = ContinuousClock.now
                emit(
                    "\(phase): " + Self.text(lag), final: false,
                    json: [
                        "event": "lag", "phase": phase, "transactions": lag.transactions,
                        "seconds_behind": lag.seconds as Any, "source_position": lag.sourcePosition.description,
                        "applied_position": lag.appliedPosition.description,
                    ])
            case .writesRefused(let final):
                emit(
                    "writes refused on the source (read_only=1) at \(final)", final: true,
                    json: ["event": "writes-refused", "source_position": final.description])
            case .switched:
                emit(
                    "the target applied everything and no longer replicates", final: true,
                    json: ["event": "switched"])
            }
        }
    }

    private func emit(_ line: String, final: Bool, json: [String: Any]) { lines.emit(line, final: final, json: json) }

    /// Ends an open lag line on a terminal.
    public func finish() { lines.finish() }
}
