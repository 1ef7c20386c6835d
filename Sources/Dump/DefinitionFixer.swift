import MariaDBClient

/// What a dump's fixes need to know: which fixes, which definers stay, and the account the others become.
public struct DefinitionFixOptions: Sendable, Equatable {
    public var fixes: [DumpFix]
    /// Definers that name accounts the migration carries, as mariadb-dump quotes them (`` `u`@`h` ``).
    public var keptDefiners: Set<String>
    /// The account other definers become, quoted the same way.
    public var definer: String
    /// Views and routines lose a definer not carried and run as their caller (SQL SECURITY INVOKER); triggers
    /// and events, which have no such mode, get the default definer.
    public var invoker: Bool

    /// `kept`: accounts as `user@host`; `definer`: `user@host` (default: the operator's root@localhost), or
    /// `invoker`.
    public init(fixes: [DumpFix], keptAccounts: [String] = [], definer: String = DefinitionFixOptions.defaultDefiner) {
        self.fixes = fixes
        keptDefiners = Set(keptAccounts.map(Self.quoted))
        invoker = definer == Self.invokerWord
        self.definer = Self.quoted(invoker ? Self.defaultDefiner : definer)
    }

    public static let defaultDefiner = "root@localhost"
    /// The `--definer` value that asks for SQL SECURITY INVOKER.
    public static let invokerWord = "invoker"

    /// `user@host` → `` `user`@`host` `` (the host after the last `@`).
    public static func quoted(_ account: String) -> String {
        let at = account.lastIndex(of: "@") ?? account.endIndex
        let host = at < account.endIndex ? String(account[account.index(after: at)...]) : "%"
        func tick(_ name: Substring) -> String { "`" + name.replacingOccurrences(of: "`", with: "``") + "`" }
        return tick(account[..<at]) + "@" + tick(Substring(host))
    }
}

/// The fixes of issue #31 applied to a mariadb-dump stream as it passes: each `CREATE TABLE` of an application
/// schema is gathered and rewritten (`DefinitionFixes`), and the DEFINER of each view, routine, trigger and event
/// that names an account not carried. Rows and everything else stream through untouched: a line is held only while
/// its first bytes may start something rewritten, so a dump's long INSERT lines pass as they come. Inside a
/// `DELIMITER ;;` block (a routine's body may hold its own CREATE TABLE) only the object's own header is read.
/// Pure; fed chunk by chunk; bytes that are not UTF-8 pass unchanged (a definition is read byte for byte).
public struct DefinitionFixer {
    public let options: DefinitionFixOptions
    /// What changed, object by object, in the dump's order.
    public private(set) var notes: [String] = []

    private var database = ""
    private var lines = LineStream()
    /// A CREATE TABLE being gathered, and whether its closing `)` line was seen.
    private var statement: [UInt8]?
    private var closed = false
    private var inDelimitedBody = false
    /// In a `DELIMITER ;;` block, the object's header was seen: what follows is its body, the user's text.
    private var headerSeen = false
    /// A view's definer was rewritten: its note waits for the next line, which names the view.
    private var viewDefinerNotes: [String]?
    /// The ALTER that makes a routine whose definer was removed SQL SECURITY INVOKER, written after its block.
    private var pendingAlter: [UInt8]?

    public init(_ options: DefinitionFixOptions) { self.options = options }

    private static let createTable = Array("CREATE TABLE ".utf8)
    private static let ifNotExists = Array("CREATE TABLE IF NOT EXISTS ".utf8)
    private static let use = Array("USE ".utf8)
    private static let delimiterOpen = Array("DELIMITER ;;\n".utf8)
    private static let delimiterClose = Array("DELIMITER ;\n".utf8)
    /// The session lines mariadb-dump writes in a block before the object's header.
    private static let blockSetting = Array("/*!50003 SET ".utf8)
    /// How mariadb-dump starts the line with the DEFINER of a view, a routine, a trigger and an event.
    private static let definerLines = [
        "/*!50013 DEFINER=", "CREATE DEFINER=", "/*!50003 CREATE*/ /*!50017 DEFINER=",
        "/*!50106 CREATE*/ /*!50117 DEFINER=",
    ].map { Array($0.utf8) }
    private static let held = [createTable, use, Array("DELIMITER ".utf8)] + definerLines

