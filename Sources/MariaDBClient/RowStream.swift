import Blocking
import CMariaDB

/// How a column's values are written back as SQL literals, as mariadb-dump decides it from the
/// result's field flags.
public struct StreamedColumn: Sendable, Equatable {
    /// A number (NUM_FLAG): written bare, not quoted.
    public var numeric: Bool
    /// The pre-5.0 DECIMAL type, a number written in quotes.
    public var quotedNumber: Bool

    public init(numeric: Bool, quotedNumber: Bool = false) {
        self.numeric = numeric
        self.quotedNumber = quotedNumber
    }
}

/// A row's values by column: the bytes as the server sent them, nil for NULL.
public protocol RowValues {
    func value(at index: Int) -> UnsafeRawBufferPointer?
}

/// One row of a streamed result, valid only inside the `RowConsumer.consume` call that gets it.
public struct StreamedRow: RowValues {
    @usableFromInline let values: MYSQL_ROW
    @usableFromInline let lengths: UnsafeMutablePointer<UInt>

    /// The bytes of column `index` as the server sent them; nil for NULL.
    @inlinable
    public func value(at index: Int) -> UnsafeRawBufferPointer? {
        guard let cell = values[index] else { return nil }
        return UnsafeRawBufferPointer(start: cell, count: Int(lengths[index]))
    }
}

/// Takes the rows of `MariaDBConnection.streamRows` on the connection's queue, one at a time.
public protocol RowConsumer: AnyObject, Sendable {
    func begin(columns: [StreamedColumn]) throws
    func consume(_ row: StreamedRow) throws
    func end() throws
}

extension MariaDBConnection {
    /// Runs a query and hands its rows to `consumer` as the server sends them (an unbuffered
    /// result, `mysql_use_result`): memory stays at one row however large the table. A throw from
    /// the consumer stops the read; the rest of the result is discarded with the statement.
    public func streamRows(_ sql: String, into consumer: some RowConsumer) async throws {
        try await onQueue { handle in
            var bytes = Array(sql.utf8)
            let status = bytes.withUnsafeMutableBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { mysql_real_query(handle, $0.baseAddress, UInt($0.count)) }
            }
            guard status == 0 else { throw self.lastError(.query, statement: sql) }
            guard let result = mysql_use_result(handle) else { throw self.lastError(.result, statement: sql) }
            defer { mysql_free_result(result) }
            let count = Int(mysql_num_fields(result))
            let fields = mysql_fetch_fields(result)!
            try consumer.begin(
                columns: (0..<count).map {
                    StreamedColumn(
                        numeric: fields[$0].flags & UInt32(NUM_FLAG) != 0,
                        quotedNumber: fields[$0].type == MYSQL_TYPE_DECIMAL)
                })
            while let values = mysql_fetch_row(result) {
                try consumer.consume(StreamedRow(values: values, lengths: mysql_fetch_lengths(result)!))
            }
            // mysql_fetch_row returns NULL at the end and on a read error alike.
            if mysql_errno(handle) != 0 { throw self.lastError(.result, statement: sql) }
            try consumer.end()
        }
    }
}
