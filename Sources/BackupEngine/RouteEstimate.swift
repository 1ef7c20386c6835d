/// How long each route of a migration takes for a source of a given size, from the throughputs
/// that bench/physical.sh measured (bench/results.json, "physical": data bytes per second of the
/// whole route, backup to restored server, medians); a test keeps the two equal. Pure.
public enum RouteEstimate {
    public static let logicalBytesPerSecond: Double = 18_181_901
    public static let physicalBytesPerSecond: Double = 32_121_549
    /// The wizard suggests the physical route when the logical one would take longer than this and
    /// a physical backup can run here.
    public static let physicalAboveSeconds: Double = 600

    public static func seconds(dataBytes: UInt64, kind: BackupKind) -> Double {
        let rate = kind == .physical ? physicalBytesPerSecond : logicalBytesPerSecond
        return rate > 0 ? Double(dataBytes) / rate : 0
    }

    /// `physical` when the physical route can run and the logical one would be long or would lose history that
    /// only the physical route carries (transaction-precise system versioning); else `logical`.
    public static func suggested(
        dataBytes: UInt64, physicalPossible: Bool, historyOnlyPhysical: Bool = false
    ) -> BackupKind {
        guard physicalPossible else { return .logical }
        return historyOnlyPhysical || seconds(dataBytes: dataBytes, kind: .logical) > physicalAboveSeconds
            ? .physical : .logical
    }

    /// `logical ≈ 12 min, physical ≈ 3 min`.
    public static func describe(dataBytes: UInt64) -> String {
        BackupKind.allCases.map { "\($0.rawValue) ≈ \(duration(seconds(dataBytes: dataBytes, kind: $0)))" }
            .joined(separator: ", ")
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 90 { return "\(max(1, Int(seconds.rounded()))) s" }
        if seconds < 5400 { return "\(Int((seconds / 60).rounded())) min" }
        let hours = seconds / 3600
        return hours < 10 ? "\((hours * 10).rounded() / 10) h" : "\(Int(hours.rounded())) h"
    }
}
