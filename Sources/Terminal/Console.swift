import Foundation

/// Writes to standard output and standard error. A closed pipe (`… | head`) ends the output
/// quietly: FileHandle.write(_: Data) would trap on EPIPE.
public enum Console {
    public static func write(_ data: Data, to handle: FileHandle) {
        try? handle.write(contentsOf: data)
    }

    /// Results and events.
    public static func out(_ text: String) { write(Data(text.utf8), to: .standardOutput) }

    /// Messages for a person: errors, notes, progress.
    public static func error(_ text: String) { write(Data(text.utf8), to: .standardError) }

    /// One JSON event a line (keys sorted), with `tags` added: progress and step events for scripts.
    public static func writeJSONLine(_ event: [String: Any], tags: [String: String] = [:], to handle: FileHandle) {
        var event = event
        for (key, value) in tags { event[key] = value }
        if let data = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]) {
            write(data + Data("\n".utf8), to: handle)
        }
    }
}
