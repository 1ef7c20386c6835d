import Dump
import MariaDBClient

/// The topology a source moves into.
public enum TargetTopology: String, Codable, Sendable, CaseIterable {
    case galera, replication, standalone
}

/// One thing preflight found: how bad, what, where, and what to do about it.
public struct Finding: Codable, Sendable, Equatable {
    public enum Severity: String, Codable, Sendable, Comparable {
        case blocker, warning, note

        var rank: Int { self == .blocker ? 0 : self == .warning ? 1 : 2 }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    public var severity: Severity
    /// A stable name for the rule (`non-innodb`, `no-primary-key`, …) for scripts.
    public var check: String
    public var message: String
    /// `schema.table`, `user@host`, … (sorted).
    public var objects: [String]
    /// What to run or change; SQL when there is one.
    public var fix: String

    public init(_ severity: Severity, _ check: String, _ message: String, objects: [String] = [], fix: String) {
        self.severity = severity
        self.check = check
        self.message = message
        self.objects = objects.sorted()
        self.fix = fix
    }
}

extension Finding {
    /// For a person: the severity, the check and the message, up to ten objects, and the fix.
    public var text: String {
        var text = "\n\(severity.rawValue.uppercased()) \(check): \(message)\n"
        if !objects.isEmpty {
            let more = objects.count > 10 ? " and \(objects.count - 10) more" : ""
            text += "  objects: \(objects.prefix(10).joined(separator: ", "))\(more)\n"
        }
        return text + "  fix: \(fix)\n"
    }
}

/// What preflight reads of a source (information_schema and variables only: no table is scanned).
public struct PreflightFacts: Codable, Sendable, Equatable {
    public struct Table: Codable, Sendable, Equatable {
        public var schema: String
        public var name: String
        public var engine: String
        public var hasPrimaryKey: Bool
        public var dataBytes: UInt64

        public init(schema: String, name: String, engine: String, hasPrimaryKey: Bool, dataBytes: UInt64 = 0) {
            self.schema = schema
            self.name = name
            self.engine = engine
            self.hasPrimaryKey = hasPrimaryKey
            self.dataBytes = dataBytes
        }

        public var qualified: String { "\(schema).\(name)" }
    }

    /// A view, routine, trigger or event and the account it runs as.
    public struct Definer: Codable, Sendable, Equatable {
        public var kind: String
        public var object: String
        /// `user@host` as MariaDB writes it.
        public var definer: String

        public init(kind: String, object: String, definer: String) {
            self.kind = kind
            self.object = object
            self.definer = definer
        }
    }

    /// A sequence and what Galera asks of one: InnoDB, and no cache unless it increments by 0.
    public struct Sequence: Codable, Sendable, Equatable {
        public var schema: String
        public var name: String
        public var engine: String
        public var cacheSize: UInt64
        public var increment: Int64

        public init(schema: String, name: String, engine: String = "InnoDB", cacheSize: UInt64, increment: Int64) {
            self.schema = schema
            self.name = name
            self.engine = engine
            self.cacheSize = cacheSize
            self.increment = increment
        }

        public var qualified: String { "\(schema).\(name)" }
    }

    public var major: Int
    public var minor: Int
    /// Base tables of the application schemas (views and sequences left out).
    public var tables: [Table]
    /// `mysql.wsrep_*` tables on the source.
    public var wsrepTables: [String]
    public var sequences: [Sequence]
    /// `schema.table` of the system-versioned tables, and of those the transaction-precise ones.
    public var versionedTables: [String] = []
    public var transactionPreciseTables: [String] = []
    public var definers: [Definer]
    /// `user@host` of every account on the source.
    public var accounts: [String]
    /// `schema.event` with the event scheduler's view of it.
    public var events: [String]
    public var triggers: [String]
    public var logBin: Bool
    public var binlogFormat: String
    public var serverID: Int
    /// The largest write set Galera accepts (the target's wsrep_max_ws_size; 2 GiB by default).
    public var maxWriteSetBytes: UInt64

