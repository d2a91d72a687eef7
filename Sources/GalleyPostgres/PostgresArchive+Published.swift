import Foundation
import GalleyCore
import GalleyMarkdown
import GalleyStore

/// The public archive in PostgreSQL, kept in step by every write as the SQLite archive's is (see
/// ``SQLiteArchive``'s `refreshPublished`): the public row, its search entry, the term counts
/// and "similar articles".
extension PostgresArchive {
    @discardableResult
    static func refreshPublished(_ db: PGConnection, _ article: Article, num: Int64, seq: Int64, publishing: Bool) throws -> Bool {
        let old = try db.row(
            "SELECT title, lead, body_text, tags, revision, retracted, retraction_message, authors, related FROM published_articles WHERE article_num = ?",
            [num])
        guard article.isPublic, let revisionID = article.publishedRevision else { return try unpublish(db, num, old) }
        let authors: String = try publishing || old == nil ? ContentRows.stringArray(article.authors) : old!["authors"]
        let related = ContentRows.stringArray(article.related.map(\.description))
        let retracted = article.state == .retracted
        if let old, try old["revision"] as String == revisionID.hex {
            // Same text: leave the text, its search entry and similar articles alone.
            if try old["retracted"] as Bool != retracted || old["retraction_message"] as String? != article.retractionMessage
                || old["authors"] as String != authors || old["related"] as String != related
            {
                try db.execute(
                    "UPDATE published_articles SET authors = ?, related = ?, updated_at = ?, retracted = ?, retraction_message = ?, seq = ? WHERE article_num = ?",
                    [authors, related, Timestamp.milliseconds(article.updatedAt), retracted, article.retractionMessage, seq, num])
            }
            return false
        }
        guard let revision = try PGRows.revision(db, id: revisionID) else { return try unpublish(db, num, old) }
        let c = revision.content
        var seen = c
        seen.body = Markdown.plainText(c.body)
        let publishedAt = Timestamp.milliseconds(article.publishedAt ?? article.updatedAt)
        let tags = ContentRows.stringArray(c.sortedTags)
        var values: [any PGBind] = [article.id.description, revisionID.hex]
        values += PGRows.contentValues(c)
        values += [authors, related, publishedAt, Timestamp.milliseconds(article.updatedAt), retracted, article.retractionMessage, seq, seen.body]
        values += [c.title, c.lead, tags, seen.body]
        let rest = ["authors", "related", "published_at", "updated_at", "retracted", "retraction_message", "seq", "body_text"]
        if old != nil {
            try db.execute(
                """
                UPDATE published_articles SET id = ?, revision = ?, \(PGRows.contentAssignments),
                    \(rest.map { "\($0) = ?" }.joined(separator: ", ")), search = galley_search(?, ?, ?, ?)
                WHERE article_num = ?
                """,
                values + [num])
        } else {
            try db.execute(
                """
                INSERT INTO published_articles (id, revision, \(PGRows.contentColumns), \(rest.joined(separator: ", ")), search, article_num)
                VALUES (?, ?, \(PGRows.contentPlaceholders), ?, ?, ?, ?, ?, ?, ?, ?, galley_search(?, ?, ?, ?), ?)
                """,
                values + [num])
        }
        var delta: [String: Int] = [:]
        if let old { for term in SQLiteArchive.distinctTerms(try old["title"], try old["lead"], try old["body_text"]) { delta[term, default: 0] -= 1 } }
        for term in SQLiteArchive.distinctTerms(c.title, c.lead, seen.body) { delta[term, default: 0] += 1 }
        try addTermCounts(db, delta)
        try db.execute("DELETE FROM published_tags WHERE article_num = ?", [num])
        if !c.tags.isEmpty {
            try db.execute(
                "INSERT INTO published_tags (tag, article_num, published_at) SELECT t, ?, ? FROM unnest(?::text[]) AS t",
                [num, publishedAt, c.sortedTags])
        }
        let found = try computeSimilar(db, num: num, content: seen)
        // The articles it resembles may now resemble it too.
        for other in found {
            if let row = try db.row("SELECT title, lead, body_text AS body, tags, category FROM published_articles WHERE article_num = ?", [other]) {
                let content = ArticleContent(
                    title: try row["title"], lead: try row["lead"], body: try row["body"], category: try row["category"],
                    tags: Set(try ContentRows.strings(try row["tags"])))
                try computeSimilar(db, num: other, content: content)
            }
        }
        return true
    }

    private static func unpublish(_ db: PGConnection, _ num: Int64, _ old: PGRow?) throws -> Bool {
        guard let old else { return false }
        try addTermCounts(db, Dictionary(uniqueKeysWithValues: SQLiteArchive.distinctTerms(try old["title"], try old["lead"], try old["body_text"]).map { ($0, -1) }))
        try db.execute("DELETE FROM published_articles WHERE article_num = ?", [num])
        try db.execute("DELETE FROM similar_articles WHERE article_num = ?", [num])
        return false
    }

