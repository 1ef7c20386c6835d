import Foundation

/// One MariaDB global transaction id, `domain-server-sequence`.
public struct GTID: Hashable, Sendable, Codable, CustomStringConvertible {
    public var domain: UInt32
    public var server: UInt32
    public var sequence: UInt64

    public init(domain: UInt32, server: UInt32, sequence: UInt64) {
        self.domain = domain
        self.server = server
        self.sequence = sequence
    }

    public var description: String { "\(domain)-\(server)-\(sequence)" }
}

/// A GTID position as the server prints it (`@@gtid_binlog_pos`, `@@gtid_slave_pos`, a dump's
/// `gtid_slave_pos`, a `Gtid_list` event): the last GTID of each replication domain. Pure.
public struct GTIDPosition: Sendable, Equatable, Codable, CustomStringConvertible {
    /// One per domain, sorted by domain.
    public private(set) var gtids: [GTID]

    public init(_ gtids: [GTID] = []) {
        var byDomain: [UInt32: GTID] = [:]
        for gtid in gtids { byDomain[gtid.domain] = gtid }
        self.gtids = byDomain.values.sorted { $0.domain < $1.domain }
    }

    /// Reads `0-1-100,1-2-7` (spaces, newlines and the brackets of a Gtid_list event allowed; empty is
    /// the empty position).
    public init(parsing text: String) throws(GTIDError) {
        var gtids: [GTID] = []
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines.union(.init(charactersIn: "[]")))
        for item in trimmed.isEmpty ? [] : trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.trimmingCharacters(in: .whitespacesAndNewlines).split(
                separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 3, let domain = UInt32(parts[0]), let server = UInt32(parts[1]),
                let sequence = UInt64(parts[2])
            else { throw .invalid(text) }
            guard !gtids.contains(where: { $0.domain == domain }) else { throw .duplicateDomain(text, domain) }
            gtids.append(GTID(domain: domain, server: server, sequence: sequence))
        }
        self.init(gtids)
    }

    public var isEmpty: Bool { gtids.isEmpty }
    public var description: String { gtids.map(\.description).joined(separator: ",") }

    public func sequence(inDomain domain: UInt32) -> UInt64? { gtids.first { $0.domain == domain }?.sequence }

    /// How many transactions a replica at `applied` still has to apply to reach this position:
    /// per domain of this position, the sequence numbers between the two.
    public func transactions(after applied: GTIDPosition) -> UInt64 {
        gtids.reduce(0) { total, gtid in
            let done = applied.sequence(inDomain: gtid.domain) ?? 0
            return total + (gtid.sequence > done ? gtid.sequence - done : 0)
        }
    }

    /// Whether a replica at `applied` has applied everything of this position.
    public func isReached(by applied: GTIDPosition) -> Bool { transactions(after: applied) == 0 }

    /// This position's domains replaced by `other`'s, the rest kept (a replica's `gtid_slave_pos`
    /// also holds the domains of its other replication connections).
    public func merging(_ other: GTIDPosition) -> GTIDPosition {
        GTIDPosition(gtids + other.gtids)
    }
}

public enum GTIDError: Error, Equatable, Sendable {
    case invalid(String)
    case duplicateDomain(String, UInt32)
}

extension GTIDError: LocalizedError {
    public var errorDescription: String? {
        switch self {
        case .invalid(let text):
            return "'\(text)' is not a GTID position: expected domain-server-sequence items separated by commas, "
                + "e.g. 0-1-1234"
        case .duplicateDomain(let text, let domain):
            return "GTID position '\(text)' names domain \(domain) twice: give one GTID per domain"
        }
    }
}
