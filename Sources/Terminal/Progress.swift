import Foundation
import UTCTime

/// Progress of long work: a redrawn line (bytes, rate, ETA) when standard error is a terminal,
/// JSON lines on standard error with `--json`, nothing otherwise. Updates at most five times a
/// second. `bytes` is the work's input (SQL dumped, object read); `outputBytes`, when the work
/// has a second side, what came out of it (bytes stored, SQL applied), labelled `outputLabel`.
public final class ProgressMeter: @unchecked Sendable {
    public enum Mode: Sendable { case terminal, json, quiet }

    private var label: String
    private var total: UInt64?
    private let mode: Mode
    private var started = ContinuousClock.now
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var bytes: UInt64 = 0
    private var outputBytes: UInt64 = 0
    /// Output passed over (a resumed restore's applied part): shown, and the ETA counts from after it.
    private var skippedBytes: UInt64 = 0
    private var rateOrigin: (time: ContinuousClock.Instant, bytes: UInt64)?
    private let outputLabel: String?
    private let jsonOutput: FileHandle
    private let tags: [String: String]
    private let lock = NSLock()

    /// `--json` wins: a script that asked for JSON gets JSON even on a terminal.
    public static func mode(json: Bool) -> Mode {
        json ? .json : (isatty(STDERR_FILENO) == 1 ? .terminal : .quiet)
    }

    /// `jsonOutput` and `tags` serve a caller that interleaves progress with its own JSON events
    /// (the wizard: standard output, tagged with the step).
    public init(
        label: String, total: UInt64?, mode: Mode, outputLabel: String? = nil,
        jsonOutput: FileHandle = .standardError, tags: [String: String] = [:]
    ) {
        self.jsonOutput = jsonOutput
        self.tags = tags
        self.label = label
        self.total = total
        self.mode = mode
        self.outputLabel = outputLabel
    }

    /// The size of the whole, once known (a download's object size): percentages and ETA follow.
    public func setTotal(_ total: UInt64) {
        lock.withLock { self.total = total }
    }

    /// Ends the current phase (its final line or event) and counts the next one from zero under
    /// `label`: a staged restore downloads, then applies.
    public func restart(label: String) {
        lock.withLock {
            if bytes > 0 && mode != .quiet { draw(final: true) }
            self.label = label
            bytes = 0
            outputBytes = 0
            skippedBytes = 0
            rateOrigin = nil
            started = ContinuousClock.now
        }
    }

    public func add(_ count: Int) {
        lock.withLock {
            bytes += UInt64(count)
            redrawIfDue()
        }
    }

    public func addOutput(_ count: Int) {
        lock.withLock {
            outputBytes += UInt64(count)
            redrawIfDue()
        }
    }

    public func addSkipped(_ count: Int) {
        lock.withLock {
            skippedBytes += UInt64(count)
            rateOrigin = (ContinuousClock.now, bytes)
            redrawIfDue()
        }
    }

    /// A line between the updates (a resume's starting point): an event of its own with `--json`,
    /// a line on standard error otherwise, even when piped.
    public func announce(_ line: String, event: [String: Any]) {
        lock.withLock {
            switch mode {
            case .json: Console.writeJSONLine(event, tags: tags, to: jsonOutput)
            case .terminal: Console.progressLine(line, final: true)
            case .quiet: Console.error(line + "\n")
            }
        }
    }

    private func redrawIfDue() {
        let now = ContinuousClock.now
        guard mode != .quiet, now - lastDraw >= .milliseconds(200) else { return }
        lastDraw = now
        draw(final: false)
    }

    public func finish() {
        lock.withLock { if mode != .quiet { draw(final: true) } }
    }

    private var elapsedSeconds: Double { (ContinuousClock.now - started).inSeconds }

    /// The rate the rest goes at: since the last skip, once a resume has passed over the applied part.
    private var etaRate: Double {
        guard let origin = rateOrigin else { return Double(bytes) / max(elapsedSeconds, 0.001) }
        let seconds = (ContinuousClock.now - origin.time).inSeconds
        return seconds < 1 ? 0 : Double(bytes - origin.bytes) / seconds
    }

    private func draw(final: Bool) {
        let elapsed = max(elapsedSeconds, 0.001)
        let rate = Double(bytes) / elapsed
        switch mode {
        case .terminal:
            var line = "\(label): \(ByteFormat.string(bytes))"
            if let total, total > 0 {
                line += " of \(ByteFormat.string(total)) (\(Int(Double(bytes) * 100 / Double(total)))%)"
            }
            if let outputLabel { line += ", \(outputLabel) \(ByteFormat.string(outputBytes))" }
            if skippedBytes > 0 { line += ", skipped \(ByteFormat.string(skippedBytes))" }
            line += ", \(ByteFormat.string(UInt64(rate)))/s, \(Self.duration(elapsed))"
            if let total, !final, etaRate > 0, total > bytes {
                line += ", ETA \(Self.duration(Double(total - bytes) / etaRate))"
            }
            Console.progressLine(line, final: final)
        case .json:
            var event: [String: Any] = [
                "event": final ? "done" : "progress", "label": label, "bytes": bytes,
                "bytes_per_second": Int(rate), "elapsed_seconds": (elapsed * 10).rounded() / 10,
            ]
            if let total { event["total_bytes"] = total }
            if let outputLabel { event["\(outputLabel)_bytes"] = outputBytes }
            if skippedBytes > 0 { event["skipped_bytes"] = skippedBytes }
            if let total, !final, etaRate > 0, total > bytes {
                event["eta_seconds"] = Int(Double(total - bytes) / etaRate)
            }
            Console.writeJSONLine(event, tags: tags, to: jsonOutput)
        case .quiet:
            break
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600
            ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : String(format: "%.1fs", seconds)
    }
}
