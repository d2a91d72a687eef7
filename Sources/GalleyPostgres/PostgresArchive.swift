import Foundation
import GalleyCore
import GalleyStore
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The archive in a PostgreSQL database, for several `galley-server` processes on one database.
///
/// It keeps the SQLite archive's tables and rules (the change log is the same code, over
/// ``PGTransaction``); what differs is how several writers on several machines stay correct:
///
/// - **One writer at a time.** Every transaction that applies changes first takes one
///   transaction-scoped advisory lock ("the writer's lock"), as SQLite takes its write lock. An
///   article is read, merged and written back by one writer at a time, so no merge is computed
///   on a head that another server is replacing; and event numbers are taken in commit order,
///   so a pull that has seen event n+1 has seen event n (the cursor never skips). Pushes that
///   arrive at one server while it writes are applied together in one transaction (as
///   ``GroupCommit`` does for SQLite), so the lock is taken once per batch, not per change.
/// - **One snapshot per read.** A pull reads several tables; it reads them in one
///   `REPEATABLE READ` transaction, so they agree on which commits they see.
///
/// Each operation leases a connection and runs on a thread of the archive's pool, waiting for
/// each answer: the change log is synchronous code shared with the SQLite archive.
package final class PostgresArchive: ArchiveStore, @unchecked Sendable {
    let client: PostgresClient
    let threads: NIOThreadPool
    let logger: Logger
    package let url: DatabaseURL
    private let runner: Task<Void, Never>
    /// How long an operation waits for a connection before it answers "unavailable".
    let leaseTimeout: Duration
    let commits: PostgresGroupCommit
    /// Whether search entries are being written, and whether another round was asked for meanwhile.
    let searchEntryRounds = Mutex<(running: Bool, again: Bool)>((false, false))

    /// The advisory lock every change-applying transaction holds (`hashtext('galley writer')`
    /// would do as well; a constant is plainer to find in `pg_locks`).
    static let writerLock: Int64 = 0x6761_6C6C_6579_01
    /// Held while migrating, so that servers starting together migrate once.
    static let migrationLock: Int64 = 0x6761_6C6C_6579_02
    /// Held by the server whose scheduler publishes due articles.
    static let schedulerLock: Int64 = 0x6761_6C6C_6579_03

    /// Connects, checks the database answers, and brings its schema up to date.
    package init(
        url: DatabaseURL, connections: Int = 12, leaseTimeout: Duration = .seconds(5), logger: Logger = Logger(label: "galley.postgres")
    ) async throws {
        self.url = url
        self.leaseTimeout = leaseTimeout
        self.logger = logger
        try await DatabaseUnreachable.probe(url, logger: logger)
        var configuration = url.clientConfiguration()
        configuration.options.maximumConnections = connections
        configuration.options.minimumConnections = 0
        configuration.options.connectTimeout = .seconds(5)
        // The pool logs each failed attempt to connect at info; while the database restarts that
        // is a line every few hundred milliseconds. Requests that fail say so themselves (503).
        var background = logger
        background.logLevel = max(logger.logLevel, .warning)
        let client = PostgresClient(configuration: configuration, backgroundLogger: background)
        self.client = client
        runner = Task.detached { await client.run() }
        threads = NIOThreadPool(numberOfThreads: connections)
        threads.start()
        commits = PostgresGroupCommit()
        commits.archive = self
        do {
            try await migrate()
        } catch {
            close()
            throw error
        }
        // Entries a server that stopped left to write.
        searchEntriesLeft()
    }

    /// Opens the archive at `text` (a `postgres://` URL), with a message that says what to do
    /// when the database cannot be reached.
    package static func open(_ text: String, logger: Logger = Logger(label: "galley.postgres")) async throws -> PostgresArchive {
        try await PostgresArchive(url: DatabaseURL(text), logger: logger)
    }

    package func close() {
        closed.withLock { $0 = true }
        runner.cancel()
        try? threads.syncShutdownGracefully()
    }

    /// Set by ``close()``: work cut off by it is not a failure to report.
    let closed = Mutex(false)

    deinit {
        runner.cancel()
        threads.shutdownGracefully { _ in }
    }

    // MARK: Running work

    /// Runs `body` on a leased connection, on a thread of the pool. A connection not had within
    /// ``leaseTimeout`` (the database is down or restarting) fails the operation as unavailable,
    /// so that the server answers 503 instead of holding the request; once leased, the work runs
    /// to its end (a commit is never cut off halfway and then reported as failed).
    func run<T: Sendable>(
        waitingUpTo wait: Duration? = nil, _ body: @escaping @Sendable (PGConnection) throws -> T
    ) async throws -> T {
        let wait = wait ?? leaseTimeout
        let lease = LeaseState()
        do {
            return try await withThrowingTaskGroup(of: Outcome<T>.self) { group in
                group.addTask {
                    try await self.client.withConnection { connection in
                        guard lease.take() else { throw CancellationError() }
                        let pg = PGConnection(connection: connection, logger: self.logger)
                        return .value(try await self.threads.runIfActive { try body(pg) })
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: wait)
                    return .timedOut
                }
                while let next = try await group.next() {
                    switch next {
                    case .value(let value):
                        group.cancelAll()
                        return value
                    case .timedOut:
                        if lease.expire() {
                            group.cancelAll()
                            throw StoreError.unavailable(.unreachable)
                        }
                    }
                }
                throw StoreError.unavailable(.unreachable)
            }
        } catch {
            throw Self.storeError(error)
        }
    }

    enum Outcome<T: Sendable>: Sendable {
        case value(T)
        case timedOut
    }

    /// Whether a connection was leased before the wait for one expired: one or the other, once.
    final class LeaseState: Sendable {
        private let state = Mutex<Int>(0)  // 0 waiting, 1 leased, 2 expired

        /// The connection arrived: true if the wait had not expired.
        func take() -> Bool { state.withLock { if $0 == 0 { $0 = 1 }; return $0 == 1 } }
        /// The wait expired: true if no connection had arrived.
        func expire() -> Bool { state.withLock { if $0 == 0 { $0 = 2 }; return $0 == 2 } }
    }

    /// A read of several statements that must agree on what is committed.
    func read<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await run { db in try db.transaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") { try body(db) } }
    }

    /// A write of several statements, all or nothing.
    func write<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await run { db in try db.transaction { try body(db) } }
    }

    /// A failure of PostgreSQL or of the way to it, as a ``StoreError``; a ``GalleyError`` thrown
    /// by the archive's own rules passes as it is. Messages never carry a statement's values.
    static func storeError(_ error: any Error) -> any Error {
        if error is GalleyError || error is StoreError || error is CopyError { return error }
        if let error = error as? PostgresTransactionError {
            return storeError(error.closureError ?? error.commitError ?? error.beginError ?? error.rollbackError ?? StoreError.failed("a transaction failed"))
        }
        guard let error = error as? PSQLError else {
            if error is NIOThreadPoolError.ThreadPoolInactive || error is CancellationError { return StoreError.unavailable(.busy) }
            return StoreError.unavailable(.unreachable)
        }
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
            // The connection failed, closed, or could not be made: the database is out of reach.
            return StoreError.unavailable(.unreachable)
        }
        let message = error.serverInfo?[.message] ?? ""
        switch state {
        case "53100": return StoreError.unavailable(.diskFull)
        case "25006": return StoreError.unavailable(.readOnly)
        case "40001", "40P01", "55P03", "53300": return StoreError.unavailable(.busy)
        case _ where state.hasPrefix("57P") || state.hasPrefix("08"): return StoreError.unavailable(.unreachable)
        case "XX001", "XX002": return StoreError.corrupt(message)
        default: return StoreError.failed("\(state): \(message)")
        }
    }

    /// The SQLSTATE of a server's refusal, if `error` is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    // MARK: Epoch and health

    package var backend: String { "postgresql" }

    package func epoch() async throws -> String {
        try await run { db in try db.value(String.self, "SELECT value FROM meta WHERE key = 'epoch'") ?? "" }
    }

    package func latestSequence() async throws -> Int64 {
        try await run { db in try db.value(Int64.self, "SELECT MAX(seq) FROM events") ?? 0 }
    }

    package func sequence(of id: ArticleID) async throws -> Int64? {
        try await run { db in try db.value(Int64.self, "SELECT seq FROM articles WHERE id = ?", [id.description]) }
    }

    // MARK: Users and sessions

    package func createUser(_ user: StoredUser, by actor: String) async throws {
        try AccountRules.checkNewUserName(user.name)
        try await write { db in
            // Names differing only in case are one name (a unique index on lower(name) holds it
            // across servers; this finds the name to tell).
            if let existing = try db.value(String.self, "SELECT name FROM users WHERE lower(name) = lower(?)", [user.name]) {
                throw GalleyError(.alreadyExists, "There is already a user named '\(existing)'\(existing == user.name ? "" : " (names that differ only in case are one name)").", field: "name")
            }
            do {
                try db.execute(
                    "INSERT INTO users (name, role, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?)",
                    [user.name, user.role.rawValue, user.passwordHash, user.disabled, Timestamp.milliseconds(user.createdAt)])
            } catch StoreError.failed(let message) where message.hasPrefix("23505") {
                throw GalleyError(.alreadyExists, "There is already a user named '\(user.name)'.", field: "name")
            }
            try Self.audit(db, AuditRecord(.userAdded, detail: "\(user.name) (\(user.role.rawValue))"), actor: actor, at: user.createdAt)
        }
    }

    package func user(named name: String) async throws -> StoredUser? {
        try await run { db in try Self.user(db, named: name) }
    }

    static func user(_ db: PGConnection, named name: String) throws -> StoredUser? {
        // PostgreSQL refuses a NUL in text outright; a name that is not a user name is no user.
        guard AccountRules.isUserName(name) else { return nil }
        return try db.row("SELECT * FROM users WHERE name = ?", [name]).map(user)
    }

    static func user(_ row: PGRow) throws -> StoredUser {
        guard let role = Role(rawValue: try row["role"]) else { throw StoreError.corrupt("a user row has an unknown role") }
        return StoredUser(
            name: try row["name"], role: role, passwordHash: try row["password_hash"], disabled: try row["disabled"],
            createdAt: Timestamp.date(milliseconds: try row["created_at"]))
    }

    package func users() async throws -> [StoredUser] {
        try await run { db in try db.rows("SELECT * FROM users ORDER BY name COLLATE \"C\"").map(Self.user) }
    }

    package func setDisabled(_ name: String, _ disabled: Bool, by actor: String, at time: Date) async throws {
        try await write { db in
            guard try Self.user(db, named: name) != nil else { throw GalleyError(.notFound, "There is no user named '\(name)'.") }
            try db.execute("UPDATE users SET disabled = ? WHERE name = ?", [disabled, name])
            if disabled {
                try db.execute("UPDATE sessions SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL", [Timestamp.milliseconds(time), name])
            }
            try Self.audit(db, AuditRecord(disabled ? .userDisabled : .userEnabled, detail: name), actor: actor, at: time)
        }
    }

    package func setRole(_ name: String, _ role: Role, by actor: String, at time: Date) async throws {
        try await write { db in
            guard let user = try Self.user(db, named: name) else { throw GalleyError(.notFound, "There is no user named '\(name)'.") }
            // The role it already has: nothing changes, nothing to audit.
            guard user.role != role else { return }
            try db.execute("UPDATE users SET role = ? WHERE name = ?", [role.rawValue, name])
            try Self.audit(db, AuditRecord(.roleChanged, detail: "\(name): \(user.role.rawValue) → \(role.rawValue)"), actor: actor, at: time)
        }
    }

    package func setPassword(_ name: String, hash: String) async throws {
        try await run { db in
            guard AccountRules.isUserName(name), try db.execute("UPDATE users SET password_hash = ? WHERE name = ?", [hash, name]) == 1 else {
                throw GalleyError(.notFound, "There is no user named '\(name)'.")
            }
        }
    }

    package func createSession(_ session: StoredSession) async throws {
        try await run { db in
            try db.execute(
                "INSERT INTO sessions (token_hash, user_name, created_at, expires_at, kind) VALUES (?, ?, ?, ?, ?)",
                [session.tokenHash, session.userName, Timestamp.milliseconds(session.createdAt), Timestamp.milliseconds(session.expiresAt), session.kind.rawValue])
        }
    }

    package func session(tokenHash: String) async throws -> (StoredSession, StoredUser)? {
        let found: StoredSessionAndUser? = try await run { db in
            guard let row = try db.row(
                "SELECT s.token_hash, s.user_name, s.created_at AS s_created_at, s.expires_at, s.kind, u.name, u.role, u.password_hash, u.disabled, u.created_at FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_hash = ? AND s.revoked_at IS NULL",
                [tokenHash])
            else { return nil }
            guard let kind = StoredSession.Kind(rawValue: try row["kind"]) else { return nil }
            let session = StoredSession(
                tokenHash: try row["token_hash"], userName: try row["user_name"],
                createdAt: Timestamp.date(milliseconds: try row["s_created_at"]), expiresAt: Timestamp.date(milliseconds: try row["expires_at"]), kind: kind)
            return StoredSessionAndUser(session: session, user: try Self.user(row))
        }
        return found.map { ($0.session, $0.user) }
    }

    struct StoredSessionAndUser: Sendable {
        var session: StoredSession
        var user: StoredUser
    }

    package func revokeSession(tokenHash: String, at time: Date) async throws {
        try await run { db in
            try db.execute("UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL", [Timestamp.milliseconds(time), tokenHash])
        }
    }

    package func reserveLoginAttempt(_ name: String, limit: Int, window: TimeInterval, now: Date) async throws -> Int? {
        let nowMS = Timestamp.milliseconds(now)
        let since = nowMS - Int64(window * 1000)
        return try await write { db in
            // Attempts for one name through any server count one after the other.
            try db.execute("SELECT pg_advisory_xact_lock(hashtext('galley login ' || ?))", [name])
            try db.execute("DELETE FROM login_attempts WHERE at <= ?", [since])
            let row = try db.row("SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_attempts WHERE name = ?", [name])
            let count: Int64 = try row?["n"] ?? 0
            if count >= limit, let oldest: Int64 = try row?["oldest"] {
                return max(1, Int((Double(oldest - since) / 1000).rounded(.up)))
            }
            try db.execute("INSERT INTO login_attempts (name, at) VALUES (?, ?)", [name, nowMS])
            return nil
        }
    }

    package func clearLoginAttempts(_ name: String) async throws {
        try await run { db in try db.execute("DELETE FROM login_attempts WHERE name = ?", [name]) }
    }

    // MARK: Categories and audit

    package func categories() async throws -> [Category] {
        try await run { db in
            try db.rows("SELECT slug, name FROM categories ORDER BY slug COLLATE \"C\"").map { Category(slug: try $0["slug"], name: try $0["name"]) }
        }
    }

    package func addCategory(_ category: Category, by actor: String, at time: Date) async throws {
        try AccountRules.checkCategory(category)
        let name = category.name.trimmingCharacters(in: .whitespacesAndNewlines)
        try await write { db in
            guard try db.execute("INSERT INTO categories (slug, name) VALUES (?, ?) ON CONFLICT (slug) DO NOTHING", [category.slug, name]) == 1 else {
                throw GalleyError(.alreadyExists, "The category '\(category.slug)' already exists.", field: "slug")
            }
            try Self.audit(db, AuditRecord(.categoryAdded, detail: category.slug), actor: actor, at: time)
        }
    }

    static func audit(_ db: PGConnection, _ line: AuditRecord, actor: String, article: ArticleID? = nil, at: Date) throws {
        try db.execute(
            "INSERT INTO audit_log (at, actor, action, article_id, revision, detail) VALUES (?, ?, ?, ?, ?, ?)",
            [Timestamp.milliseconds(at), actor, line.action.recorded, article?.description, line.revision?.hex, line.detail])
    }

    package func audit(limit: Int, before: Int64?) async throws -> [AuditEntry] {
        try await run { db in
            try db.rows("SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?", [before ?? Int64.max, limit]).map { row in
                AuditEntry(
                    id: try row["id"], at: Timestamp.date(milliseconds: try row["at"]), actor: try row["actor"], action: try row["action"],
                    articleID: (try row["article_id"] as String?).flatMap(ArticleID.init),
                    revision: (try row["revision"] as String?).flatMap(RevisionID.init), detail: try row["detail"])
            }
        }
    }

    // MARK: Reading articles

    package func article(_ id: ArticleID) async throws -> Article? {
        try await run { db in try PGRows.article(db, id: id) }
    }

    package func revisions(of id: ArticleID) async throws -> [Revision] {
        try await run { db in try PGRows.revisions(db, article: id) }
    }

    package func revision(_ id: RevisionID) async throws -> Revision? {
        try await run { db in try PGRows.revision(db, id: id) }
    }

    package func notes(of id: ArticleID) async throws -> [ReviewNote] {
        try await run { db in try PGRows.notes(db, article: id) }
    }

    package func conflicts(of id: ArticleID, openOnly: Bool) async throws -> [Conflict] {
        try await run { db in try PGRows.conflicts(db, article: id, openOnly: openOnly) }
    }

    /// Every change id the archive has answered (for checks after crashes and moves).
    package func appliedChangeIDs() async throws -> Set<ChangeID> {
        try await run { db in Set(try db.rows("SELECT change_id FROM applied_changes").compactMap { ChangeID(try $0["change_id"] as String) }) }
    }

    // MARK: Backup

    package func backup(to path: String) async throws {
        throw GalleyError(
            .malformed,
            "An archive on PostgreSQL is backed up with PostgreSQL's own tools (pg_dump, or continuous archiving); galley-server backup writes a copy of an embedded SQLite archive only.")
    }

    // MARK: Scheduling

    package func dueScheduled(now: Date) async throws -> [(id: ArticleID, seq: Int64)] {
        let rows: [DueArticle] = try await run { db in
            try db.rows(
                "SELECT id, seq FROM articles WHERE state = 'scheduled' AND deleted = false AND scheduled_at <= ? ORDER BY scheduled_at",
                [Timestamp.milliseconds(now)]
            ).compactMap { row -> DueArticle? in
                guard let id = ArticleID(try row["id"] as String) else { return nil }
                return DueArticle(id: id, seq: try row["seq"])
            }
        }
        return rows.map { ($0.id, $0.seq) }
    }

    struct DueArticle: Sendable {
        var id: ArticleID
        var seq: Int64
    }

    package func nextScheduled(after now: Date) async throws -> Date? {
        try await run { db in
            try db.value(
                Int64.self, "SELECT MIN(scheduled_at) FROM articles WHERE state = 'scheduled' AND deleted = false AND scheduled_at > ?",
                [Timestamp.milliseconds(now)]
            ).map(Timestamp.date(milliseconds:))
        }
    }

    /// Runs `body` while this process holds the scheduler's lock, or returns nil at once when
    /// another server holds it: due articles are published by one server at a time, and each
    /// reads what is due only after the one before it has committed.
    package func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T? {
        do {
            return try await client.withConnection { connection in
                let got = try await connection.query("SELECT pg_try_advisory_lock(\(Self.schedulerLock))", logger: self.logger)
                    .collect().first?.decode(Bool.self) ?? false
                guard got else { return nil }
                do {
                    let value = try await body()
                    _ = try await connection.query("SELECT pg_advisory_unlock(\(Self.schedulerLock))", logger: self.logger).collect()
                    return value
                } catch {
                    _ = try? await connection.query("SELECT pg_advisory_unlock(\(Self.schedulerLock))", logger: self.logger).collect()
                    throw error
                }
            }
        } catch {
            throw Self.storeError(error)
        }
    }
}