    public init(
        major: Int, minor: Int, tables: [Table] = [], wsrepTables: [String] = [], sequences: [Sequence] = [],
        definers: [Definer] = [],
        accounts: [String] = [], events: [String] = [], triggers: [String] = [], logBin: Bool = true,
        binlogFormat: String = "ROW", serverID: Int = 1, maxWriteSetBytes: UInt64 = 2_147_483_647
    ) {
        self.major = major
        self.minor = minor
        self.tables = tables
        self.wsrepTables = wsrepTables
        self.sequences = sequences
        self.definers = definers
        self.accounts = accounts
        self.events = events
        self.triggers = triggers
        self.logBin = logBin
        self.binlogFormat = binlogFormat
        self.serverID = serverID
        self.maxWriteSetBytes = maxWriteSetBytes
    }
}

/// The checks before a migration, as pure rules over the facts. Blockers first.
public enum PreflightRules {
    /// Accounts every operator-managed server has, so a definer naming them resolves there.
    static var presentOnTarget: Set<String> { SystemObjects.presentOnEveryTarget }

    public static func findings(
        _ facts: PreflightFacts, target: TargetTopology, targetVersion: (major: Int, minor: Int)? = nil
    ) -> [Finding] {
        var findings: [Finding] = []
        if target == .galera { findings += galera(facts) }
        if target == .replication { findings += replication(facts) }
        findings += definers(facts)
        findings += history(facts)
        if let targetVersion { findings += version(facts, target: targetVersion) }
        return findings.sorted { ($0.severity, $0.check) < ($1.severity, $1.check) }
    }

    static func galera(_ facts: PreflightFacts) -> [Finding] {
        var findings: [Finding] = []
        let notInnoDB = facts.tables.filter { $0.engine.lowercased() != "innodb" }
        if !notInnoDB.isEmpty {
            findings.append(
                Finding(
                    .blocker, "non-innodb",
                    "\(notInnoDB.count) table\(notInnoDB.count == 1 ? " is" : "s are") not InnoDB: Galera replicates "
                        + "only InnoDB, so their rows would stay on the node that took the write",
                    objects: notInnoDB.map { "\($0.qualified) (\($0.engine))" },
                    fix: notInnoDB.map { "ALTER TABLE \(quote($0.schema)).\(quote($0.name)) ENGINE=InnoDB;" }
                        .sorted().joined(separator: " ")))
        }
        let noKey = facts.tables.filter { !$0.hasPrimaryKey }
        if !noKey.isEmpty {
            findings.append(
                Finding(
                    .blocker, "no-primary-key",
                    "\(noKey.count) table\(noKey.count == 1 ? " has" : "s have") no primary key: Galera needs one to "
                        + "apply row events on the other nodes (deletes and updates go wrong or slow without it)",
                    objects: noKey.map(\.qualified),
                    fix: "add a PRIMARY KEY to each, e.g. ALTER TABLE … ADD COLUMN id BIGINT UNSIGNED AUTO_INCREMENT "
                        + "PRIMARY KEY FIRST;"))
        }
        findings += galeraSequences(facts.sequences)
        if !facts.wsrepTables.isEmpty {
            findings.append(
                Finding(
                    .warning, "wsrep-tables",
                    "the source has mysql.wsrep_* tables (it is or was a Galera node); restored into Galera they "
                        + "break the cluster's own state",
                    objects: facts.wsrepTables,
                    fix: "back up the application databases only (--database), or leave them out "
                        + "(--dump-arg=--ignore-table=mysql.<table>)"))
        }
        let large = facts.tables.filter { $0.dataBytes > facts.maxWriteSetBytes / 2 }
        if !large.isEmpty {
            findings.append(
                Finding(
                    .warning, "large-write-set",
                    "\(large.count) table\(large.count == 1 ? " holds" : "s hold") more than half of wsrep_max_ws_size "
                        + "(\(facts.maxWriteSetBytes) bytes): one transaction over the whole table (ALTER TABLE, a "
                            + "bulk "
                        + "UPDATE or DELETE) would exceed it and fail on the cluster",
                    objects: large.map(\.qualified),
                    fix: "change such tables in batches of rows after the migration; the restore itself loads in "
                        + "statements of about 1 MiB"))
        }
        if !facts.events.isEmpty {
            findings.append(
                Finding(
                    .warning, "events",
                    "events run on every Galera node whose event scheduler is on, so each fires once per node",
                    objects: facts.events,
                    fix: "keep event_scheduler ON on one node only, or make the events idempotent"))
        }
        if !facts.triggers.isEmpty {
            findings.append(
                Finding(
                    .note, "triggers",
                    "triggers fire on the node that takes the write; their changes replicate as rows",
                    objects: facts.triggers, fix: "nothing to do"))
        }
        return findings
    }

