import Foundation
import GalleyCore
import GalleyStore

/// The content tables' rows (articles, revisions, conflicts, notes, public rows) read and written
/// in PostgreSQL, as ``ContentRows`` does in SQLite, with the same JSON columns.
enum PGRows {
    // The column lists are the SQLite archive's: the tables have the same columns.
    static let contentColumns = ContentRows.contentColumns
    static let contentAssignments = ContentRows.contentAssignments
    static let contentPlaceholders = ContentRows.contentPlaceholders

    static func contentValues(_ c: ArticleContent) -> [any PGBind] {
        ContentField.content.map { $0 == .tags ? ContentRows.stringArray(c.sortedTags) : c[text: $0] }
    }

    static func content(_ row: PGRow, prefix: String = "") throws -> ArticleContent {
        var content = ArticleContent(tags: Set(try ContentRows.strings(try row[prefix + ContentField.tags.column])))
        for field in ContentField.single { content[text: field] = try row[prefix + field.column] }
        return content
    }

    // MARK: Articles

    static let articleColumns = ContentRows.articleColumns
    static let qualifiedArticleColumns = SQLiteArchive.qualifiedArticleColumns

    static func article(_ row: PGRow) throws -> Article {
        guard let id = ArticleID(try row["id"] as String), let head = RevisionID(try row["head_revision"] as String),
            let state = ArticleState(rawValue: try row["state"])
        else { throw StoreError.corrupt("an article row has a malformed id, head or state") }
        return Article(
            id: id, content: try content(row), authors: try ContentRows.strings(try row["authors"]), state: state,
            headRevision: head, approvedRevision: (try row["approved_revision"] as String?).flatMap(RevisionID.init),
            publishedRevision: (try row["published_revision"] as String?).flatMap(RevisionID.init),
            scheduledAt: ContentRows.date(try row["scheduled_at"]), publishedAt: ContentRows.date(try row["published_at"]),
            related: try ContentRows.strings(try row["related"]).compactMap(ArticleID.init), retractionMessage: try row["retraction_message"],
            createdAt: Timestamp.date(milliseconds: try row["created_at"]), updatedAt: Timestamp.date(milliseconds: try row["updated_at"]),
            deleted: try row["deleted"])
    }

    static func article(_ db: PGConnection, id: ArticleID) throws -> Article? {
        try db.row("SELECT \(articleColumns) FROM articles WHERE id = ?", [id.description]).map(article)
    }

    static func articleNumber(_ db: PGConnection, id: ArticleID) throws -> Int64? {
        try db.value(Int64.self, "SELECT num FROM articles WHERE id = ?", [id.description])
    }

