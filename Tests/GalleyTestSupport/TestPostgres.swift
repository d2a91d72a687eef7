import Foundation
import Synchronization

/// PostgreSQL for the tests that run against both archives: the database at
/// `GALLEY_TEST_DATABASE_URL` (a server the tests may create databases on), or else a private
/// cluster this process starts from Debian's `postgresql-15` (initdb in a temporary folder, a
/// free port on 127.0.0.1, no durability: it is thrown away when the process ends).
///
/// Each test gets a database of its own (``newDatabase()``).
package enum TestPostgres {
    package static let binaries = "/usr/lib/postgresql/15/bin"

    /// Whether the PostgreSQL half of the backend tests can run here.
    package static var available: Bool {
        ProcessInfo.processInfo.environment["GALLEY_TEST_DATABASE_URL"] != nil
            || FileManager.default.isExecutableFile(atPath: "\(binaries)/initdb")
    }

    /// What the tests say when they cannot run (shown with the skip).
    package static let missing = "PostgreSQL 15 is not installed (apt-get install postgresql-15) and GALLEY_TEST_DATABASE_URL is not set"

    /// The server's base URL without a database name, started on first use.
    package static func server() throws -> URLComponents {
        try started.withLock { state in
            if let url = state { return url }
            let url = try start()
            state = url
            return url
        }
    }

    private static let started = Mutex<URLComponents?>(nil)
    private static let counter = Mutex(0)

    /// A new, empty database with a UTF-8 locale; returns its `postgres://` URL.
    package static func newDatabase() throws -> String {
        var url = try server()
        let n = counter.withLock { $0 += 1; return $0 }
        let name = "galley_\(getpid())_\(n)_\(UInt32.random(in: 0...UInt32.max))"
        try psql(url, "CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
        url.path = "/\(name)"
        return url.string!
    }

    /// Runs one statement with `psql` against the server's `postgres` database.
    package static func psql(_ server: URLComponents, _ sql: String) throws {
        var url = server
        url.path = "/postgres"
        let out = try run(psqlPath, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url.string!, "-c", sql])
        guard out.status == 0 else { throw TestPostgresError("psql failed: \(out.output)") }
    }

    /// One value of a query on the database `url` names.
    package static func psqlValue(_ url: URLComponents, _ sql: String) throws -> String {
        let out = try run(psqlPath, ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", url.string!, "-c", sql])
        guard out.status == 0 else { throw TestPostgresError("psql failed: \(out.output)") }
        return out.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static var psqlPath: String {
        FileManager.default.isExecutableFile(atPath: "\(binaries)/psql") ? "\(binaries)/psql" : "/usr/bin/psql"
    }

    // MARK: The private cluster

    private static func start() throws -> URLComponents {
        if let text = ProcessInfo.processInfo.environment["GALLEY_TEST_DATABASE_URL"], var url = URLComponents(string: text) {
            url.path = ""
            return url
        }
        return try PostgresCluster.start().server
    }

    /// Runs one of PostgreSQL's programs; as the postgres user when this process is root, since
    /// initdb and the server refuse to run as root.
    package static func tool(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        if getuid() == 0 { return try run("/usr/sbin/runuser", ["-u", "postgres", "--", "\(binaries)/\(name)"] + arguments) }
        return try run("\(binaries)/\(name)", arguments)
    }

    /// A port nothing listens on now.
    package static func freePort() -> Int {
        (try? ServerProcess.freePort()) ?? Int.random(in: 20_000...60_000)
    }

    /// Runs a program to its end, its output into a file (posix_spawn and waitpid: Foundation's
    /// Process waits for the server pg_ctl starts, which inherits its descriptors).
    static func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("galley-pg-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw TestPostgresError("cannot run \(path): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let exited = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exited, output)
    }
}

package struct TestPostgresError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}

/// A PostgreSQL cluster of this process's own: initdb in a temporary folder, a free port on
/// 127.0.0.1, no durability. Stopped and removed when the process ends; a test that stops and
/// starts its database under load takes one of its own.
package final class PostgresCluster: Sendable {
    package let dir: String
    package let port: Int
    /// Its base URL, without a database name.
    package var server: URLComponents {
        var url = URLComponents()
        url.scheme = "postgres"
        url.user = "postgres"
        url.host = "127.0.0.1"
        url.port = port
        return url
    }

    private static let all = Mutex<[String]>([])

    private init(dir: String, port: Int) {
        self.dir = dir
        self.port = port
    }

    package static func start() throws -> PostgresCluster {
        guard FileManager.default.isExecutableFile(atPath: "\(TestPostgres.binaries)/initdb") else { throw TestPostgresError(TestPostgres.missing) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galley-pg-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        if getuid() == 0 { _ = try TestPostgres.run("/bin/chown", ["postgres:postgres", dir]) }
        let initdb = try TestPostgres.tool("initdb", ["-D", dir + "/data", "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        guard initdb.status == 0 else { throw TestPostgresError("initdb failed: \(initdb.output)") }
        let cluster = PostgresCluster(dir: dir, port: TestPostgres.freePort())
        let first = all.withLock { all in
            all.append(dir)
            return all.count == 1
        }
        if first {
            atexit {
                let asUser = getuid() == 0 ? "runuser -u postgres -- " : ""
                for dir in PostgresCluster.all.withLock({ $0 }) {
                    _ = system("\(asUser)\(TestPostgres.binaries)/pg_ctl -D \(dir)/data -m immediate -w stop >/dev/null 2>&1; rm -rf \(dir)")
                }
            }
        }
        try cluster.startAgain()
        return cluster
    }

    /// Starts the stopped cluster on its port.
    package func startAgain() throws {
        let options = "-c port=\(port) -c listen_addresses=127.0.0.1 -c unix_socket_directories=\(dir) -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=1000 -c shared_buffers=64MB"
        let ctl = try TestPostgres.tool("pg_ctl", ["-D", dir + "/data", "-o", options, "-l", dir + "/log", "-w", "-t", "60", "start"])
        guard ctl.status == 0 else { throw TestPostgresError("pg_ctl start failed: \(ctl.output)") }
    }

    /// Stops it: "fast" ends every session and rolls back what is open, as a restart by an operator does.
    package func stop(mode: String = "fast") throws {
        let ctl = try TestPostgres.tool("pg_ctl", ["-D", dir + "/data", "-m", mode, "-w", "-t", "60", "stop"])
        guard ctl.status == 0 else { throw TestPostgresError("pg_ctl stop failed: \(ctl.output)") }
    }

    /// A new, empty database on this cluster with a UTF-8 locale; returns its `postgres://` URL.
    package func newDatabase(_ name: String = "galley") throws -> String {
        try TestPostgres.psql(server, "CREATE DATABASE \(name) TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
        var url = server
        url.path = "/\(name)"
        return url.string!
    }
}
