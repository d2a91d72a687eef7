import Foundation
import GalleyCore
import GalleyServer
import GalleyPostgres
import GalleyStore

extension Bench {
    /// The release binaries next to this one.
    static func binary(_ name: String) -> String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
    }

    struct Measured {
        var status: Int32
        var milliseconds: Double
        /// Peak resident memory of the child (VmHWM sampled while it runs).
        var maxRSSKiB: Int
    }

    /// Starts a program (posix_spawn) with extra environment and a working directory.
    static func spawn(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:], directory: String? = nil,
                      stdin: String? = nil, quiet: Bool = true, stdout: String? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if quiet {
            posix_spawn_file_actions_addopen(&actions, 1, stdout ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        var inputPath: String? = nil
        if let stdin {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("bench-stdin-\(UUID())").path
            FileManager.default.createFile(atPath: path, contents: Data(stdin.utf8))
            posix_spawn_file_actions_addopen(&actions, 0, path, O_RDONLY, 0)
            inputPath = path
        }
        var env = ProcessInfo.processInfo.environment
        // posix_spawn cannot change directory portably here; commands that care take GALLEY_WORKSPACE.
        if let directory { env["PWD"] = directory }
        for (k, v) in extra { env[k] = v }
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        // Children start with default signal handling and nothing blocked: this process ignores
        // SIGPIPE (and maybe SIGCHLD), which would otherwise be inherited and break servers like
        // git daemon.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &none)
        // Each child leads its own process group, so a server and its helpers stop together.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        if let inputPath { _ = inputPath }
        guard rc == 0 else { throw CocoaError(.executableLoad, userInfo: [NSFilePathErrorKey: executable]) }
        return pid
    }

    /// Waits for a child, sampling its peak RSS (VmHWM) every few milliseconds while it runs.
    /// wait4's ru_maxrss cannot be used: posix_spawn starts the child on this process's memory
    /// (vfork), and Linux carries that memory's high-water mark over exec into the child's
    /// maxrss, so a child of a large benchmark process would look as large as it.
    static func wait(_ pid: pid_t) -> (status: Int32, maxRSSKiB: Int) {
        var status: Int32 = 0
        var peak = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { break }
            if reaped == -1 && errno != EINTR { break }
            if let hwm = peakRSSKiB(of: pid) { peak = max(peak, hwm) }
            usleep(2_000)
        }
        return ((status >> 8) & 0xFF, peak)
    }

    /// Runs a program to the end, timing it and reading its peak memory.
    static func measured(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil, stdin: String? = nil,
                         stdout: String? = nil) throws -> Measured {
        let start = now()
        let pid = try spawn(executable, arguments, environment: environment, directory: directory, stdin: stdin, stdout: stdout)
        let (status, rss) = wait(pid)
        return Measured(status: status, milliseconds: Double(now() - start) / 1_000_000, maxRSSKiB: rss)
    }

    /// Peak resident memory of a running process, from /proc.
    static func peakRSSKiB(of pid: pid_t) -> Int? { status("VmHWM:", of: pid) }

    /// Resident memory of a running process now, from /proc.
    static func residentKiB(of pid: pid_t) -> Int? { status("VmRSS:", of: pid) }

    private static func status(_ key: String, of pid: pid_t) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(key) {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        }
        return nil
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func waitForPort(_ port: Int, seconds: Double = 30) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = in_port_t(UInt16(port).bigEndian)
            let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            close(fd)
            if rc == 0 { return }
            usleep(50_000)
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "nothing listens on port \(port)"])
    }

    static func temporary(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("galley-bench-\(name)-\(getpid())-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A real `galley-server` process over an archive the benchmark prepared.
final class BenchServer {
    let dataDir: URL
    let port: Int
    let pid: pid_t
    static let password = "bench-password-1"

    /// An archive with users `bench` (editor) and `admin`, the 12 categories and `articles` articles.
    /// A published archive of `articles`, prepared or, with `keep`, reused from (and left in)
    /// that folder: the large archives take minutes to make. Without `keep` the caller removes it.
    static func publishedArchive(articles: Int, seed: UInt64, keep: String?) async throws -> URL {
        if let keep, FileManager.default.fileExists(atPath: URL(fileURLWithPath: keep).appendingPathComponent("archive.sqlite").path) {
            Bench.note("reusing the archive in \(keep)")
            return URL(fileURLWithPath: keep)
        }
        Bench.note("preparing a published archive of \(articles) articles (this takes a while)")
        let started = Bench.now()
        let prepared = try await prepare(articles: articles, seed: seed, published: true)
        Bench.note(String(format: "prepared in %.0f s", Double(Bench.now() - started) / 1e9))
        guard let keep else { return prepared }
        try? FileManager.default.removeItem(atPath: keep)
        try FileManager.default.moveItem(at: prepared, to: URL(fileURLWithPath: keep))
        return URL(fileURLWithPath: keep)
    }

    static func prepare(articles: Int, seed: UInt64, published: Bool = false) async throws -> URL {
        let dir = Bench.temporary("archive")
        let archive = try SQLiteArchive(path: dir.appendingPathComponent("archive.sqlite").path)
        let hash = await Passwords.hash(password, cost: 4)
        let now = Timestamp.canonical(Date())
        for (name, role) in [("admin", Role.admin), ("bench", .editor)] {
            try await archive.createUser(StoredUser(name: name, role: role, passwordHash: hash, createdAt: now), by: "galley-bench")
        }
        for c in BenchData.categories { try await archive.addCategory(Category(slug: c, name: c), by: "admin", at: now) }
        var data = BenchData(seed: seed)
        let actor = ChangeApplier.Actor(name: "bench", role: .editor)
        var n = 0
        while n < articles {
            let chunk = (n..<min(articles, n + 1000)).map { data.create($0, author: "bench", at: now) }
            if published {
                try await archive.loadPublished(chunk, by: actor, at: now)
            } else {
                let results = try await archive.applyInOneTransaction(chunk, by: actor, at: now)
                if let refused = results.first(where: { $0.status == .rejected }) {
                    throw GalleyError(.malformed, "bench data refused: \(refused.error?.message ?? "")")
                }
            }
            n += chunk.count
        }
        return dir
    }

    /// A server on the archive `place` holds (its data dir, or its PostgreSQL database).
    convenience init(_ place: BenchPlace, snapshots: Bool = false) throws {
        try self.init(dataDir: place.dataDir, database: place.database, snapshots: snapshots)
    }

    /// - Parameter snapshots: whether the server makes prepared replicas for first syncs; off
    ///   unless a benchmark measures them, so that making one (a minute on 100,000 articles)
    ///   does not run beside what is measured.
    init(dataDir: URL, database: String? = nil, snapshots: Bool = false) throws {
        self.dataDir = dataDir
        port = Bench.freePort()
        var environment = ["GALLEY_DATA_DIR": dataDir.path, "GALLEY_PORT": String(port), "GALLEY_LOG_LEVEL": "error", "GALLEY_BCRYPT_COST": "4"]
        environment["GALLEY_SNAPSHOT_MIN_EVENTS"] = snapshots ? "1" : "2000000000"
        if let database { environment["GALLEY_DATABASE_URL"] = database }
        pid = try Bench.spawn(Bench.binary("galley-server"), ["serve"], environment: environment)
        try Bench.waitForPort(port)
    }

    var url: String { "http://127.0.0.1:\(port)" }

    private var stopped = false

    /// Stops the server (once: later calls do nothing) and gives its peak memory.
    @discardableResult
    func stop() -> Int? {
        guard !stopped else { return nil }
        stopped = true
        let rss = Bench.peakRSSKiB(of: pid)
        kill(pid, SIGTERM)
        _ = Bench.wait(pid)
        return rss
    }

    /// A benchmark that fails half way still stops the servers it started.
    deinit { stop() }

    /// A new workspace, logged in as `bench`, with nothing pulled yet.
    func workspace() throws -> URL {
        let dir = Bench.temporary("workspace")
        let galley = Bench.binary("galley")
        guard try Bench.measured(galley, ["init", dir.path, "--server", url]).status == 0,
            try Bench.measured(galley, ["login", "--user", "bench", "--password-stdin"], environment: ["GALLEY_WORKSPACE": dir.path], stdin: Self.password + "\n").status == 0
        else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "could not make a workspace"]) }
        return dir
    }

    func sync(_ workspace: URL) throws -> Bench.Measured {
        try Bench.measured(Bench.binary("galley"), ["sync"], environment: ["NO_COLOR": "1", "GALLEY_WORKSPACE": workspace.path])
    }
}