    /// MariaDB refuses, on a Galera node, a sequence that is not InnoDB (error 1235 'non-InnoDB sequences in
    /// Galera cluster') and one with a cache that does not increment by 0 ('CACHE without INCREMENT BY 0'), so
    /// the restore would stop at its CREATE SEQUENCE.
    static func galeraSequences(_ sequences: [PreflightFacts.Sequence]) -> [Finding] {
        var findings: [Finding] = []
        let notInnoDB = sequences.filter { $0.engine.lowercased() != "innodb" }
        if !notInnoDB.isEmpty {
            findings.append(
                Finding(
                    .blocker, "sequence-engine",
                    "\(notInnoDB.count) sequence\(notInnoDB.count == 1 ? " is" : "s are") not InnoDB: a Galera node "
                        + "refuses to create one (error 1235), so the restore would stop there",
                    objects: notInnoDB.map { "\($0.qualified) (\($0.engine))" },
                    fix: notInnoDB.map { "ALTER TABLE \(quote($0.schema)).\(quote($0.name)) ENGINE=InnoDB;" }
                        .sorted().joined(separator: " ")))
        }
        let cached = sequences.filter { $0.cacheSize > 0 && $0.increment != 0 }
        if !cached.isEmpty {
            findings.append(
                Finding(
                    .blocker, "sequence-cache",
                    "\(cached.count) sequence\(cached.count == 1 ? " keeps" : "s keep") a cache without INCREMENT BY "
                        + "0: a Galera node refuses to create one (error 1235), so the restore would stop there",
                    objects: cached.map { "\($0.qualified) (cache \($0.cacheSize), increment \($0.increment))" },
                    fix: cached.map { "ALTER SEQUENCE \(quote($0.schema)).\(quote($0.name)) NOCACHE;" }.sorted()
                        .joined(separator: " ")
                        + " (or INCREMENT BY 0, so that each node draws from its own auto_increment_offset)"))
        }
        return findings
    }

    static func replication(_ facts: PreflightFacts) -> [Finding] {
        var findings: [Finding] = []
        if !facts.logBin {
            findings.append(
                Finding(
                    .warning, "binlog-off",
                    "the source writes no binary log: it cannot feed the new replication topology while it catches up",
                    fix: "start the source with log_bin and binlog_format=ROW to replicate from it (live cutover)"))
        } else if facts.binlogFormat.uppercased() == "STATEMENT" {
            findings.append(
                Finding(
                    .warning, "binlog-format",
                    "binlog_format is STATEMENT: non-deterministic statements replicate differently",
                    objects: ["binlog_format=\(facts.binlogFormat)"],
                    fix: "SET GLOBAL binlog_format=ROW (and in the server's configuration)"))
        }
        if facts.serverID == 0 {
            findings.append(
                Finding(
                    .blocker, "server-id",
                    "server_id is 0: a server with it neither replicates nor serves as a primary",
                    objects: ["server_id=0"], fix: "set server_id to a number no server of the new topology uses"))
        } else if (10..<100).contains(facts.serverID) {
            findings.append(
                Finding(
                    .warning, "server-id",
                    "server_id \(facts.serverID) may clash with the ids the operator gives its pods (from 10 upward)",
                    objects: ["server_id=\(facts.serverID)"], fix: "give the source a server_id of 1000 or more"))
        }
        if !facts.events.isEmpty {
            findings.append(
                Finding(
                    .note, "events",
                    "events replicate disabled (SLAVESIDE_DISABLED) to replicas and run on the primary only",
                    objects: facts.events, fix: "nothing to do; after a switch-over enable them on the new primary"))
        }
        return findings
    }

