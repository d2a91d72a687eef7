import Foundation
import GalleyPostgres
import GalleyStore
import Testing

/// The archive a backend test runs against: the same test, once on each.
package enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    /// SQLite always; PostgreSQL where it is installed (``postgresIsThere`` shows the skip).
    package static var all: [Backend] { TestPostgres.available ? [.sqlite, .postgres] : [.sqlite] }

    package var testDescription: String { rawValue }

    /// A new, empty archive.
    package func open() async throws -> any ArchiveStore {
        switch self {
        case .sqlite: try SQLiteArchive.inMemory()
        case .postgres: try await Self.postgres(TestPostgres.newDatabase())
        }
    }

    /// An archive on the database at `url`, as a test opens it: a small pool (the whole suite runs
    /// a hundred of these at once on one cluster), and patience for a connection, since a suite
    /// that saturates the machine can keep one waiting past the 5 seconds a server allows.
    package static func postgres(_ url: String) async throws -> PostgresArchive {
        try await PostgresArchive(url: DatabaseURL(url), connections: 4, leaseTimeout: .seconds(120))
    }
}