/// Images in the archive's database, so that every server serves what any server stored.
package struct PostgresMediaStore: MediaStore {
    let archive: PostgresArchive

    package init(archive: PostgresArchive) {
        self.archive = archive
    }

    package func store(_ bytes: [UInt8], as name: String) async throws {
        guard ImageKind.isMediaName(name) else { throw GalleyError(.notFound, "There is no such image.") }
        let data = Data(bytes)
        try await archive.run { db in
            // The name is the content: storing it again is a no-op.
            try db.execute(
                "INSERT INTO media (name, bytes, stored_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                [name, data, Timestamp.milliseconds(Date())])
        }
    }

    package func load(_ name: String) async throws -> Data? {
        guard ImageKind.isMediaName(name) else { throw GalleyError(.notFound, "There is no such image.") }
        return try await archive.run { db in
            guard let row = try db.row("SELECT bytes FROM media WHERE name = ?", [name]) else { return nil }
            return try row["bytes"] as Data
        }
    }
}

extension PostgresArchive {
    /// What one statement costs on the way this archive talks to PostgreSQL, for the benchmarks:
    /// `count` trivial statements answered through the synchronous bridge the change log uses
    /// (a pool thread waiting for each answer), and the same on one connection with async/await.
    package func roundTrips(_ count: Int) async throws -> (bridged: Duration, direct: Duration) {
        let clock = ContinuousClock()
        let bridged = try await run { db in
            let start = ContinuousClock.now
            for _ in 0..<count { try db.execute("SELECT 1") }
            return ContinuousClock.now - start
        }
        let direct = try await client.withConnection { connection in
            try await clock.measure {
                for _ in 0..<count { _ = try await connection.query("SELECT 1", logger: self.logger).collect() }
            }
        }
        return (bridged, direct)
    }
}
