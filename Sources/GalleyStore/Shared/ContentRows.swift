import Foundation
import GRDB
import GalleyCore

/// Reading and writing the shared content tables (see ``ContentSchema``). Every function runs
/// inside the caller's transaction.
package enum ContentRows {
    // MARK: JSON columns

    /// A value as the JSON text a column holds. A failure is an error, never a stand-in value:
    /// these columns hold changes and the server's answers to them.
    package static func encoded<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try GalleyJSON.encoder().encode(value), as: UTF8.self)
    }

    package static func decode<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T {
        guard let text else { throw StoreError.corrupt("a JSON column is NULL") }
        do {
            return try GalleyJSON.decoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw StoreError.corrupt("a JSON column does not decode: \(error)")
        }
    }

    /// A JSON array of strings, written by hand: these columns are read and written for every
    /// article on every sync, and Foundation's coders are slow for such small values.
    package static func stringArray(_ values: [String]) -> String {
        var out = "["
        for (k, v) in values.enumerated() {
            if k > 0 { out += "," }
            out += "\""
            for scalar in v.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 {
                        out += String(format: "\\u%04x", scalar.value)
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            out += "\""
        }
        return out + "]"
    }

    /// Reads what ``stringArray(_:)`` writes (and any JSON array of strings, through Foundation
    /// when it has escapes this fast path does not handle).
    package static func strings(_ text: String?) throws -> [String] {
        guard let text else { throw StoreError.corrupt("a JSON column is NULL") }
        if text == "[]" { return [] }
        var out: [String] = []
        var current = ""
        var inString = false
        var iterator = text.unicodeScalars.makeIterator()
        guard iterator.next() == "[" else { return try decode([String].self, text) }
        while let c = iterator.next() {
            if inString {
                if c == "\"" {
                    out.append(current)
                    current = ""
                    inString = false
                } else if c == "\\" {
                    // Escapes: let Foundation do the full job.
                    return try decode([String].self, text)
                } else {
                    current.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                inString = true
            } else if c == "]" {
                return out
            }
        }
        throw StoreError.corrupt("a JSON array column is cut short")
    }

    package static func ms(_ date: Date?) -> Int64? { date.map(Timestamp.milliseconds) }
    package static func date(_ ms: Int64?) -> Date? { ms.map(Timestamp.date(milliseconds:)) }

    // MARK: Content columns

    /// The content columns every content table has (articles, revisions, public rows), in the
    /// table's order (``ContentField/content``): `title, lead, body, category, tags, …`.
    package static let contentColumns = ContentField.content.map(\.column).joined(separator: ", ")
    /// `title = ?, lead = ?, …`, for an UPDATE.
    package static let contentAssignments = ContentField.content.map { "\($0.column) = ?" }.joined(separator: ", ")
    /// One `?` a content column.
    package static let contentPlaceholders = ContentField.content.map { _ in "?" }.joined(separator: ", ")

    /// The values of ``contentColumns``, in their order.
    static func contentValues(_ c: ArticleContent) -> [any DatabaseValueConvertible] {
        ContentField.content.map { $0 == .tags ? stringArray(c.sortedTags) : c[text: $0] }
    }

    /// The content a row holds in ``contentColumns`` (named `prefix` + column).
    static func content(_ row: Row, prefix: String = "") throws -> ArticleContent {
        var content = ArticleContent(tags: Set(try strings(row[prefix + ContentField.tags.column])))
        for field in ContentField.single { content[text: field] = row[prefix + field.column] }
        return content
    }

    // MARK: Articles

    package static let articleColumns = """
        num, id, \(contentColumns), authors, state, head_revision,
        approved_revision, published_revision, scheduled_at, published_at, related, retraction_message,
        created_at, updated_at, deleted, seq
        """

    static func article(_ row: Row) throws -> Article {
        guard let id = ArticleID(row["id"] as String), let head = RevisionID(row["head_revision"] as String),
            let state = ArticleState(rawValue: row["state"])
        else { throw StoreError.corrupt("an article row has a malformed id, head or state") }
        return Article(
            id: id, content: try content(row), authors: try strings(row["authors"]), state: state,
            headRevision: head, approvedRevision: (row["approved_revision"] as String?).flatMap(RevisionID.init),
            publishedRevision: (row["published_revision"] as String?).flatMap(RevisionID.init),
            scheduledAt: date(row["scheduled_at"]), publishedAt: date(row["published_at"]),
            related: try strings(row["related"]).compactMap(ArticleID.init), retractionMessage: row["retraction_message"],
            createdAt: date(row["created_at"]) ?? Date(timeIntervalSince1970: 0),
            updatedAt: date(row["updated_at"]) ?? Date(timeIntervalSince1970: 0), deleted: row["deleted"])
    }

    static func article(_ db: Database, id: ArticleID) throws -> Article? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(articleColumns) FROM articles WHERE id = ?"), arguments: [id.description])
            .map(article)
    }

    static func articleNumber(_ db: Database, id: ArticleID) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT num FROM articles WHERE id = ?"), arguments: [id.description])
    }

    /// Inserts or replaces the article and keeps its tag and author index rows, and its
    /// full-text entry, in step (through `search`, when given: then the entry is written when the
    /// journal is flushed). Statements are cached: a sync stores thousands of articles in a row.
    @discardableResult
    static func save(_ db: Database, _ a: Article, seq: Int64, search: SearchJournal? = nil) throws -> Int64 {
        let c = a.content
        let tags = stringArray(c.sortedTags)
        var arguments = StatementArguments([a.id.description, a.id.short])
        arguments += StatementArguments(contentValues(c))
        arguments += [
            stringArray(a.authors), a.state.rawValue, a.headRevision.hex, a.approvedRevision?.hex,
            a.publishedRevision?.hex, ms(a.scheduledAt), ms(a.publishedAt), stringArray(a.related.map(\.description)), a.retractionMessage,
            ms(a.createdAt), ms(a.updatedAt), a.deleted, seq,
        ]
        let indexed = Indexed(title: c.title, lead: c.lead, body: c.body, tags: tags, deleted: a.deleted)
        let num: Int64
        if let (existing, before) = try indexedRow(db, id: a.id) {
            num = existing
            var update = arguments
            update += [num]
            try db.cachedStatement(sql: """
                UPDATE articles SET id = ?, short_id = ?, \(contentAssignments), authors = ?, state = ?, head_revision = ?,
                    approved_revision = ?, published_revision = ?, scheduled_at = ?, published_at = ?,
                    related = ?, retraction_message = ?, created_at = ?, updated_at = ?, deleted = ?, seq = ?
                WHERE num = ?
                """).execute(arguments: update)
            // Workflow steps and metadata leave the text alone: then so does the index.
            if let search {
                search.record(num, from: before, to: indexed)
            } else if before != indexed {
                try unindex(db, num, before)
                try index(db, num, indexed)
            }
            try db.cachedStatement(sql: "DELETE FROM article_tags WHERE article_num = ?").execute(arguments: [num])
            try db.cachedStatement(sql: "DELETE FROM article_authors WHERE article_num = ?").execute(arguments: [num])
        } else {
            try db.cachedStatement(sql: """
                INSERT INTO articles (id, short_id, \(contentColumns),
                    authors, state, head_revision, approved_revision, published_revision, scheduled_at,
                    published_at, related, retraction_message, created_at, updated_at, deleted, seq)
                VALUES (?, ?, \(contentPlaceholders), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: arguments)
            num = db.lastInsertedRowID
            if let search { search.record(num, from: nil, to: indexed) } else { try index(db, num, indexed) }
        }
        let tag = try db.cachedStatement(sql: "INSERT INTO article_tags (tag, article_num) VALUES (?, ?)")
        for t in c.tags { try tag.execute(arguments: [t, num]) }
        let author = try db.cachedStatement(sql: "INSERT INTO article_authors (name, article_num) VALUES (?, ?)")
        for name in Set(a.authors) { try author.execute(arguments: [name, num]) }
        return num
    }

    /// Removes an article row and its full-text entry.
    static func delete(_ db: Database, id: ArticleID, search: SearchJournal? = nil) throws {
        guard let (num, old) = try indexedRow(db, id: id) else { return }
        if let search { search.record(num, from: old, to: nil) } else { try unindex(db, num, old) }
        try db.cachedStatement(sql: "DELETE FROM article_tags WHERE article_num = ?").execute(arguments: [num])
        try db.cachedStatement(sql: "DELETE FROM article_authors WHERE article_num = ?").execute(arguments: [num])
        try db.cachedStatement(sql: "DELETE FROM articles WHERE num = ?").execute(arguments: [num])
    }

    /// Removes every article row and empties the full-text index.
    static func deleteAll(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM article_tags; DELETE FROM article_authors; DELETE FROM articles")
        try db.execute(sql: "INSERT INTO articles_fts(articles_fts) VALUES ('delete-all')")
    }

    // MARK: The full-text index

    // The index is written by these statements, not by triggers. A statement that fires a trigger
    // writing to FTS5 runs in a statement savepoint, and FTS5 (SQLite 3.40) flushes its pending
    // terms to disk at every savepoint: with triggers, storing an article cost four times as much.

    /// The full-text writes of one transaction, made when it is about to commit, in row order.
    /// FTS5 writes its pending terms out as a new index segment (and merges segments) whenever a
    /// row comes before the last one it was given: a batch of edits to articles in the order they
    /// arrived did that at nearly every article, and the index was a third of the writer's time
    /// under push load. In row order the whole transaction is one segment. An article written
    /// several times in the transaction is indexed once, as it stands at the end.
    final class SearchJournal {
        private var entries: [Int64: (before: Indexed?, after: Indexed?)] = [:]

        init() {}

        /// `before`: what the index holds now (nil: nothing); `after`: what it should hold.
        func record(_ num: Int64, from before: Indexed?, to after: Indexed?) {
            if let earlier = entries[num] {
                // The index still holds what it held before this transaction's first write.
                entries[num] = (earlier.before, after)
            } else {
                entries[num] = (before, after)
            }
        }

        /// What was recorded so far, to go back to when a savepoint is rolled back.
        var mark: [Int64: (before: Indexed?, after: Indexed?)] { entries }
        func restore(_ mark: [Int64: (before: Indexed?, after: Indexed?)]) { entries = mark }

        /// Writes the recorded entries, in row order, and forgets them.
        func flush(_ db: Database) throws {
            for num in entries.keys.sorted() {
                let (before, after) = entries[num]!
                guard before != after else { continue }
                if let before { try unindex(db, num, before) }
                if let after { try index(db, num, after) }
            }
            entries.removeAll()
        }
    }

    /// What the index holds of an article (live articles only).
    struct Indexed: Equatable {
        var title: String
        var lead: String
        var body: String
        var tags: String
        var deleted: Bool
    }

    /// The article's row number and what the index holds of it, or nil when there is no row.
    static func indexedRow(_ db: Database, id: ArticleID) throws -> (num: Int64, entry: Indexed)? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT num, title, lead, body, tags, deleted FROM articles WHERE id = ?"), arguments: [id.description]
        ).map { ($0["num"], Indexed(title: $0["title"], lead: $0["lead"], body: $0["body"], tags: $0["tags"], deleted: $0["deleted"])) }
    }

    static func index(_ db: Database, _ num: Int64, _ entry: Indexed) throws {
        guard !entry.deleted else { return }
        try db.cachedStatement(sql: "INSERT INTO articles_fts(rowid, title, lead, body, tags) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [num, entry.title, entry.lead, entry.body, entry.tags])
    }

    /// An external-content FTS5 table forgets a row only when told the exact text it indexed.
    static func unindex(_ db: Database, _ num: Int64, _ entry: Indexed) throws {
        guard !entry.deleted else { return }
        try db.cachedStatement(sql: "INSERT INTO articles_fts(articles_fts, rowid, title, lead, body, tags) VALUES ('delete', ?, ?, ?, ?, ?)")
            .execute(arguments: [num, entry.title, entry.lead, entry.body, entry.tags])
    }

    // MARK: Revisions

    static func insert(_ db: Database, _ r: Revision) throws {
        let c = r.content
        // Revision ids are content hashes: the same revision may arrive twice (two replicas making
        // the same edit), and it is the same row.
        try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO revisions (id, article_id, parents, \(contentColumns), author, created_at, change_id)
                VALUES (?, ?, ?, \(contentPlaceholders), ?, ?, ?)
                """).execute(
            arguments: StatementArguments([r.id.hex, r.articleID.description, stringArray(r.parents.map(\.hex))])
                + StatementArguments(contentValues(c)) + [r.author, ms(r.createdAt), r.changeID?.description])
    }

    static func revision(_ row: Row) throws -> Revision {
        guard let articleID = ArticleID(row["article_id"] as String) else {
            throw StoreError.corrupt("a revision row has a malformed article id")
        }
        let parents = try strings(row["parents"]).compactMap(RevisionID.init)
        let revision = Revision(
            articleID: articleID, parents: parents, content: try content(row), author: row["author"],
            createdAt: date(row["created_at"]) ?? Date(timeIntervalSince1970: 0),
            changeID: (row["change_id"] as String?).flatMap(ChangeID.init))
        guard revision.id.hex == row["id"] as String else {
            throw StoreError.corrupt("revision \(row["id"] as String) does not hash to its id; the archive was altered")
        }
        return revision
    }

    static func revision(_ db: Database, id: RevisionID) throws -> Revision? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM revisions WHERE id = ?"), arguments: [id.hex]).map(revision)
    }

    static func revisions(_ db: Database, article: ArticleID) throws -> [Revision] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM revisions WHERE article_id = ? ORDER BY created_at, rowid",
            arguments: [article.description]
        ).map(revision)
    }

    // MARK: Conflicts

    static func save(_ db: Database, _ c: Conflict, seq: Int64) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO conflicts (id, article_id, field, base, ours, theirs, change_ids, author, revision,
                    created_at, resolved_by, resolved_at, seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET resolved_by = excluded.resolved_by,
                    resolved_at = excluded.resolved_at, seq = excluded.seq
                """
        ).execute(
            arguments: [
                c.id.description, c.articleID.description, c.field.rawValue, c.base, c.ours, c.theirs,
                stringArray(c.changeIDs.map(\.description)), c.author, c.revision.hex, ms(c.createdAt), c.resolvedBy?.description,
                ms(c.resolvedAt), seq,
            ])
    }

    static func conflict(_ row: Row) throws -> Conflict {
        guard let id = ConflictID(row["id"] as String), let articleID = ArticleID(row["article_id"] as String),
            let field = ContentField(rawValue: row["field"]), let revision = RevisionID(row["revision"] as String)
        else { throw StoreError.corrupt("a conflict row is malformed") }
        return Conflict(
            id: id, articleID: articleID, field: field, base: row["base"], ours: row["ours"], theirs: row["theirs"],
            changeIDs: try decode([ChangeID].self, row["change_ids"]), author: row["author"], revision: revision,
            createdAt: date(row["created_at"]) ?? Date(timeIntervalSince1970: 0),
            resolvedBy: (row["resolved_by"] as String?).flatMap(ChangeID.init), resolvedAt: date(row["resolved_at"]))
    }

    static func conflicts(_ db: Database, article: ArticleID, openOnly: Bool) throws -> [Conflict] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM conflicts WHERE article_id = ? \(openOnly ? "AND resolved_by IS NULL" : "") ORDER BY created_at, id"),
            arguments: [article.description]
        ).map(conflict)
    }

    // MARK: Notes

    static func insert(_ db: Database, _ n: ReviewNote, seq: Int64) throws {
        try db.cachedStatement(
            sql: """
                INSERT OR IGNORE INTO notes (id, article_id, author, kind, text, revision, created_at, seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(
            arguments: [
                UUIDText.lowercased(n.id), n.articleID.description, n.author, n.kind.rawValue, n.text,
                n.revision?.hex, ms(n.createdAt), seq,
            ])
    }

    static func note(_ row: Row) throws -> ReviewNote {
        guard let id = UUIDText.parse(row["id"]), let articleID = ArticleID(row["article_id"] as String),
            let kind = ReviewNote.Kind(rawValue: row["kind"])
        else { throw StoreError.corrupt("a note row is malformed") }
        return ReviewNote(
            id: id, articleID: articleID, author: row["author"], kind: kind, text: row["text"],
            revision: (row["revision"] as String?).flatMap(RevisionID.init),
            createdAt: date(row["created_at"]) ?? Date(timeIntervalSince1970: 0))
    }

    static func notes(_ db: Database, article: ArticleID) throws -> [ReviewNote] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM notes WHERE article_id = ? ORDER BY created_at, id", arguments: [article.description]
        ).map(note)
    }

    // MARK: Search

    /// Plain words become a safe query (every word must occur; the last may be a prefix). Text
    /// with FTS5 operators (quotes, AND/OR/NOT, `*`, parentheses, `column:`) is passed through, so
    /// experts can use them; if FTS5 cannot parse it, the caller hears so.
    static func matchExpression(_ text: String) throws -> String {
        // In the form the index holds text in (NFC): "ў" typed as у and a combining breve matches.
        let trimmed = text.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.allSatisfy({ $0 == "*" || $0 == "^" || $0.isWhitespace }) {
            throw GalleyError(.badQuery, "Search for words; a * after the beginning of a word finds the words it begins.", field: "q")
        }
        let operators = ["\"", "*", "(", ")", ":", " AND ", " OR ", " NOT ", "^", "NEAR("]
        if operators.contains(where: { trimmed.contains($0) }) { return trimmed }
        guard let query = ftsQuery(trimmed) else { throw nothingToSearch(trimmed) }
        return query
    }

    /// A query with no word in it. Emoji and punctuation are not indexed: say so, rather than
    /// that nothing was typed.
    package static func nothingToSearch(_ text: String) -> GalleyError {
        GalleyError(
            .badQuery, text.isEmpty ? "The search is empty; give at least one word." : "'\(text.prefix(40))' has no letters or digits to search for (emoji and punctuation are not indexed); search for words.",
            field: "q")
    }

    /// What a reader hears of a query FTS5 could not parse (operators typed by an expert).
    static func badQuery(_ text: String, _ error: DatabaseError) -> GalleyError {
        GalleyError(.badQuery, "The search '\(text)' is not a valid query: \(error.message ?? "syntax error"). Search for plain words, or quote a phrase.")
    }

    /// An FTS5 query built from what a person typed: each word must occur (prefix match on the
    /// last one), and nothing they type is taken as FTS5 syntax, so no input can make it fail.
    package static func ftsQuery(_ text: String) -> String? {
        var words: [String] = []
        var current = ""
        for ch in text {
            if ch.isLetter || ch.isNumber || ch == "_" { current.append(ch) } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        guard !words.isEmpty else { return nil }
        return words.prefix(32).enumerated().map { i, w in
            "\"\(w)\"" + (i == min(words.count, 32) - 1 ? "*" : "")
        }.joined(separator: " ")
    }
}