    var fixesTables: Bool { options.fixes.contains(.innodb) || options.fixes.contains(.invisiblePrimaryKey) }

    public mutating func consume(_ chunk: [UInt8]) throws(DefinitionFixError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(chunk.count + 256)
        var stream = lines
        lines = LineStream()
        defer { lines = stream }
        try stream.consume(
            chunk, into: &output, mayMatter: { start in statement != nil || mayMatter(start) },
            handle: { (line, output) throws(DefinitionFixError) in try handle(line, into: &output) })
        return output
    }

    /// What is left at the end: a last line without its newline, or a definition never closed, as they were.
    public mutating func finish() -> [UInt8] {
        defer { statement = nil }
        return (statement ?? []) + lines.finish()
    }

    /// A line so far may begin something this fixer rewrites or tracks. Outside a DELIMITER block no line of
    /// rows or of a multi-line statement starts so (rows start with `INSERT` or `(`, columns with spaces);
    /// inside one only lines before the header can.
    private func mayMatter(_ start: [UInt8]) -> Bool {
        if viewDefinerNotes != nil { return true }
        if inDelimitedBody && headerSeen { return Self.delimiterClose.starts(with: start) }
        return Self.held.contains { prefix in
            start.count >= prefix.count ? start.starts(with: prefix) : prefix.starts(with: start)
        } || inDelimitedBody && (start.count >= Self.blockSetting.count
            ? start.starts(with: Self.blockSetting) : Self.blockSetting.starts(with: start))
    }

    private mutating func handle(_ line: [UInt8], into output: inout [UInt8]) throws(DefinitionFixError) {
        if statement != nil {
            statement! += line
            if line.first == UInt8(ascii: ")") { closed = true }
            if closed && line.dropLast().last == UInt8(ascii: ";") {
                output += try fixedTable(statement!)
                statement = nil
                closed = false
            }
            return
        }
        if let changes = viewDefinerNotes {
            viewDefinerNotes = nil
            let object = object(in: Self.latin1(line)) ?? "a view"
            notes += changes.map { "\(object): \($0)" }
        }
        if line == Self.delimiterOpen {
            inDelimitedBody = true
            headerSeen = false
        } else if line == Self.delimiterClose {
            inDelimitedBody = false
            if let alter = pendingAlter {
                pendingAlter = nil
                return output += line + alter
            }
        } else if inDelimitedBody {
            if headerSeen || line.starts(with: Self.blockSetting) { return output += line }
            headerSeen = true
            if Self.definerLines.contains(where: { line.starts(with: $0) }) {
                return output += rewritingDefiner(line)
            }
        } else if Self.definerLines.contains(where: { line.starts(with: $0) }) {
            return output += rewritingDefiner(line)
        } else if line.starts(with: Self.use), let name = DumpSplicer.identifier(line.dropFirst(Self.use.count)) {
            database = String(decoding: name, as: UTF8.self)
        } else if fixesTables && line.starts(with: Self.createTable) && !line.starts(with: Self.ifNotExists)
            && !SystemObjects.schemas.contains(database)
        {
            statement = line
            closed = false
            return
        }
        output += line
    }

    private static let viewDefiner = Array("/*!50013 DEFINER=".utf8)
    private static let routineDefiner = Array("CREATE DEFINER=".utf8)

    private mutating func rewritingDefiner(_ line: [UInt8]) -> [UInt8] {
        guard options.fixes.contains(.definers) else { return line }
        let text = Self.latin1(line)
        let kept = Set(options.keptDefiners.map { Self.latin1(Array($0.utf8)) })
        let asInvoker =
            options.invoker && (line.starts(with: Self.viewDefiner) || line.starts(with: Self.routineDefiner))
        var fixed =
            asInvoker
            ? DefinitionFixes.invoker(text, kept: kept)
            : DefinitionFixes.definers(text, kept: kept, account: Self.latin1(Array(options.definer.utf8)))
        guard !fixed.notes.isEmpty else { return line }
        if options.invoker && !asInvoker {
            fixed.notes = fixed.notes.map { $0 + " (it has no SQL SECURITY INVOKER)" }
        }
        if asInvoker && line.starts(with: Self.routineDefiner), let alter = Self.invokerAlter(fixed.text) {
            pendingAlter = alter
        }
        let changes = fixed.notes.map(Self.utf8)
        if let object = object(in: text) {
            notes += changes.map { "\(object): \($0)" }
        } else {
            // A view's name is on the line after its DEFINER's.
            viewDefinerNotes = changes
        }
        return Self.bytes(fixed.text)
    }

