import Foundation
import GalleyCore
import GalleyStore

/// What the editors' desk reads besides articles (see the SQLite archive's).
extension PostgresArchive {
    package func attention(of ids: [ArticleID], for reader: String) async throws -> [ArticleID: Attention] {
        guard !ids.isEmpty else { return [:] }
        return try await run { db in
            let keys = ids.map(\.description)
            let marks = Array(repeating: "?", count: keys.count).joined(separator: ", ")
            var found = Dictionary(uniqueKeysWithValues: ids.map { ($0, Attention()) })
            for row in try db.rows(
                "SELECT article_id, COUNT(*) AS open FROM conflicts WHERE resolved_by IS NULL AND article_id IN (\(marks)) GROUP BY article_id", keys)
            {
                if let id = ArticleID(try row["article_id"] as String) { found[id]?.openConflicts = Int(try row["open"] as Int64) }
            }
            for row in try db.rows(
                """
                SELECT n.article_id, COUNT(*) AS notes, COUNT(*) FILTER (WHERE n.author <> ? AND n.seq > COALESCE(r.seen_seq, 0)) AS unread
                FROM notes n LEFT JOIN note_reads r ON r.user_name = ? AND r.article_id = n.article_id
                WHERE n.article_id IN (\(marks)) GROUP BY n.article_id
                """, [reader, reader] + keys)
            {
                if let id = ArticleID(try row["article_id"] as String) {
                    found[id]?.notes = Int(try row["notes"] as Int64)
                    found[id]?.unreadNotes = Int(try row["unread"] as Int64)
                }
            }
            return found
        }
    }

    package func count(state: ArticleState) async throws -> Int {
        try await run { db in Int(try db.value(Int64.self, "SELECT COUNT(*) FROM articles WHERE state = ? AND deleted = false", [state.rawValue]) ?? 0) }
    }

    package func readNotes(of id: ArticleID, by reader: String) async throws -> Set<UUID> {
        try await run { db in
            let seen = try db.value(Int64.self, "SELECT seen_seq FROM note_reads WHERE user_name = ? AND article_id = ?", [reader, id.description]) ?? 0
            let rows = try db.rows("SELECT id, seq FROM notes WHERE article_id = ? AND author <> ? AND seq > ?", [id.description, reader, seen])
            // Written only when something was unread: opening a page is a read, not a write.
            guard let latest = try rows.map({ try $0["seq"] as Int64 }).max() else { return [] }
            try db.execute(
                """
                INSERT INTO note_reads (user_name, article_id, seen_seq) VALUES (?, ?, ?)
                ON CONFLICT (user_name, article_id) DO UPDATE SET seen_seq = GREATEST(note_reads.seen_seq, excluded.seen_seq)
                """, [reader, id.description, latest])
            return Set(try rows.compactMap { UUID(uuidString: try $0["id"] as String) })
        }
    }

    package func lastApproval(of id: ArticleID) async throws -> RevisionID? {
        try await run { db in
            try db.value(
                String.self, "SELECT revision FROM events WHERE article_id = ? AND kind = ? ORDER BY seq DESC LIMIT 1",
                [id.description, ChangeApplier.Event.state(.approved).recorded]
            ).flatMap(RevisionID.init)
        }
    }
}
