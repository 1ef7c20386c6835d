import Foundation
import Replication
import Terminal

/// Shows `verify --live` as it goes: a redrawn line per table on a terminal, JSON lines with `--json` (every
/// chunk, with its key range: what a test or a script follows), nothing otherwise.
public final class LiveVerifyDisplay: @unchecked Sendable {
    private let lines: EventLines
    private let lock = NSLock()
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var tableRows: [String: Int] = [:]

    public init(mode: ProgressMeter.Mode) { lines = EventLines(mode: mode) }

    public func show(_ event: LiveVerifyJob.Event) {
        lock.withLock {
            switch event {
            case .synchronised(let table, let position):
                emit(
                    "\(table): both servers read at \(position)", final: false,
                    json: ["event": "synchronised", "table": table, "position": position])
            case .chunk(let table, let after, let upTo, let rows, let differences):
                tableRows[table, default: 0] += rows
                let json: [String: Any] = [
                    "event": "chunk", "table": table, "after": after.map { $0 as Any } ?? NSNull(),
                    "up_to": upTo.map { $0 as Any } ?? NSNull(), "rows": rows,
                    "differences": differences,
                ]
                if lines.mode == .terminal {
                    guard ContinuousClock.now - lastDraw >= .milliseconds(200) else { return }
                    lastDraw = ContinuousClock.now
                }
                emit("\(table): \(tableRows[table] ?? 0) rows compared", final: false, json: json)
            case .resumed(let table, let after, let rows, let chunks, let done):
                emit(
                    "resuming in \(table) after key (\((after ?? []).joined(separator: ", "))): \(rows) rows in "
                        + "\(chunks) chunks compared there, \(done) tables done",
                    final: true,
                    json: [
                        "event": "resumed", "table": table, "after": after.map { $0 as Any } ?? NSNull(),
                        "rows": rows, "chunks": chunks, "tables_done": done,
                    ])
            case .paused(let reason):
                emit("paused: \(reason)", final: false, json: ["event": "paused", "reason": reason])
            case .tableDone(let table):
                let found = table.differences == 0 ? "equal" : "\(table.differences) rows differ"
                emit(
                    "\(table.name): \(table.rows) rows in \(table.chunks) chunks, \(found)", final: true,
                    json: [
                        "event": "table", "table": table.name, "rows": table.rows, "chunks": table.chunks,
                        "differences": table.differences,
                    ])
            }
        }
    }

    private func emit(_ line: String, final: Bool, json: [String: Any]) { lines.emit(line, final: final, json: json) }

    /// Ends an open line on a terminal.
    public func finish() { lines.finish() }
}
