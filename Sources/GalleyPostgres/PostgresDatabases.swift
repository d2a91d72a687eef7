import Foundation
import Logging
import PostgresNIO

/// Databases made and dropped beside an archive's, for benchmarks that need a fresh archive per
/// run on an operator's server. The archive itself never makes or drops a database.
package enum PostgresDatabases {
    /// Makes database `name` (letters, digits, underscores) on the server `url` names, with a
    /// UTF-8 locale (search needs one); returns its URL.
    package static func create(_ name: String, beside url: DatabaseURL) async throws -> DatabaseURL {
        try await maintenance(url, "CREATE DATABASE \(try checked(name)) TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
        var made = url
        made.database = name
        return made
    }

    /// Drops database `name`, ending its sessions first.
    package static func drop(_ name: String, beside url: DatabaseURL) async throws {
        try await maintenance(url, "DROP DATABASE IF EXISTS \(try checked(name)) WITH (FORCE)")
    }

    static func checked(_ name: String) throws -> String {
        guard !name.isEmpty, name.count <= 63, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw DatabaseURLError("A database name of letters, digits and underscores, up to 63; got '\(name)'.")
        }
        return name.lowercased()
    }

    /// One statement on the server's `postgres` database (CREATE and DROP DATABASE cannot run in
    /// the database they name).
    static func maintenance(_ url: DatabaseURL, _ sql: String) async throws {
        var server = url
        server.database = "postgres"
        let logger = Logger(label: "galley.postgres")
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: server.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            throw DatabaseUnreachable(reason: DatabaseUnreachable.describe(error))
        }
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            try? await connection.close()
        } catch {
            try? await connection.close()
            throw PostgresArchive.storeError(error)
        }
    }
}
