import Foundation
import GalleyStore
import Logging
import NIOCore
import PostgresNIO
import Synchronization

/// A value bound to a `?` of a statement.
protocol PGBind: Sendable {
    func append(to bindings: inout PostgresBindings)
}

extension String: PGBind {
    func append(to bindings: inout PostgresBindings) { bindings.append(self) }
}

extension Int64: PGBind {
    func append(to bindings: inout PostgresBindings) { bindings.append(self) }
}

extension Int: PGBind {
    func append(to bindings: inout PostgresBindings) { bindings.append(Int64(self)) }
}

extension Bool: PGBind {
    func append(to bindings: inout PostgresBindings) { bindings.append(self) }
}

extension Double: PGBind {
    func append(to bindings: inout PostgresBindings) { bindings.append(self) }
}

extension Data: PGBind {
    func append(to bindings: inout PostgresBindings) { bindings.append(ByteBuffer(bytes: self)) }
}

extension Array: PGBind where Element == String {
    func append(to bindings: inout PostgresBindings) { bindings.append(self) }
}

extension Optional: PGBind where Wrapped: PGBind {
    func append(to bindings: inout PostgresBindings) {
        switch self {
        case .none: bindings.appendNull()
        case .some(let value): value.append(to: &bindings)
        }
    }
}

/// A statement written with `?` placeholders, as the SQLite archive writes them, so that the two
/// archives' SQL reads alike; each `?` becomes `$1`, `$2` … No statement here puts a `?` inside a
/// string literal or uses PostgreSQL's `?` JSON operators.
func statement(_ sql: String, _ values: [any PGBind]) -> PostgresQuery {
    var text = ""
    text.reserveCapacity(sql.utf8.count + values.count * 2)
    var n = 0
    for ch in sql {
        if ch == "?" {
            n += 1
            text += "$\(n)"
        } else {
            text.append(ch)
        }
    }
    precondition(n == values.count, "a statement has \(n) placeholders and \(values.count) values: \(sql)")
    var bindings = PostgresBindings(capacity: values.count)
    for value in values { value.append(to: &bindings) }
    return PostgresQuery(unsafeSQL: text, binds: bindings)
}

/// A row by column name; reading a column as the wrong type is a damaged archive, not a crash.
struct PGRow: Sendable {
    let cells: PostgresRandomAccessRow

    init(_ row: PostgresRow) {
        cells = row.makeRandomAccess()
    }

    subscript<T: PostgresDecodable>(_ column: String) -> T {
        get throws {
            guard cells.contains(column) else { throw StoreError.failed("a query read no column \(column)") }
            do {
                return try cells[column].decode(T.self)
            } catch {
                throw StoreError.corrupt("the column \(column) holds a value of the wrong type")
            }
        }
    }
}

/// One leased connection driven synchronously from a thread of the archive's pool (never an event
/// loop): the change log's transaction is synchronous code shared with the SQLite archive, and
/// waiting for each answer keeps it so.
struct PGConnection: @unchecked Sendable {
    let connection: PostgresConnection
    let logger: Logger

    /// The rows of a query.
    func rows(_ sql: String, _ values: [any PGBind] = []) throws -> [PGRow] {
        do {
            return try answer(connection.query(statement(sql, values), logger: logger)).rows.map(PGRow.init)
        } catch {
            throw PostgresArchive.storeError(error)
        }
    }

    func row(_ sql: String, _ values: [any PGBind] = []) throws -> PGRow? {
        try rows(sql, values).first
    }

    /// The first column of the first row, if there is a row and its value is not NULL.
    func value<T: PostgresDecodable>(_ type: T.Type, _ sql: String, _ values: [any PGBind] = []) throws -> T? {
        guard let row = try rows(sql, values).first, row.cells.count > 0, row.cells[0].bytes != nil else { return nil }
        do {
            return try row.cells[0].decode(T.self)
        } catch {
            throw StoreError.corrupt("a query's answer has the wrong type")
        }
    }

    /// Runs a statement; returns the number of rows it changed.
    @discardableResult
    func execute(_ sql: String, _ values: [any PGBind] = []) throws -> Int {
        do {
            let result = try answer(connection.query(statement(sql, values), logger: logger))
            return result.metadata.rows ?? 0
        } catch {
            throw PostgresArchive.storeError(error)
        }
    }

    /// Waits for a query's answer, or for its connection to close: PostgresNIO never answers a
    /// query written to a connection the database has just closed (a restart), and a plain
    /// `wait()` would hold the request, and its thread, for ever.
    private func answer<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<T, any Error>?>(nil)
        future.whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        while done.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
            // An answer already on its way still arrives; then the closed connection is the answer.
            if connection.isClosed, done.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
                throw StoreError.unavailable(.unreachable)
            }
        }
        return try outcome.withLock { $0! }.get()
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ begin: String = "BEGIN", _ body: () throws -> T) throws -> T {
        try execute(begin)
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            // A broken connection cannot roll back; the server does so when it goes.
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` in a savepoint, all of it or none, inside the caller's transaction.
    func savepoint<T>(_ body: () throws -> T) throws -> T {
        try execute("SAVEPOINT change")
        do {
            let value = try body()
            try execute("RELEASE SAVEPOINT change")
            return value
        } catch {
            _ = try? execute("ROLLBACK TO SAVEPOINT change")
            throw error
        }
    }
}
