import Foundation
import GRDB
import GalleyCore

/// A client's local replica (`.galley/replica.sqlite`): the articles it knows, the revisions
/// they were made from, the outbox of local changes, conflicts, notes and the sync cursor. Every
/// command works on it offline; each step is one transaction, so a crash leaves it consistent.
package final class ClientReplica: Sendable {
    let writer: Storage

    package convenience init(path: String) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // A pulled page is a few MiB of text and its full-text index; with SQLite's 2 MiB
            // default cache the transaction spills pages to the WAL before it commits.
            try db.execute(sql: "PRAGMA cache_size = -16384")
            // WAL, so that a `galley list` reads while a `galley sync` in another terminal
            // writes. It stays set in the file; on a replica that has it this reads the header.
            guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                throw StoreError.corrupt("the replica cannot be put in WAL mode")
            }
        }
        // One connection, not a pool: each command is a process of its own and does one thing
        // at a time (processes side by side still read beside a writer, through the WAL). A
        // pool, opened where SQLite had removed the WAL file as the last process closed, writes
        // a transaction to make one (GRDB issue 102), so every `galley list` wrote the replica
        // and synced it three times, a quarter of the command's time; a queue reads without
        // writing a byte.
        let queue: DatabaseQueue
        do { queue = try DatabaseQueue(path: path, configuration: config) } catch { throw StoreError.from(error) }
        // An edit saved offline is on the disk when the command returns, power cut or not.
        try Storage.flushingEveryCommit(queue)
        try self.init(writer: queue)
    }

    package static func inMemory() throws -> ClientReplica {
        var config = Configuration()
        config.foreignKeysEnabled = true
        return try ClientReplica(writer: DatabaseQueue(configuration: config))
    }

    init(writer: any DatabaseWriter) throws {
        self.writer = Storage(writer)
        do { try ReplicaSchema.migrator.migrate(writer) } catch { throw StoreError.from(error) }
    }

    /// Where this replica syncs, and how far it has got.
    package struct SyncState: Hashable, Sendable {
        package var replicaID: UUID
        package var serverURL: String?
        package var userName: String?
        package var role: Role?
        package var epoch: String?
        package var cursor: Int64
        package var lastSync: Date?
    }

    package func syncState() throws -> SyncState {
        try writer.read { db in try Self.syncState(db) }
    }

    static func syncState(_ db: Database) throws -> SyncState {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM sync_state WHERE id = 1"),
            let replica = UUID(uuidString: row["replica_id"])
        else { throw StoreError.corrupt("the replica has no sync state") }
        return SyncState(
            replicaID: replica, serverURL: row["server_url"], userName: row["user_name"],
            role: (row["role"] as String?).flatMap(Role.init(rawValue:)), epoch: row["epoch"], cursor: row["cursor"],
            lastSync: (row["last_sync"] as Int64?).map(Timestamp.date(milliseconds:)))
    }

    package func setServer(url: String?) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE sync_state SET server_url = ? WHERE id = 1", arguments: [url])
        }
    }

    package func setUser(name: String?, role: Role?) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE sync_state SET user_name = ?, role = ? WHERE id = 1", arguments: [name, role?.rawValue])
        }
    }

    // MARK: Reading

    package func article(_ id: ArticleID) throws -> Article? {
        try writer.read { db in try ContentRows.article(db, id: id) }
    }

    package func revision(_ id: RevisionID) throws -> Revision? {
        try writer.read { db in try ContentRows.revision(db, id: id) }
    }

    /// Keeps a revision fetched from the server (one a review is read against, say).
    package func store(_ revision: Revision) throws {
        try writer.write { db in try ContentRows.insert(db, revision) }
    }

    package func revisions(of id: ArticleID) throws -> [Revision] {
        try writer.read { db in try ContentRows.revisions(db, article: id) }
    }

    /// An article's conflicts; open ones are those neither the server nor the outbox settled.
    package func conflicts(of id: ArticleID, openOnly: Bool = true) throws -> [Conflict] {
        try writer.read { db in
            let all = try ContentRows.conflicts(db, article: id, openOnly: openOnly)
            guard openOnly else { return all }
            let settled = Set(try String.fetchAll(
                db, sql: "SELECT r.conflict_id FROM outbox_resolves r JOIN outbox o ON o.change_id = r.change_id WHERE o.article_id = ?",
                arguments: [id.description]))
            return all.filter { !settled.contains($0.id.description) }
        }
    }

    /// The open conflicts of each of `ids` (those with none are left out), in one read: a
    /// listing asks for a page of articles at once, and a read per article was most of its time.
    package func openConflicts(of ids: [ArticleID]) throws -> [ArticleID: [Conflict]] {
        try writer.read { db in
            var found: [ArticleID: [Conflict]] = [:]
            // Bound to SQLite's limit on a statement's parameters, whatever the page's size.
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = ids[start..<min(start + 500, ids.count)]
                let marks = chunk.map { _ in "?" }.joined(separator: ",")
                let rows = try Row.fetchAll(
                    db, sql: "SELECT * FROM conflicts WHERE article_id IN (\(marks)) AND \(Self.stillOpen) ORDER BY created_at, id",
                    arguments: StatementArguments(chunk.map(\.description)))
                for conflict in try rows.map(ContentRows.conflict) { found[conflict.articleID, default: []].append(conflict) }
            }
            return found
        }
    }

    package func notes(of id: ArticleID) throws -> [ReviewNote] {
        try writer.read { db in try ContentRows.notes(db, article: id) }
    }

    /// Full-text search over the local replica, offline: the best `limit` matches after
    /// `offset`, and how many match in all.
    package func search(_ text: String, limit: Int = 50, offset: Int = 0) throws -> (articles: [Article], total: Int) {
        let match = try ContentRows.matchExpression(text)
        return try writer.read { db in
            do {
                let articles = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT a.* FROM articles_fts f JOIN articles a ON a.num = f.rowid
                        WHERE articles_fts MATCH ? AND a.deleted = 0
                        ORDER BY bm25(articles_fts, 10.0, 4.0, 1.0, 6.0) LIMIT ? OFFSET ?
                        """, arguments: [match, Int64(clamping: limit), offset]
                ).map(ContentRows.article)
                let total = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM articles_fts f JOIN articles a ON a.num = f.rowid WHERE articles_fts MATCH ? AND a.deleted = 0",
                    arguments: [match]) ?? 0
                return (articles, total)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
                throw ContentRows.badQuery(text, error)
            }
        }
    }

    /// Runs `PRAGMA integrity_check`; "ok" when the file is sound.
    package func integrityCheck() throws -> String {
        try writer.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
    }
}