    /// Inserts or updates the article and its tag and author rows, and marks its search entry
    /// as to be written when its text changed (workflow steps leave the text, and the entry,
    /// alone; ``PostgresArchive/writeSearchEntries()`` writes it). Returns its number.
    /// `known`: the article's row as this transaction read it (its number and article), when it
    /// did; then it is not read again.
    @discardableResult
    static func save(_ db: PGConnection, _ a: Article, seq: Int64, known: (num: Int64, article: Article)? = nil) throws -> Int64 {
        let c = a.content
        let tags = ContentRows.stringArray(c.sortedTags)
        var values: [any PGBind] = [a.id.description, a.id.short]
        values += contentValues(c)
        values += [
            ContentRows.stringArray(a.authors), a.state.rawValue, a.headRevision.hex, a.approvedRevision?.hex,
            a.publishedRevision?.hex, ContentRows.ms(a.scheduledAt), ContentRows.ms(a.publishedAt),
            ContentRows.stringArray(a.related.map(\.description)), a.retractionMessage,
            Timestamp.milliseconds(a.createdAt), Timestamp.milliseconds(a.updatedAt), a.deleted, seq,
        ]
        let num: Int64
        // Each statement is a round trip under the writer's lock: the tag and author rows are
        // written only when they changed (most edits change the text alone).
        var writeTags = true
        var writeAuthors = true
        let stored: (num: Int64, title: String, lead: String, body: String, tags: String, authors: String)?
        if let known {
            let o = known.article
            stored = (known.num, o.content.title, o.content.lead, o.content.body, ContentRows.stringArray(o.content.sortedTags), ContentRows.stringArray(o.authors))
        } else if let row = try db.row("SELECT num, title, lead, body, tags, authors FROM articles WHERE id = ?", [a.id.description]) {
            stored = (try row["num"], try row["title"], try row["lead"], try row["body"], try row["tags"], try row["authors"])
        } else {
            stored = nil
        }
        if let old = stored {
            num = old.num
            writeTags = old.tags != tags
            writeAuthors = old.authors != ContentRows.stringArray(a.authors)
            let sameText = old.title == c.title && old.lead == c.lead && old.body == c.body && old.tags == tags
            try db.execute(
                """
                UPDATE articles SET id = ?, short_id = ?, \(contentAssignments), authors = ?, state = ?, head_revision = ?,
                    approved_revision = ?, published_revision = ?, scheduled_at = ?, published_at = ?,
                    related = ?, retraction_message = ?, created_at = ?, updated_at = ?, deleted = ?, seq = ?
                    \(sameText ? "" : ", search = NULL")
                WHERE num = ?
                """,
                values + [num])
            if writeTags { try db.execute("DELETE FROM article_tags WHERE article_num = ?", [num]) }
            if writeAuthors { try db.execute("DELETE FROM article_authors WHERE article_num = ?", [num]) }
        } else {
            num = try db.value(
                Int64.self,
                """
                INSERT INTO articles (id, short_id, \(contentColumns),
                    authors, state, head_revision, approved_revision, published_revision, scheduled_at,
                    published_at, related, retraction_message, created_at, updated_at, deleted, seq)
                VALUES (?, ?, \(contentPlaceholders), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING num
                """,
                values) ?? 0
        }
        if writeTags && !c.tags.isEmpty {
            try db.execute(
                "INSERT INTO article_tags (tag, article_num) SELECT t, ? FROM unnest(?::text[]) AS t ON CONFLICT DO NOTHING", [num, c.sortedTags])
        }
        let authors = Array(Set(a.authors))
        if writeAuthors && !authors.isEmpty {
            try db.execute(
                "INSERT INTO article_authors (name, article_num) SELECT n, ? FROM unnest(?::text[]) AS n ON CONFLICT DO NOTHING", [num, authors])
        }
        return num
    }

    // MARK: Revisions

    static func insert(_ db: PGConnection, _ r: Revision) throws {
        // Revision ids are content hashes: the same revision stored twice is one row.
        try db.execute(
            """
            INSERT INTO revisions (id, article_id, parents, \(contentColumns), author, created_at, change_id)
            VALUES (?, ?, ?, \(contentPlaceholders), ?, ?, ?) ON CONFLICT (id) DO NOTHING
            """,
            [r.id.hex, r.articleID.description, ContentRows.stringArray(r.parents.map(\.hex))] + contentValues(r.content)
                + [r.author, Timestamp.milliseconds(r.createdAt), r.changeID?.description])
    }

    /// The revision columns named `r_…`, for a row that also holds the article's own.
    static let prefixedRevisionColumns = (["id", "article_id", "parents", "author", "created_at", "change_id"] + ContentField.content.map(\.column))
        .map { "r.\($0) AS r_\($0)" }.joined(separator: ", ")

    static func revision(_ row: PGRow, prefix: String = "") throws -> Revision {
        guard let articleID = ArticleID(try row[prefix + "article_id"] as String) else {
            throw StoreError.corrupt("a revision row has a malformed article id")
        }
        let revision = Revision(
            articleID: articleID, parents: try ContentRows.strings(try row[prefix + "parents"]).compactMap(RevisionID.init),
            content: try content(row, prefix: prefix), author: try row[prefix + "author"],
            createdAt: Timestamp.date(milliseconds: try row[prefix + "created_at"]),
            changeID: (try row[prefix + "change_id"] as String?).flatMap(ChangeID.init))
        let id: String = try row[prefix + "id"]
        guard revision.id.hex == id else {
            throw StoreError.corrupt("revision \(id) does not hash to its id; the archive was altered")
        }
        return revision
    }

    static func revision(_ db: PGConnection, id: RevisionID) throws -> Revision? {
        try db.row("SELECT * FROM revisions WHERE id = ?", [id.hex]).map { try revision($0) }
    }

    static func revisions(_ db: PGConnection, article: ArticleID) throws -> [Revision] {
        try db.rows("SELECT * FROM revisions WHERE article_id = ? ORDER BY created_at, ord", [article.description]).map { try revision($0) }
    }

