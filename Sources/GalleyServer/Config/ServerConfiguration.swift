import Foundation
import GalleyCore
import Logging
import Yams

/// Everything `galley-server` can be told. Defaults are documented in
/// `ServerConfig/galley-server.yaml`; a YAML file given with `--config` overrides them, and an
/// environment variable (`GALLEY_PORT`, …) overrides both.
package struct ServerConfiguration: Sendable, Equatable {
    /// The interface to listen on. Loopback by default: put a TLS-terminating proxy in front.
    package var host = "127.0.0.1"
    package var port = 8080
    /// Where the archive (`archive.sqlite`) and media live.
    package var dataDir = "./galley-data"
    /// How long a login lasts.
    package var tokenTTLDays = 30
    /// The largest request body accepted (bytes).
    package var maxBodyBytes = 16 << 20
    /// The category whose latest articles fill "Recent trends" on article pages.
    package var trendsCategory = "trends"
    /// bcrypt cost for password hashes (each +1 doubles the work).
    package var bcryptCost = 12
    /// Consecutive failed logins for one name within a minute before it is slowed down.
    package var loginAttemptsPerMinute = 5
    package var logLevel = Logger.Level.info
    /// The public URL of the site, for canonical links and the Atom feed (optional).
    package var publicURL: String?
    /// The site's name, in page titles and feeds.
    package var siteName = "Galley"
    /// The time zone dates are shown in on the site (they are stored in UTC).
    package var timeZone = TimeZone.current.identifier
    /// A PostgreSQL database for the archive (`postgres://user:password@host:5432/galley`),
    /// shared by several servers; absent: the embedded SQLite archive under `dataDir`.
    package var databaseURL: String?
    /// Below this many events in the archive a reviewer's first sync pulls page by page, which
    /// is then about as quick as a prepared replica (``ReplicaSnapshots``).
    package var snapshotMinimumEvents: Int64 = 2_000
    /// How long a client may leave its connection idle, a request unfinished, or an answer
    /// unread, before the connection is closed.
    package var clientTimeoutSeconds = 60
    /// The admin's first password; read from `GALLEY_ADMIN_PASSWORD` only, never from a file.
    package var adminPassword: String?

    package init() {}

    /// The keys of the YAML file, with the environment variable that overrides each.
    package static let keys: [(yaml: String, env: String)] = [
        ("host", "GALLEY_HOST"), ("port", "GALLEY_PORT"), ("data_dir", "GALLEY_DATA_DIR"),
        ("token_ttl_days", "GALLEY_TOKEN_TTL_DAYS"), ("max_body_bytes", "GALLEY_MAX_BODY_BYTES"),
        ("trends_category", "GALLEY_TRENDS_CATEGORY"), ("bcrypt_cost", "GALLEY_BCRYPT_COST"),
        ("login_attempts_per_minute", "GALLEY_LOGIN_ATTEMPTS_PER_MINUTE"), ("log_level", "GALLEY_LOG_LEVEL"),
        ("public_url", "GALLEY_PUBLIC_URL"), ("site_name", "GALLEY_SITE_NAME"), ("time_zone", "GALLEY_TIME_ZONE"),
        ("database_url", "GALLEY_DATABASE_URL"), ("snapshot_min_events", "GALLEY_SNAPSHOT_MIN_EVENTS"),
        ("client_timeout_seconds", "GALLEY_CLIENT_TIMEOUT_SECONDS"),
    ]

    /// Defaults, then `file` (if given), then the environment.
    package static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ServerConfiguration {
        var values: [String: String] = [:]
        if let file {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw ConfigurationError("Cannot read the configuration file \(file): \(error.localizedDescription)")
            }
            let parsed: Any?
            do {
                parsed = try Yams.load(yaml: text)
            } catch {
                throw ConfigurationError("The configuration file \(file) is not valid YAML: \(error)")
            }
            if let parsed {
                guard let map = parsed as? [String: Any] else {
                    throw ConfigurationError("The configuration file \(file) must be a mapping of keys to values.")
                }
                let known = Set(keys.map(\.yaml))
                for (key, value) in map {
                    guard known.contains(key) else {
                        throw ConfigurationError("Unknown key '\(key)' in \(file); known keys: \(keys.map(\.yaml).joined(separator: ", ")).")
                    }
                    values[key] = "\(value)"
                }
            }
        }
        for (yaml, env) in keys {
            if let value = environment[env], !value.isEmpty { values[yaml] = value }
        }
        var config = ServerConfiguration()
        try config.apply(values)
        config.adminPassword = environment["GALLEY_ADMIN_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
        return config
    }

    mutating func apply(_ values: [String: String]) throws {
        func int(_ key: String, _ range: ClosedRange<Int>) throws -> Int? {
            guard let raw = values[key] else { return nil }
            guard let n = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(n) else {
                throw ConfigurationError("\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound); got '\(raw)'.")
            }
            return n
        }
        if let v = values["host"] { host = v }
        if let v = try int("port", 0...65535) { port = v }
        if let v = values["data_dir"] { dataDir = v }
        if let v = try int("token_ttl_days", 1...3650) { tokenTTLDays = v }
        if let v = try int("max_body_bytes", 1024...(1 << 30)) { maxBodyBytes = v }
        if let v = values["trends_category"] { trendsCategory = v }
        if let v = try int("bcrypt_cost", 4...31) { bcryptCost = v }
        if let v = try int("login_attempts_per_minute", 1...1000) { loginAttemptsPerMinute = v }
        if let v = try int("snapshot_min_events", 1...Int(Int32.max)) { snapshotMinimumEvents = Int64(v) }
        if let v = try int("client_timeout_seconds", 1...3600) { clientTimeoutSeconds = v }
        if let v = values["public_url"], !v.isEmpty, v != "<nil>" { publicURL = v }
        if let v = values["site_name"], !v.isEmpty { siteName = v }
        if let v = values["time_zone"] {
            guard TimeZone(identifier: v) != nil else {
                throw ConfigurationError("time_zone must be a zone name such as Europe/Minsk or UTC; got '\(v)'.")
            }
            timeZone = v
        }
        if let v = values["database_url"], !v.isEmpty, v != "<nil>" {
            guard v.hasPrefix("postgres://") || v.hasPrefix("postgresql://") else {
                throw ConfigurationError("database_url must be a PostgreSQL URL such as postgres://galley:secret@127.0.0.1:5432/galley; leave it out for the embedded SQLite archive.")
            }
            databaseURL = v
        }
        if let v = values["log_level"] {
            guard let level = Logger.Level(rawValue: v.lowercased()) else {
                throw ConfigurationError("log_level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")); got '\(v)'.")
            }
            logLevel = level
        }
    }

    package var archivePath: String { URL(fileURLWithPath: dataDir).appendingPathComponent("archive.sqlite").path }
    package var mediaPath: String { URL(fileURLWithPath: dataDir).appendingPathComponent("media").path }
}

package struct ConfigurationError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
