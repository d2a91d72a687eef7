import Foundation
import GRDB
import GalleyCore

/// What the editors' desk reads besides articles: the queue's flags, the notes a person has not
/// read, the revision last approved.
extension SQLiteArchive {
    package func attention(of ids: [ArticleID], for reader: String) async throws -> [ArticleID: Attention] {
        try await writer.read { db in
            var found: [ArticleID: Attention] = [:]
            for id in ids {
                let seen = try Self.seenNote(db, article: id, reader: reader)
                let conflicts = try Int.fetchOne(
                    db.cachedStatement(sql: "SELECT COUNT(*) FROM conflicts WHERE article_id = ? AND resolved_by IS NULL"), arguments: [id.description]) ?? 0
                let notes = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT COUNT(*) AS notes, COUNT(CASE WHEN author <> ? AND seq > ? THEN 1 END) AS unread FROM notes WHERE article_id = ?"),
                    arguments: [reader, seen, id.description])
                found[id] = Attention(openConflicts: conflicts, notes: notes?["notes"] ?? 0, unreadNotes: notes?["unread"] ?? 0)
            }
            return found
        }
    }

    package func count(state: ArticleState) async throws -> Int {
        try await writer.read { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM articles WHERE state = ? AND deleted = 0"), arguments: [state.rawValue]) ?? 0
        }
    }

    package func readNotes(of id: ArticleID, by reader: String) async throws -> Set<UUID> {
        let (unread, latest): ([UUID], Int64) = try await writer.read { db in
            let seen = try Self.seenNote(db, article: id, reader: reader)
            let rows = try Row.fetchAll(
                db.cachedStatement(sql: "SELECT id, seq FROM notes WHERE article_id = ? AND author <> ? AND seq > ?"), arguments: [id.description, reader, seen])
            return (rows.compactMap { UUID(uuidString: $0["id"]) }, rows.map { $0["seq"] as Int64 }.max() ?? seen)
        }
        // Written only when something was unread: opening a page is a read, not a write.
        guard !unread.isEmpty else { return [] }
        try await writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO note_reads (user_name, article_id, seen_seq) VALUES (?, ?, ?)
                    ON CONFLICT (user_name, article_id) DO UPDATE SET seen_seq = MAX(seen_seq, excluded.seen_seq)
                    """,
                arguments: [reader, id.description, latest])
        }
        return Set(unread)
    }

    package func lastApproval(of id: ArticleID) async throws -> RevisionID? {
        try await writer.read { db in
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT revision FROM events WHERE article_id = ? AND kind = ? ORDER BY seq DESC LIMIT 1"),
                arguments: [id.description, ChangeApplier.Event.state(.approved).recorded]
            ).flatMap(RevisionID.init)
        }
    }

    static func seenNote(_ db: Database, article: ArticleID, reader: String) throws -> Int64 {
        try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT seen_seq FROM note_reads WHERE user_name = ? AND article_id = ?"), arguments: [reader, article.description]) ?? 0
    }
}