    /// `ALTER PROCEDURE `p` SQL SECURITY INVOKER;` for the routine a `CREATE PROCEDURE|FUNCTION` line creates.
    static func invokerAlter(_ line: String) -> [UInt8]? {
        for kind in ["PROCEDURE", "FUNCTION"] {
            guard let range = line.range(of: "CREATE \(kind) ") else { continue }
            let bytes = Self.bytes(String(line[range.upperBound...]))
            guard let name = DumpSplicer.identifier(bytes[...]) else { return nil }
            let quoted = "`" + String(decoding: name, as: UTF8.self).replacingOccurrences(of: "`", with: "``") + "`"
            return Array("ALTER \(kind) \(quoted) SQL SECURITY INVOKER;\n".utf8)
        }
        return nil
    }

    /// `procedure db.p`, `trigger db.tr`, … from the line that creates it.
    private func object(in line: String) -> String? {
        guard let (kind, name) = DefinitionFixer.objectName(after: line) else { return nil }
        return "\(kind) \(database.isEmpty ? "" : database + ".")\(Self.utf8(name))"
    }

    private mutating func fixedTable(_ bytes: [UInt8]) throws(DefinitionFixError) -> [UInt8] {
        let name = DumpSplicer.identifier(bytes.dropFirst(Self.createTable.count)[...])
            .map { String(decoding: $0, as: UTF8.self) } ?? "?"
        let table = database.isEmpty ? name : "\(database).\(name)"
        let fixed = try DefinitionFixes.table(Self.latin1(bytes), table: table, fixes: options.fixes)
        guard !fixed.notes.isEmpty else { return bytes }
        notes += fixed.notes
        return Self.bytes(fixed.text)
    }

    /// The kind and name of the object a line creates: `procedure`, `p` from `` … PROCEDURE `p`(… ``.
    static func objectName(after line: String) -> (String, String)? {
        for kind in ["VIEW", "PROCEDURE", "FUNCTION", "TRIGGER", "EVENT", "PACKAGE BODY", "PACKAGE"] {
            guard let range = line.range(of: " \(kind) ") else { continue }
            let name = line[range.upperBound...].prefix { $0 != "(" && $0 != " " && $0 != "\n" }
            return (kind.lowercased(), name.replacingOccurrences(of: "`", with: ""))
        }
        return nil
    }

    /// Text read byte for byte (`latin1`), with characters added since, as the UTF-8 it was.
    static func utf8(_ text: String) -> String {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            if scalar.value < 256 { bytes.append(UInt8(scalar.value)) } else { bytes += Array(String(scalar).utf8) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Bytes as text one character each (ISO 8859-1), so any byte survives a rewrite and comes back as it was.
    static func latin1(_ bytes: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.lazy.map { Unicode.Scalar($0) })
        return String(scalars)
    }

    static func bytes(_ text: String) -> [UInt8] { text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) } }
}

/// A dump source with the fixes applied (`DefinitionFixer`). Rows a `SplicedDump` read itself pass untouched:
/// they hold no definition, and they come between whole lines of mariadb-dump's.
public final class FixedDump: DumpSource, @unchecked Sendable {
    private let inner: any DumpSource
    /// The inner source when it splices rows in, whose row chunks pass untouched.
    private let spliced: SplicedDump?
    private var fixer: DefinitionFixer
    private var ended = false

    public init(_ inner: any DumpSource, options: DefinitionFixOptions) {
        self.inner = inner
        spliced = inner as? SplicedDump
        fixer = DefinitionFixer(options)
    }

    public var notes: [String] { fixer.notes }

    public func read() async throws -> [UInt8]? {
        while !ended {
            guard let chunk = try await inner.read() else {
                ended = true
                let rest = fixer.finish()
                return rest.isEmpty ? nil : rest
            }
            if spliced?.lastReadWasRows == true { return chunk }
            let output = try fixer.consume(chunk)
            inner.recycle(chunk)
            if !output.isEmpty { return output }
        }
        return nil
    }

    public func recycle(_ chunk: consuming [UInt8]) { inner.recycle(chunk) }
}