    /// System-versioned tables: a logical backup carries their current rows only (issue #33), and no logical
    /// backup can carry transaction-precise history (mariadb-dump refuses --dump-history for it).
    static func history(_ facts: PreflightFacts) -> [Finding] {
        let precise = Set(facts.transactionPreciseTables)
        let timestamp = facts.versionedTables.filter { !precise.contains($0) }
        var findings: [Finding] = []
        if !timestamp.isEmpty {
            findings.append(
                Finding(
                    .warning, "history",
                    "\(timestamp.count) system-versioned table\(timestamp.count == 1 ? "" : "s"): a logical backup "
                        + "carries the current rows only, so the history (FOR SYSTEM_TIME ALL) stays on the source",
                    objects: timestamp,
                    fix: "take the physical route (backup --physical), which copies the history with the pages"))
        }
        if !precise.isEmpty {
            findings.append(
                Finding(
                    .warning, "history-transaction-precise",
                    "\(precise.count) table\(precise.count == 1 ? " keeps" : "s keep") transaction-precise history, "
                        + "which no logical backup can carry (mariadb-dump refuses --dump-history for it)",
                    objects: Array(precise),
                    fix: "take the physical route (backup --physical), which copies the history with the pages"))
        }
        return findings
    }

    static func definers(_ facts: PreflightFacts) -> [Finding] {
        let known = Set(facts.accounts).union(presentOnTarget)
        let missing = facts.definers.filter { !known.contains($0.definer) }
        guard !missing.isEmpty else { return [] }
        return [
            Finding(
                .warning, "definer",
                "\(missing.count) object\(missing.count == 1 ? " runs" : "s run") as an account that will not exist "
                    + "on the target: calling them fails with error 1449",
                objects: missing.map { "\($0.kind) \($0.object) (DEFINER \($0.definer))" },
                fix: "create those accounts on the source (they then migrate as User CRs), or recreate the objects "
                    + "with an existing DEFINER")
        ]
    }

    static func version(_ facts: PreflightFacts, target: (major: Int, minor: Int)) -> [Finding] {
        let source = (facts.major, facts.minor)
        if source > target {
            return [
                Finding(
                    .blocker, "version",
                    "the source runs MariaDB \(facts.major).\(facts.minor), newer than the target image's "
                        + "\(target.major).\(target.minor): a dump of a newer server may not load",
                    objects: ["\(facts.major).\(facts.minor) → \(target.major).\(target.minor)"],
                    fix: "use an image of \(facts.major).\(facts.minor) or newer")
            ]
        }
        if source < target {
            return [
                Finding(
                    .note, "version",
                    "the target image is newer (\(target.major).\(target.minor)) than the source "
                        + "(\(facts.major).\(facts.minor)): a logical dump moves forward; test the application on it",
                    objects: ["\(facts.major).\(facts.minor) → \(target.major).\(target.minor)"], fix: "nothing to do")
            ]
        }
        return []
    }

    static func quote(_ name: String) -> String { SQLQuoting.identifier(name) }

    /// The findings with the dump's fixes in view: one a chosen fix covers becomes a note that says so (it no
    /// longer stops the migration); one a fix could cover says how, beside the change on the source. Pure.
    public static func applying(_ fixes: [DumpFix], to findings: [Finding]) -> [Finding] {
        findings.map { finding in
            guard let fix = DumpFix.allCases.first(where: { $0.covers == finding.check }) else { return finding }
            var result = finding
            if fixes.contains(fix) {
                result.severity = .note
                result.message = "handled in the dump by the \(fix.rawValue) fix (the source is not changed): "
                    + finding.message
                result.fix = "nothing to do on the source; the backup rewrites the definitions (--fix \(fix.rawValue))"
            } else {
                result.fix += " (or leave the source as it is and fix it in the dump: --fix \(fix.rawValue))"
            }
            return result
        }.sorted { ($0.severity, $0.check) < ($1.severity, $1.check) }
    }

    /// A blocker for each table a chosen fix cannot rewrite (`DefinitionFixes` on its SHOW CREATE TABLE). Pure.
    public static func refusals(_ fixes: [DumpFix], definitions: [(table: String, statement: String)]) -> [Finding] {
        var refused: [(String, String)] = []
        for (table, statement) in definitions {
            do {
                _ = try DefinitionFixes.table(statement, table: table, fixes: fixes)
            } catch {
                refused.append((table, error.message))
            }
        }
        guard !refused.isEmpty else { return [] }
        return [
            Finding(
                .blocker, "fix-refused",
                "\(refused.count) table\(refused.count == 1 ? "" : "s") cannot be fixed in the dump: "
                    + refused.map(\.1).joined(separator: "; "),
                objects: refused.map(\.0), fix: "change these tables on the source, or leave them out (--database)")
        ]
    }
}
