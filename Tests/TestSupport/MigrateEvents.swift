import Foundation

/// The JSON events of a `migrate --json` run.
public struct MigrateEvents {
    public let events: [[String: Any]]

    public init(_ stdout: String) {
        events = stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    public var finishedSteps: [String] {
        events.filter { $0["event"] as? String == "step-finished" }.compactMap { $0["step"] as? String }
    }

    /// The notes a step gave, in order.
    public func notes(of step: String) -> [String] {
        events.filter { $0["event"] as? String == "note" && $0["step"] as? String == step }
            .compactMap { $0["message"] as? String }
    }

    public func outputs(of step: String) -> [String: String]? {
        events.first { $0["event"] as? String == "step-finished" && $0["step"] as? String == step }?["outputs"]
            as? [String: String]
    }
}
