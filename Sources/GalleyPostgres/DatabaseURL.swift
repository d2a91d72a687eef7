import Foundation
import NIOSSL
import Logging
import PostgresNIO

/// Where a PostgreSQL archive is: `postgres://user:password@host:port/database`, with
/// `?sslmode=disable|prefer|require` (default: `prefer`, or `disable` on loopback) and
/// `?host=/run/postgresql` for a Unix socket.
package struct DatabaseURL: Sendable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var socketPath: String?
    package var user: String
    package var password: String?
    package var database: String
    package var sslmode: String

    /// Whether `text` names a PostgreSQL database (anything else is not ours to parse).
    package static func isPostgres(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    package init(_ text: String) throws {
        guard Self.isPostgres(text), let components = URLComponents(string: text) else {
            throw DatabaseURLError("The database URL must look like postgres://user:password@host:5432/database; got something else.")
        }
        let query = Dictionary((components.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        socketPath = query["host"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        port = components.port ?? 5432
        user = components.user.flatMap { $0.removingPercentEncoding } ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        password = components.password.flatMap { $0.removingPercentEncoding }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.removingPercentEncoding ?? path
        guard !database.isEmpty else {
            throw DatabaseURLError("The database URL names no database: add one after the host, as in postgres://galley@127.0.0.1:5432/galley.")
        }
        let loopback = socketPath != nil || ["127.0.0.1", "localhost", "::1"].contains(host)
        sslmode = query["sslmode"] ?? (loopback ? "disable" : "prefer")
        guard ["disable", "prefer", "require"].contains(sslmode) else {
            throw DatabaseURLError("sslmode must be disable, prefer or require; got '\(sslmode)'.")
        }
    }

    /// The address without the password: what logs and messages may show.
    package var description: String {
        let who = password == nil ? user : "\(user):***"
        if let socketPath { return "postgres://\(who)@/\(database)?host=\(socketPath)" }
        return "postgres://\(who)@\(host):\(port)/\(database)"
    }

    func clientConfiguration() -> PostgresClient.Configuration {
        if let socketPath {
            let socket = socketPath.hasSuffix(".s.PGSQL.\(port)") ? socketPath : "\(socketPath)/.s.PGSQL.\(port)"
            return PostgresClient.Configuration(unixSocketPath: socket, username: user, password: password, database: database)
        }
        let tls: PostgresClient.Configuration.TLS = switch sslmode {
        case "disable": .disable
        case "require": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}

extension DatabaseURL {
    /// One direct connection's settings, for asking the server why it will not take us.
    func connectionConfiguration() -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if let socketPath {
            let socket = socketPath.hasSuffix(".s.PGSQL.\(port)") ? socketPath : "\(socketPath)/.s.PGSQL.\(port)"
            configuration = PostgresConnection.Configuration(unixSocketPath: socket, username: user, password: password, database: database)
        } else {
            let tls: PostgresConnection.Configuration.TLS = switch sslmode {
            case "disable": .disable
            case "require": .require(try! NIOSSLContext(configuration: .makeClientConfiguration()))
            default: .prefer(try! NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration = PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }
}

/// Why the database would not take a connection, in PostgreSQL's words where it gave any.
package struct DatabaseUnreachable: Error, CustomStringConvertible {
    package let reason: String
    package var description: String { reason }

    /// Connects once, directly: the pool only retries and times out, and says nothing of why.
    static func probe(_ url: DatabaseURL, logger: Logger) async throws {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: url.connectionConfiguration(), id: 0, logger: logger)
        } catch {
            throw DatabaseUnreachable(reason: Self.describe(error))
        }
        try? await connection.close()
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let message = error.serverInfo?[.message] { return message }
        if error.code == .sslUnsupported { return "the server does not offer TLS, and sslmode=require asks for it" }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }
}

package struct DatabaseURLError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
