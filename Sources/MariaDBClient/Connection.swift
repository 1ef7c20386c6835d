import Blocking
import CMariaDB
import Dispatch

/// One connection to a MariaDB server. Owns the libmariadb handle and frees it in `deinit`.
/// Every blocking libmariadb call runs on the connection's own serial queue, never on the
/// cooperative thread pool; the handle is touched only from that queue.
public final class MariaDBConnection: @unchecked Sendable {
    private let handle: UnsafeMutablePointer<MYSQL>
    private let queue: DispatchQueue
    /// What error messages name: `host:port` or the socket.
    public let endpoint: String

    private init(handle: UnsafeMutablePointer<MYSQL>, queue: DispatchQueue, endpoint: String) {
        self.handle = handle
        self.queue = queue
        self.endpoint = endpoint
    }

    // The last reference may drop on the queue itself, so no `queue.sync` here; nothing else
    // can be using the handle once the object is gone.
    deinit { mysql_close(handle) }

    /// libmariadb wants its library initialised once, before any thread uses it.
    private static let libraryReady: Bool = { mysql_server_init(0, nil, nil) == 0 }()

    public static func connect(_ settings: ConnectionSettings) async throws -> MariaDBConnection {
        let queue = DispatchQueue(label: "mariadb-connection")
        return try await runBlocking(on: queue) { try connectBlocking(settings, queue: queue) }
    }