    /// Adds `counts` to the published-term statistics (negative counts remove), in two statements.
    static func addTermCounts(_ db: PGConnection, _ counts: [String: Int]) throws {
        // A btree entry holds at most 2,704 bytes: a "word" longer than a line is no term anyone
        // searches for, or that makes articles similar, and publishing it failed.
        let changed = counts.filter { $0.value != 0 && $0.key.utf8.count <= 200 }
        guard !changed.isEmpty else { return }
        // Sorted, so that two writers (were there ever two) lock terms in one order.
        let terms = changed.keys.sorted()
        try db.execute(
            """
            INSERT INTO published_terms (term, docs) SELECT t, n FROM unnest(?::text[], ?::bigint[]) AS x(t, n)
            ON CONFLICT (term) DO UPDATE SET docs = published_terms.docs + excluded.docs
            """,
            [terms, "{" + terms.map { String(changed[$0]!) }.joined(separator: ",") + "}"])
        try db.execute("DELETE FROM published_terms WHERE term = ANY(?::text[]) AND docs <= 0", [terms])
    }

    /// Computes "similar articles" for one published article again; returns the time it took
    /// (the benchmark's measure, side by side with the SQLite archive's).
    package func recomputeSimilar(for id: ArticleID) async throws -> Duration {
        try await write { db in
            guard let row = try db.row("SELECT article_num, title, lead, body_text AS body, tags, category FROM published_articles WHERE id = ?", [id.description]) else {
                return .zero
            }
            let content = ArticleContent(
                title: try row["title"], lead: try row["lead"], body: try row["body"], category: try row["category"],
                tags: Set(try ContentRows.strings(try row["tags"])))
            let clock = ContinuousClock()
            let start = clock.now
            _ = try Self.computeSimilar(db, num: try row["article_num"], content: content)
            return clock.now - start
        }
    }


