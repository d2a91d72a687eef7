import GRDB

/// A database connection whose failures leave it as ``StoreError``s: nothing above the store
/// needs to know that SQLite (or GRDB) is underneath to tell a full disk from a bug.
struct Storage: Sendable {
    let database: any DatabaseWriter

    init(_ database: any DatabaseWriter) {
        self.database = database
    }

    /// Makes the writer flush every commit to the disk (`synchronous = FULL`): a power cut
    /// then takes back no transaction that was answered (a push acknowledged, an edit saved
    /// offline). GRDB sets NORMAL on a pool's writer when it turns WAL on, after the
    /// configuration's own statements, so it is set here, once the database is open.
    static func flushingEveryCommit(_ pool: any DatabaseWriter) throws {
        do { try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = FULL") } } catch { throw StoreError.from(error) }
    }

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await mapped { try await database.read(body) }
    }

    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await mapped { try await database.write(body) }
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database.read(body) } catch { throw StoreError.from(error) }
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database.write(body) } catch { throw StoreError.from(error) }
    }

    /// For what cannot run inside a transaction (ATTACH, checkpoints); the body opens its own.
    func writeWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try database.writeWithoutTransaction(body) } catch { throw StoreError.from(error) }
    }

    func close() throws {
        do { try database.close() } catch { throw StoreError.from(error) }
    }

    private func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch { throw StoreError.from(error) }
    }
}

/// Why the store failed, in words that do not depend on the database underneath.
package enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The storage cannot be written now; nothing was changed, and trying later may work.
    case unavailable(Unavailable)
    /// The stored data is damaged.
    case corrupt(String)
    /// Anything else the database refused (a bug, not the input): its message, never its arguments.
    case failed(String)

    package enum Unavailable: Sendable, Equatable {
        case diskFull, readOnly, busy, ioError, rolledBack
        /// The database server cannot be reached (it restarts, or the network to it is down).
        case unreachable
    }

    package var description: String {
        switch self {
        case .unavailable(.diskFull): "The disk is full."
        case .unavailable(.readOnly): "The storage is read-only."
        case .unavailable(.busy): "The storage is busy."
        case .unavailable(.ioError), .unavailable(.rolledBack): "The storage failed to read or write."
        case .unavailable(.unreachable): "The database cannot be reached."
        case .corrupt(let what): "The database is damaged: \(what). Restore it from a backup."
        case .failed(let message): "The database failed: \(message)."
        }
    }

    /// `error` as a store error; errors that are not the database's (a ``GalleyError`` thrown
    /// inside a transaction, say) pass through as they are.
    static func from(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        return StoreError(database: error)
    }

    init(database error: DatabaseError) {
        switch error.resultCode {
        case .SQLITE_FULL: self = .unavailable(.diskFull)
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN: self = .unavailable(.readOnly)
        case .SQLITE_BUSY, .SQLITE_LOCKED: self = .unavailable(.busy)
        case .SQLITE_IOERR: self = .unavailable(.ioError)
        case .SQLITE_ABORT: self = .unavailable(.rolledBack)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: self = .corrupt(error.message ?? "\(error.resultCode)")
        default: self = .failed("\(error.extendedResultCode): \(error.message ?? "")")
        }
    }
}
