import Foundation
import GRDB
import GalleyCore

/// The archive in one SQLite file (WAL mode, foreign keys on), through GRDB. It owns its database
/// connection; every write is one transaction.
package final class SQLiteArchive: ArchiveStore {
    let writer: Storage
    let commits: GroupCommit

    /// Opens (creating if needed) the archive at `path` and brings its schema up to date.
    package convenience init(path: String) throws {
        let pool: DatabasePool
        do { pool = try DatabasePool(path: path, configuration: Self.configuration()) } catch { throw StoreError.from(error) }
        try Storage.flushingEveryCommit(pool)
        try self.init(writer: pool)
    }

    /// A private archive in memory, for tests.
    package static func inMemory() throws -> SQLiteArchive {
        try SQLiteArchive(writer: DatabaseQueue(configuration: configuration()))
    }

    init(writer: any DatabaseWriter) throws {
        self.writer = Storage(writer)
        commits = GroupCommit(writer: self.writer)
        do { try ArchiveSchema.migrator.migrate(writer) } catch { throw StoreError.from(error) }
    }

    static func configuration() -> Configuration {
        var config = Configuration()
        config.foreignKeysEnabled = true
        // Concurrent writers (pushes) wait for each other instead of failing at once.
        config.busyMode = .timeout(10)
        // Every commit reaches the disk before a push is answered (Storage.flushingEveryCommit):
        // with NORMAL, a power cut could take back the last pushes the server had acknowledged
        // (and their sequence numbers, which clients' cursors had already passed). Pushes that
        // wait are applied together (GroupCommit), so the one flush per batch costs little.
        return config
    }

    package var backend: String { "sqlite" }

    package func epoch() async throws -> String {
        try await writer.read { db in try Self.epoch(db) }
    }

    static func epoch(_ db: Database) throws -> String {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'epoch'") ?? ""
    }

    package func latestSequence() async throws -> Int64 {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM events") ?? 0 }
    }

    package func sequence(of id: ArticleID) async throws -> Int64? {
        try await writer.read { db in try Int64.fetchOne(db, sql: "SELECT seq FROM articles WHERE id = ?", arguments: [id.description]) }
    }

    // MARK: - Events and audit

    /// Records an event and returns its sequence number.
    static func event(_ db: Database, kind: String, article: ArticleID?, revision: RevisionID?, actor: String, at: Date) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO events (kind, article_id, revision, actor, at) VALUES (?, ?, ?, ?, ?)").execute(
            arguments: [kind, article?.description, revision?.hex, actor, Timestamp.milliseconds(at)])
        return db.lastInsertedRowID
    }

    static func audit(_ db: Database, _ line: AuditRecord, actor: String, article: ArticleID? = nil, at: Date) throws {
        try db.cachedStatement(sql: "INSERT INTO audit_log (at, actor, action, article_id, revision, detail) VALUES (?, ?, ?, ?, ?, ?)").execute(
            arguments: [Timestamp.milliseconds(at), actor, line.action.recorded, article?.description, line.revision?.hex, line.detail])
    }

    package func audit(limit: Int, before: Int64?) async throws -> [AuditEntry] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?",
                arguments: [before ?? Int64.max, limit]
            ).map { row in
                AuditEntry(
                    id: row["id"], at: Timestamp.date(milliseconds: row["at"]), actor: row["actor"], action: row["action"],
                    articleID: (row["article_id"] as String?).flatMap(ArticleID.init),
                    revision: (row["revision"] as String?).flatMap(RevisionID.init), detail: row["detail"])
            }
        }
    }

    // MARK: - Categories

    package func categories() async throws -> [Category] {
        try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT slug, name FROM categories ORDER BY slug").map {
                Category(slug: $0["slug"], name: $0["name"])
            }
        }
    }

    package func addCategory(_ category: Category, by actor: String, at time: Date) async throws {
        try AccountRules.checkCategory(category)
        let name = category.name.trimmingCharacters(in: .whitespacesAndNewlines)
        try await writer.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM categories WHERE slug = ?)", arguments: [category.slug]) == true {
                throw GalleyError(.alreadyExists, "The category '\(category.slug)' already exists.", field: "slug")
            }
            try db.execute(sql: "INSERT INTO categories (slug, name) VALUES (?, ?)", arguments: [category.slug, name])
            try Self.audit(db, AuditRecord(.categoryAdded, detail: category.slug), actor: actor, at: time)
        }
    }

    // MARK: - Reading articles

    package func article(_ id: ArticleID) async throws -> Article? {
        try await writer.read { db in try ContentRows.article(db, id: id) }
    }

    package func revisions(of id: ArticleID) async throws -> [Revision] {
        try await writer.read { db in try ContentRows.revisions(db, article: id) }
    }

    package func revision(_ id: RevisionID) async throws -> Revision? {
        try await writer.read { db in try ContentRows.revision(db, id: id) }
    }

    package func notes(of id: ArticleID) async throws -> [ReviewNote] {
        try await writer.read { db in try ContentRows.notes(db, article: id) }
    }

    package func conflicts(of id: ArticleID, openOnly: Bool) async throws -> [Conflict] {
        try await writer.read { db in try ContentRows.conflicts(db, article: id, openOnly: openOnly) }
    }

    /// Runs `PRAGMA integrity_check`; "ok" when the file is sound.
    package func integrityCheck() async throws -> String {
        try await writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }

    /// Every change id the archive has answered (for checks after crashes and restores).
    package func appliedChangeIDs() async throws -> Set<ChangeID> {
        try await writer.read { db in Set(try String.fetchAll(db, sql: "SELECT change_id FROM applied_changes").compactMap(ChangeID.init)) }
    }

    // MARK: - Backup

    package func backup(to path: String) async throws {
        do {
            let destination = try DatabaseQueue(path: path)
            try writer.database.backup(to: destination)
            // A restored archive is a different history from the one clients last saw: a new epoch
            // makes them pull it from the start instead of trusting their cursors.
            try await destination.write { db in
                try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'epoch'", arguments: [UUID().uuidString.lowercased()])
            }
            try destination.close()
        } catch {
            throw StoreError.from(error)
        }
    }
}