/// Where a benchmark's archive lives: the embedded SQLite file of a prepared data dir, or a fresh
/// PostgreSQL database the prepared archive was copied into (with `galley-server`'s own copy).
struct BenchPlace: Sendable {
    let dataDir: URL
    /// The database's URL; nil for the embedded archive.
    let database: String?

    var backend: String { database == nil ? "SQLite" : "PostgreSQL" }

    static func sqlite(_ dataDir: URL) -> BenchPlace { BenchPlace(dataDir: dataDir, database: nil) }

    /// A new database on the server `server` names (any database there: the name is replaced),
    /// holding a copy of the archive in `dataDir`.
    static func postgres(copying dataDir: URL, server: String) async throws -> BenchPlace {
        let name = "galley_bench_\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        _ = try await PostgresDatabases.create(name, beside: DatabaseURL(server))
        var components = URLComponents(string: server)!
        components.path = "/" + name
        let url = components.string!
        let source = try SQLiteArchive(path: dataDir.appendingPathComponent("archive.sqlite").path)
        let target = try await PostgresArchive.open(url)
        defer { target.close() }
        _ = try await ArchiveCopy.copy(from: source, media: dataDir.appendingPathComponent("media"), to: target)
        return BenchPlace(dataDir: dataDir, database: url)
    }

    func open() async throws -> any ArchiveStore {
        if let database { return try await PostgresArchive.open(database) }
        return try SQLiteArchive(path: dataDir.appendingPathComponent("archive.sqlite").path)
    }

    /// Closes what `open` gave.
    static func close(_ archive: any ArchiveStore) {
        (archive as? PostgresArchive)?.close()
    }

    /// Removes the database (the data dir is the caller's).
    func remove() async {
        guard let database, let url = try? DatabaseURL(database) else { return }
        try? await PostgresDatabases.drop(url.database, beside: url)
    }
}