    // MARK: Conflicts and notes

    static func save(_ db: PGConnection, _ c: Conflict, seq: Int64) throws {
        try db.execute(
            """
            INSERT INTO conflicts (id, article_id, field, base, ours, theirs, change_ids, author, revision,
                created_at, resolved_by, resolved_at, seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET resolved_by = excluded.resolved_by, resolved_at = excluded.resolved_at, seq = excluded.seq
            """,
            [
                c.id.description, c.articleID.description, c.field.rawValue, c.base, c.ours, c.theirs,
                ContentRows.stringArray(c.changeIDs.map(\.description)), c.author, c.revision.hex, Timestamp.milliseconds(c.createdAt),
                c.resolvedBy?.description, ContentRows.ms(c.resolvedAt), seq,
            ])
    }

    static func conflict(_ row: PGRow) throws -> Conflict {
        guard let id = ConflictID(try row["id"] as String), let articleID = ArticleID(try row["article_id"] as String),
            let field = ContentField(rawValue: try row["field"]), let revision = RevisionID(try row["revision"] as String)
        else { throw StoreError.corrupt("a conflict row is malformed") }
        return Conflict(
            id: id, articleID: articleID, field: field, base: try row["base"], ours: try row["ours"], theirs: try row["theirs"],
            changeIDs: try ContentRows.decode([ChangeID].self, try row["change_ids"]), author: try row["author"], revision: revision,
            createdAt: Timestamp.date(milliseconds: try row["created_at"]),
            resolvedBy: (try row["resolved_by"] as String?).flatMap(ChangeID.init), resolvedAt: ContentRows.date(try row["resolved_at"]))
    }

    static func conflicts(_ db: PGConnection, article: ArticleID, openOnly: Bool) throws -> [Conflict] {
        try db.rows(
            "SELECT * FROM conflicts WHERE article_id = ? \(openOnly ? "AND resolved_by IS NULL" : "") ORDER BY created_at, id COLLATE \"C\"",
            [article.description]
        ).map(conflict)
    }

    static func insert(_ db: PGConnection, _ n: ReviewNote, seq: Int64) throws {
        try db.execute(
            """
            INSERT INTO notes (id, article_id, author, kind, text, revision, created_at, seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
            """,
            [
                UUIDText.lowercased(n.id), n.articleID.description, n.author, n.kind.rawValue, n.text,
                n.revision?.hex, Timestamp.milliseconds(n.createdAt), seq,
            ])
    }

    static func note(_ row: PGRow) throws -> ReviewNote {
        guard let id = UUIDText.parse(try row["id"]), let articleID = ArticleID(try row["article_id"] as String),
            let kind = ReviewNote.Kind(rawValue: try row["kind"])
        else { throw StoreError.corrupt("a note row is malformed") }
        return ReviewNote(
            id: id, articleID: articleID, author: try row["author"], kind: kind, text: try row["text"],
            revision: (try row["revision"] as String?).flatMap(RevisionID.init), createdAt: Timestamp.date(milliseconds: try row["created_at"]))
    }

    static func notes(_ db: PGConnection, article: ArticleID) throws -> [ReviewNote] {
        try db.rows("SELECT * FROM notes WHERE article_id = ? ORDER BY created_at, id COLLATE \"C\"", [article.description]).map(note)
    }

    // MARK: Public rows

    static let publishedColumns = SQLiteArchive.publishedColumns
    /// The public row's columns named `p_…`, for a row that also holds the article's own.
    static let prefixedPublishedColumns = SQLiteArchive.prefixedPublishedColumns

    static func published(_ row: PGRow, prefix: String = "") throws -> PublishedArticle {
        guard let id = ArticleID(try row[prefix + "id"] as String) else { throw StoreError.corrupt("a published row has a malformed id") }
        return PublishedArticle(
            id: id,
            content: try content(row, prefix: prefix),
            authors: try ContentRows.strings(try row[prefix + "authors"]),
            related: try ContentRows.strings(try row[prefix + "related"]).compactMap(ArticleID.init),
            publishedAt: Timestamp.date(milliseconds: try row[prefix + "published_at"]),
            updatedAt: Timestamp.date(milliseconds: try row[prefix + "updated_at"]),
            retracted: try row[prefix + "retracted"], retractionMessage: try row[prefix + "retraction_message"])
    }
}
