import Foundation

/// Writes to standard output and standard error. A closed pipe (`… | head`) ends the output
/// quietly: FileHandle.write(_: Data) would trap on EPIPE.
public enum Console {
    public static func write(_ data: Data, to handle: FileHandle) {
        try? handle.write(contentsOf: data)
    }

    /// Whether a progress line is drawn and not ended, so that what comes next starts on a line of its own.
    static let progress = ProgressLineState()

    /// Results and events.
    public static func out(_ text: String) {
        if progress.endForMessage() { write(Data("\n".utf8), to: .standardError) }
        write(Data(text.utf8), to: .standardOutput)
    }

    /// Messages for a person: errors, notes. A progress line still open is ended first.
    public static func error(_ text: String) {
        write(Data(((progress.endForMessage() ? "\n" : "") + text).utf8), to: .standardError)
    }

    /// A progress line, redrawn in place; `final` ends it.
    public static func progressLine(_ line: String, final: Bool) {
        progress.drew(final: final)
        write(Data(("\r\u{1B}[K" + line + (final ? "\n" : "")).utf8), to: .standardError)
    }

    /// One JSON event a line (keys sorted), with `tags` added: progress and step events for scripts.
    public static func writeJSONLine(_ event: [String: Any], tags: [String: String] = [:], to handle: FileHandle) {
        var event = event
        for (key, value) in tags { event[key] = value }
        if let data = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]) {
            write(data + Data("\n".utf8), to: handle)
        }
    }
}

/// Whether a progress line is open (drawn without its newline). Thread-safe.
final class ProgressLineState: @unchecked Sendable {
    private let lock = NSLock()
    private var open = false

    func drew(final: Bool) { lock.withLock { open = !final } }

    /// True once when a line is open: the caller ends it before its message.
    func endForMessage() -> Bool {
        lock.withLock {
            defer { open = false }
            return open
        }
    }
}
