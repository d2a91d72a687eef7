import Foundation
import GRDB
import GalleyCore

/// A prepared replica: the first sync of a laptop can start from a file the server made, in which
/// every row and the full-text index are already written, instead of building them itself from
/// pulled pages (decoding, hashing and indexing 20,000 articles took 15 to 26 s here; the same
/// rows copied from a snapshot, 3 to 5 s). The snapshot holds what pulls from cursor 0
/// up to its cursor would have stored, made by the same code from the same pages; the sync
/// then pulls on from its cursor as always.
extension ClientReplica {
    /// The replica schema a snapshot was made with: its last migration. A laptop takes a snapshot
    /// only of its own schema, so that client and server of different versions simply pull.
    package static var schemaVersion: String { ReplicaSchema.migrator.migrations.last ?? "" }

    /// What a snapshot carries, in an order their references allow: the rows pulls store, and the
    /// full-text index's own tables, copied as they are so that no text is indexed again.
    static let snapshotTables = [
        "articles", "article_tags", "article_authors", "revisions", "conflicts", "notes", "events", "server_articles",
        "articles_fts_data", "articles_fts_idx", "articles_fts_docsize", "articles_fts_config",
    ]

    /// Makes a snapshot at `path` (a new file) from the pages `page(cursor)` gives, starting at
    /// cursor 0, as a reviewer's replica would store them, with the revisions changes were
    /// requested on (`revision(id)`; a first sync fetches them too). Returns where it ends.
    package static func makeSnapshot(
        at path: String, page: (Int64) async throws -> PullPage, revision: (RevisionID) async throws -> Revision?
    ) async throws -> (cursor: Int64, epoch: String) {
        let replica = try ClientReplica(path: path)
        // Reviewers see every article as it is, whoever they are: no name belongs in the file.
        try replica.setUser(name: "", role: .editor)
        var cursor: Int64 = 0
        var epoch = ""
        while true {
            let next = try await page(cursor)
            // Storing a page blocks its thread for a while: not one of the few that run tasks.
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                DispatchQueue.global(qos: .utility).async {
                    done.resume(with: Result { try replica.apply(next, now: Date()) })
                }
            }
            cursor = next.nextCursor
            epoch = next.epoch
            if !next.hasMore { break }
        }
        // What `galley diff` reads a revised article against.
        for id in try replica.missingRequestedRevisions() {
            if let found = try await revision(id) { try replica.store(found) }
        }
        try await replica.writer.write { db in
            try db.execute(sql: "UPDATE sync_state SET user_name = NULL, role = NULL, server_url = NULL WHERE id = 1")
        }
        // One self-contained file: the log folded in before it is handed out.
        try replica.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try replica.writer.close()
        return (cursor, epoch)
    }

    /// The revisions editors requested changes on that this replica lacks.
    package func missingRequestedRevisions() throws -> [RevisionID] {
        try writer.read { db in
            try String.fetchAll(db, sql: """
                SELECT DISTINCT n.revision FROM notes n
                WHERE n.kind = ? AND n.revision IS NOT NULL AND NOT EXISTS (SELECT 1 FROM revisions r WHERE r.id = n.revision)
                """, arguments: [ReviewNote.Kind.changesRequested.rawValue]).compactMap(RevisionID.init)
        }
    }

    /// Whether each table the snapshot carries is a table there, with the same columns in the
    /// same order as here (rows are copied by position).
    static func sameTables(_ db: Database) throws -> Bool {
        for table in snapshotTables {
            guard try String.fetchOne(db, sql: "SELECT type FROM snapshot.sqlite_master WHERE name = ?", arguments: [table]) == "table" else { return false }
            let columns = "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?, ?)"
            let theirs = try Row.fetchAll(db, sql: columns, arguments: [table, "snapshot"]).map { $0.description }
            let ours = try Row.fetchAll(db, sql: columns, arguments: [table, "main"]).map { $0.description }
            guard theirs == ours, !ours.isEmpty else { return false }
        }
        return true
    }

    /// Whether this replica has nothing a snapshot could clash with: never pulled, nothing
    /// written offline.
    package func isEmpty() throws -> Bool {
        try writer.read { db in try Self.isEmpty(db) }
    }

    static func isEmpty(_ db: Database) throws -> Bool {
        guard try Int64.fetchOne(db, sql: "SELECT cursor FROM sync_state WHERE id = 1") == 0 else { return false }
        for table in ["articles", "revisions", "outbox", "conflicts", "notes", "events", "server_articles", "rejected_changes"] {
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM \(table))") == true { return false }
        }
        return true
    }

    /// Fills this replica from the snapshot file at `path`, in one transaction, and moves its
    /// cursor and epoch to the snapshot's. Touches nothing and returns false when this replica is
    /// not empty, or the file was made with another schema or is no snapshot.
    package func install(snapshotAt path: String) throws -> Bool {
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS snapshot", arguments: [path])
            defer { try? db.execute(sql: "DETACH DATABASE snapshot") }
            var installed = false
            try db.inTransaction {
                let ours = try String.fetchAll(db, sql: "SELECT identifier FROM main.grdb_migrations ORDER BY identifier")
                guard try Self.isEmpty(db),
                    try String.fetchAll(db, sql: "SELECT identifier FROM snapshot.grdb_migrations ORDER BY identifier") == ours,
                    try Self.sameTables(db),
                    let state = try Row.fetchOne(db, sql: "SELECT epoch, cursor FROM snapshot.sync_state WHERE id = 1"),
                    let epoch = state["epoch"] as String?, let cursor = state["cursor"] as Int64?, cursor > 0
                else { return .rollback }
                for table in Self.snapshotTables {
                    // An empty table takes the rows as they are stored, page by page (SQLite's
                    // transfer of `INSERT … SELECT *` between identical tables).
                    try db.execute(sql: "DELETE FROM main.\(table)")
                    try db.execute(sql: "INSERT INTO main.\(table) SELECT * FROM snapshot.\(table)")
                }
                try db.execute(sql: "UPDATE sync_state SET cursor = ?, epoch = ? WHERE id = 1", arguments: [cursor, epoch])
                // What pulled pages would have been decoded from is read back the same way before
                // it is kept: every article as commands read it, and the full-text index opened
                // and asked. A damaged file (the index's structure, a state no version knows)
                // throws here and leaves the replica empty, instead of breaking every command.
                let rows = try Row.fetchCursor(db, sql: "SELECT * FROM articles")
                while let row = try rows.next() { _ = try ContentRows.article(row) }
                _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'galley OR the OR і'")
                installed = true
                return .commit
            }
            return installed
        }
    }
}