    private static func connectBlocking(
        _ settings: ConnectionSettings, queue: DispatchQueue
    ) throws -> MariaDBConnection {
        _ = libraryReady
        guard let handle = mysql_init(nil) else {
            throw MariaDBError(
                kind: .connect, code: 2008, sqlState: "HY000", message: "out of memory",
                endpoint: settings.endpointDescription)
        }
        var timeout = UInt32(max(1, settings.connectTimeoutSeconds))
        mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &timeout)
        mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4")
        var protocolValue: UInt32
        let host: String?
        let port: UInt32
        let socket: String?
        switch settings.transport {
        case .tcp(let h, let p):
            protocolValue = UInt32(MYSQL_PROTOCOL_TCP.rawValue)
            host = h
            port = UInt32(p)
            socket = nil
        case .socket(let path):
            protocolValue = UInt32(MYSQL_PROTOCOL_SOCKET.rawValue)
            host = "localhost"
            port = 0
            socket = path
        }
        mysql_options(handle, MYSQL_OPT_PROTOCOL, &protocolValue)
        if settings.tls.enabled {
            mysql_ssl_set(handle, settings.tls.keyFile, settings.tls.certFile, settings.tls.caFile, nil, nil)
            var enforce: my_bool = 1
            mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &enforce)
            var verify: my_bool = settings.tls.verifyServerCertificate ? 1 : 0
            mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify)
        }
        let connected = mysql_real_connect(
            handle, host, settings.user, settings.password, settings.database,
            port, socket, 0)
        guard connected != nil else {
            let error = MariaDBError(
                kind: .connect, code: mysql_errno(handle), sqlState: String(cString: mysql_sqlstate(handle)),
                message: String(cString: mysql_error(handle)), endpoint: settings.endpointDescription)
            mysql_close(handle)
            throw error
        }
        return MariaDBConnection(handle: handle, queue: queue, endpoint: settings.endpointDescription)
    }

    /// Runs a statement and returns its rows (an empty set with `affectedRows` for statements
    /// without a result).
    @discardableResult
    public func query(_ sql: String) async throws -> ResultSet {
        try await runBlocking(on: queue) { try self.queryBlocking(sql) }
    }

    /// Runs one statement given as raw bytes (a dump's statement may hold binary data that is
    /// not UTF-8); any result is read and dropped. Returns the rows it changed (an INSERT's rows).
    @discardableResult
    public func execute(raw statement: [UInt8]) async throws -> UInt64 {
        try await runBlocking(on: queue) {
            let status = statement.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) {
                    mysql_real_query(self.handle, $0.baseAddress, UInt($0.count))
                }
            }
            guard status == 0 else {
                throw self.lastError(.query, statement: String(decoding: statement.prefix(200), as: UTF8.self))
            }
            if let result = mysql_store_result(self.handle) {
                mysql_free_result(result)
                return 0
            }
            let changed = mysql_affected_rows(self.handle)
            return changed == UInt64.max ? 0 : changed
        }
    }

    /// Runs statements one after another on this connection.
    public func execute(_ statements: [String]) async throws {
        for statement in statements { try await query(statement) }
    }

    /// Quotes a string literal for SQL with the connection's character set rules.
    public func quote(_ text: String) -> String {
        queue.sync {
            var bytes = Array(text.utf8)
            var out = [CChar](repeating: 0, count: bytes.count * 2 + 1)
            let length = bytes.withUnsafeMutableBufferPointer { input in
                input.withMemoryRebound(to: CChar.self) {
                    mysql_real_escape_string(handle, &out, $0.baseAddress, UInt(input.count))
                }
            }
            bytes = out.prefix(Int(length)).map { UInt8(bitPattern: $0) }
            return "'" + String(decoding: bytes, as: UTF8.self) + "'"
        }
    }

    private func queryBlocking(_ sql: String) throws -> ResultSet {
        var bytes = Array(sql.utf8)
        let status = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { mysql_real_query(handle, $0.baseAddress, UInt($0.count)) }
        }
        guard status == 0 else { throw lastError(.query, statement: sql) }
        guard let result = mysql_store_result(handle) else {
            if mysql_field_count(handle) != 0 { throw lastError(.result, statement: sql) }
            return ResultSet(columns: [], rows: [], affectedRows: mysql_affected_rows(handle))
        }
        defer { mysql_free_result(result) }
        let fieldCount = Int(mysql_num_fields(result))
        let fields = mysql_fetch_fields(result)!
        let columns = (0..<fieldCount).map { Self.column(fields[$0]) }
        var rows: [[Value]] = []
        rows.reserveCapacity(Int(mysql_num_rows(result)))
        while let row = mysql_fetch_row(result) {
            let lengths = mysql_fetch_lengths(result)!
            var values: [Value] = []
            values.reserveCapacity(fieldCount)
            for index in 0..<fieldCount {
                if let cell = row[index] {
                    let buffer = UnsafeBufferPointer(
                        start: UnsafeRawPointer(cell).assumingMemoryBound(to: UInt8.self),
                        count: Int(lengths[index]))
                    values.append(columns[index].value(from: buffer))
                } else {
                    values.append(.null)
                }
            }
            rows.append(values)
        }
        return ResultSet(columns: columns, rows: rows)
    }

    private static func column(_ field: MYSQL_FIELD) -> Column {
        let unsigned = field.flags & UInt32(UNSIGNED_FLAG) != 0
        let kind: Column.Kind
        switch field.type {
        case MYSQL_TYPE_TINY, MYSQL_TYPE_SHORT, MYSQL_TYPE_LONG, MYSQL_TYPE_INT24, MYSQL_TYPE_LONGLONG, MYSQL_TYPE_YEAR:
            kind = unsigned ? .unsignedInteger : .signedInteger
        case MYSQL_TYPE_FLOAT, MYSQL_TYPE_DOUBLE:
            kind = .floatingPoint
        case MYSQL_TYPE_DECIMAL, MYSQL_TYPE_NEWDECIMAL:
            kind = .decimal
        case MYSQL_TYPE_TINY_BLOB, MYSQL_TYPE_MEDIUM_BLOB, MYSQL_TYPE_LONG_BLOB, MYSQL_TYPE_BLOB,
            MYSQL_TYPE_VAR_STRING, MYSQL_TYPE_STRING, MYSQL_TYPE_VARCHAR:
            kind = field.charsetnr == 63 ? .binary : .text  // 63 is the binary character set
        default:
            kind = .text
        }
        return Column(name: String(cString: field.name), kind: kind)
    }

    /// Runs `body` with the handle on the connection's queue (for the extensions in other files).
    func onQueue<T: Sendable>(_ body: @escaping @Sendable (UnsafeMutablePointer<MYSQL>) throws -> T) async throws -> T {
        try await runBlocking(on: queue) { try body(self.handle) }
    }

    func lastError(_ kind: MariaDBError.Kind, statement: String?) -> MariaDBError {
        MariaDBError(
            kind: kind, code: mysql_errno(handle), sqlState: String(cString: mysql_sqlstate(handle)),
            message: String(cString: mysql_error(handle)), endpoint: endpoint, statement: statement)
    }
}
