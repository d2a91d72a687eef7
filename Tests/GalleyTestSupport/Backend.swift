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
        case .postgres: try await PostgresArchive.open(try TestPostgres.newDatabase())
        }
    }
}