    /// Stores the 3 published articles most like this one: a full-text search for its most
    /// distinctive terms, lifted by shared tags and category (the SQLite archive's measure, with
    /// `ts_rank` for bm25).
    @discardableResult
    static func computeSimilar(_ db: PGConnection, num: Int64, content: ArticleContent, count: Int = 3) throws -> [Int64] {
        let total = max(1, Int(try db.value(Int64.self, "SELECT COUNT(*) FROM published_articles") ?? 1))
        var frequency: [String: Int] = [:]
        for (text, weight) in [(content.title, 2), (content.lead, 1), (content.body, 1)] {
            for term in SQLiteArchive.terms(text) { frequency[term, default: 0] += weight }
        }
        let candidatesTerms = frequency.keys.filter { $0.count > 2 }
        var documents: [String: Int] = [:]
        if !candidatesTerms.isEmpty {
            for row in try db.rows("SELECT term, docs FROM published_terms WHERE term = ANY(?::text[])", [Array(candidatesTerms)]) {
                documents[try row["term"]] = Int(try row["docs"] as Int64)
            }
        }
        var scored: [(String, Double)] = []
        for term in candidatesTerms {
            let df = documents[term] ?? 0
            guard df > 1, (total < 2000 ? df * 10 <= total : df * 100 <= total) || total < 50 else { continue }
            scored.append((term, Double(frequency[term]!) * log(Double(total) / Double(df))))
        }
        scored.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        var candidates: [Int64: Double] = [:]
        if !scored.isEmpty {
            let query = scored.prefix(10).map { "'" + $0.0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: " | ")
            let rows = try db.rows(
                """
                SELECT article_num, ts_rank('{0.1, 0.3, 0.6, 1.0}', search, q) AS score
                FROM published_articles, to_tsquery('galley', ?) q WHERE search @@ q AND article_num <> ? ORDER BY score DESC LIMIT 40
                """,
                [query, num])
            for row in rows { candidates[try row["article_num"]] = Double(try row["score"] as Float) * 10 }
        }
        let tags = content.sortedTags
        if !tags.isEmpty {
            let rows = try db.rows(
                """
                SELECT article_num, COUNT(*) AS shared FROM published_tags WHERE tag = ANY(?::text[]) AND article_num <> ?
                GROUP BY article_num ORDER BY shared DESC LIMIT 40
                """,
                [tags, num])
            for row in rows { candidates[try row["article_num"], default: 0] += 2.0 * Double(try row["shared"] as Int64) }
        }
        if !content.category.isEmpty, !candidates.isEmpty {
            let nums = "{" + candidates.keys.map(String.init).joined(separator: ",") + "}"
            for row in try db.rows("SELECT article_num FROM published_articles WHERE article_num = ANY(?::bigint[]) AND category = ?", [nums, content.category]) {
                candidates[try row["article_num"], default: 0] += 1.0
            }
        }
        let best = candidates.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key > $1.key) }.prefix(count)
        try db.execute("DELETE FROM similar_articles WHERE article_num = ?", [num])
        for (rank, entry) in best.enumerated() {
            try db.execute("INSERT INTO similar_articles (article_num, rank, similar_num) VALUES (?, ?, ?)", [num, rank, entry.key])
        }
        return best.map(\.key)
    }

    // MARK: Reading the public archive

    package func publishedArticle(slug: String) async throws -> PublishedArticle? {
        try await run { db in
            try db.row("SELECT \(PGRows.publishedColumns) FROM published_articles p WHERE p.slug = ? ORDER BY p.published_at DESC LIMIT 1", [slug])
                .map { try PGRows.published($0) }
        }
    }

    package func latestPublished(_ query: PublishedQuery) async throws -> [PublishedArticle] {
        try await run { db in
            if let tag = query.tag {
                return try db.rows(
                    """
                    SELECT \(PGRows.publishedColumns) FROM published_tags t JOIN published_articles p ON p.article_num = t.article_num
                    WHERE t.tag = ? ORDER BY p.published_at DESC, p.article_num DESC LIMIT ? OFFSET ?
                    """,
                    [tag, query.limit, query.offset]
                ).map { try PGRows.published($0) }
            }
            if let category = query.category {
                return try db.rows(
                    "SELECT \(PGRows.publishedColumns) FROM published_articles p WHERE p.category = ? ORDER BY p.published_at DESC, p.article_num DESC LIMIT ? OFFSET ?",
                    [category, query.limit, query.offset]
                ).map { try PGRows.published($0) }
            }
            return try db.rows(
                "SELECT \(PGRows.publishedColumns) FROM published_articles p ORDER BY p.published_at DESC, p.article_num DESC LIMIT ? OFFSET ?",
                [query.limit, query.offset]
            ).map { try PGRows.published($0) }
        }
    }

    package func similarArticles(of id: ArticleID, count: Int) async throws -> [PublishedArticle] {
        try await read { db in
            guard let row = try db.row("SELECT \(PGRows.publishedColumns) FROM published_articles p WHERE p.id = ?", [id.description]) else { return [] }
            let article = try PGRows.published(row)
            var out: [PublishedArticle] = []
            for related in article.related where out.count < count {
                if let r = try db.row("SELECT \(PGRows.publishedColumns) FROM published_articles p WHERE p.id = ? AND p.retracted = false", [related.description]) {
                    out.append(try PGRows.published(r))
                }
            }
            let stored = try db.rows(
                """
                SELECT \(PGRows.publishedColumns) FROM similar_articles s JOIN published_articles p ON p.article_num = s.similar_num
                WHERE s.article_num = ? AND p.retracted = false ORDER BY s.rank
                """,
                [try row["article_num"] as Int64]
            ).map { try PGRows.published($0) }
            for s in stored where out.count < count && !out.contains(where: { $0.id == s.id }) && s.id != id { out.append(s) }
            return out
        }
    }

    package func searchPublished(_ text: String, limit: Int, offset: Int) async throws -> [PublishedArticle] {
        let query = try PGSearch.query(text)
        return try await run { db in
            let order = try Self.rankable(db, text) ? "ts_rank(p.search, q.q, 1) DESC, p.article_num DESC" : "p.article_num DESC"
            return try db.rows(
                """
                SELECT \(PGRows.publishedColumns) FROM published_articles p, (SELECT \(query.sql) AS q) q
                WHERE p.search @@ q.q AND p.retracted = false ORDER BY \(order) LIMIT ? OFFSET ?
                """,
                query.values + [limit, offset]
            ).map { try PGRows.published($0) }
        }
    }

    package func topTags(since: Date, limit: Int) async throws -> [(tag: String, count: Int, latest: Date)] {
        let rows: [TagCount] = try await run { db in
            try db.rows(
                """
                SELECT tag, COUNT(*) AS n, MAX(published_at) AS latest FROM published_tags WHERE published_at >= ?
                GROUP BY tag ORDER BY n DESC, latest DESC LIMIT ?
                """,
                [Timestamp.milliseconds(since), limit]
            ).map { TagCount(tag: try $0["tag"], count: Int(try $0["n"] as Int64), latest: Timestamp.date(milliseconds: try $0["latest"])) }
        }
        return rows.map { ($0.tag, $0.count, $0.latest) }
    }

    struct TagCount: Sendable {
        var tag: String
        var count: Int
        var latest: Date
    }

    package func publishedCount() async throws -> Int {
        try await run { db in Int(try db.value(Int64.self, "SELECT COUNT(*) FROM published_articles") ?? 0) }
    }
}
