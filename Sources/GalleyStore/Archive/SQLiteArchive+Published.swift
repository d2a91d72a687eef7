import Foundation
import GRDB
import GalleyCore
import GalleyMarkdown

/// Word counts gathered over a bulk load, written once at its end.
final class TermCounts {
    var counts: [String: Int] = [:]
}

extension SQLiteArchive {
    // MARK: Keeping the public rows in step

    /// Makes the article's public row match its state: present with the published revision's
    /// content while the article is public, absent otherwise. Returns true when the published
    /// text changed (so "similar articles" need computing again). `num` is the article's row
    /// number when the caller has it; `seq` the event that changed it.
    ///
    /// - Parameter publishing: the change published the article. Only then does the byline on
    ///   the public row follow the article's authors: what readers see changes only through
    ///   publishing an approved article.
    @discardableResult
    static func refreshPublished(
        _ db: Database, _ article: Article, num known: Int64? = nil, seq: Int64, publishing: Bool,
        computingSimilar: Bool = true, termCounts: TermCounts? = nil
    ) throws -> Bool {
        guard let num = try known ?? ContentRows.articleNumber(db, id: article.id) else { return false }
        let old = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT title, lead, body_text, tags, revision, retracted, retraction_message, authors, related
                FROM published_articles WHERE article_num = ?
                """),
            arguments: [num])
        guard article.isPublic, let revisionID = article.publishedRevision else { return try unpublish(db, num, old) }
        let authors = publishing || old == nil ? ContentRows.stringArray(article.authors) : old!["authors"] as String
        let related = ContentRows.stringArray(article.related.map(\.description))
        let retracted = article.state == .retracted
        if let old, old["revision"] as String == revisionID.hex {
            // Same text (most edits of a published article change only its head): leave the
            // text, its index entry and similar articles alone.
            if old["retracted"] as Bool != retracted || old["retraction_message"] as String? != article.retractionMessage
                || old["authors"] as String != authors || old["related"] as String != related
            {
                try db.cachedStatement(sql: """
                    UPDATE published_articles SET authors = ?, related = ?, updated_at = ?, retracted = ?, retraction_message = ?, seq = ?
                    WHERE article_num = ?
                    """).execute(arguments: [authors, related, Timestamp.milliseconds(article.updatedAt), retracted, article.retractionMessage, seq, num])
            }
            return false
        }
        guard let revision = try ContentRows.revision(db, id: revisionID) else { return try unpublish(db, num, old) }
        let c = revision.content
        // Search and "similar articles" go by the words a reader sees (the same parse as the
        // page), not by Markdown syntax or link addresses.
        var seen = c
        seen.body = Markdown.plainText(c.body)
        let publishedAt = Timestamp.milliseconds(article.publishedAt ?? article.updatedAt)
        let tags = ContentRows.stringArray(c.sortedTags)
        var arguments = StatementArguments([article.id.description, revisionID.hex])
        arguments += StatementArguments(ContentRows.contentValues(c))
        arguments += [
            authors, related, publishedAt, Timestamp.milliseconds(article.updatedAt), retracted, article.retractionMessage, seq, seen.body,
        ]
        let rest = "authors, related, published_at, updated_at, retracted, retraction_message, seq, body_text"
        if let old {
            try unindexPublished(db, num, old)
            try db.cachedStatement(sql: """
                    UPDATE published_articles SET id = ?, revision = ?, \(ContentRows.contentAssignments),
                        \(rest.split(separator: ",").map { "\($0.trimmingCharacters(in: .whitespaces)) = ?" }.joined(separator: ", "))
                    WHERE article_num = ?
                    """).execute(arguments: arguments + [num])
        } else {
            try db.cachedStatement(sql: """
                    INSERT INTO published_articles (id, revision, \(ContentRows.contentColumns), \(rest), article_num)
                    VALUES (?, ?, \(ContentRows.contentPlaceholders), ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: arguments + [num])
        }
        try indexPublished(db, num, title: c.title, lead: c.lead, body: seen.body, tags: tags)

        var delta: [String: Int] = [:]
        if let old { for term in distinctTerms(old["title"], old["lead"], old["body_text"]) { delta[term, default: 0] -= 1 } }
        for term in distinctTerms(c.title, c.lead, seen.body) { delta[term, default: 0] += 1 }
        if let termCounts {
            // A bulk load adds all counts at the end.
            for (term, n) in delta { termCounts.counts[term, default: 0] += n }
        } else {
            try addTermCounts(db, delta.filter { $0.value != 0 })
        }
        try db.cachedStatement(sql: "DELETE FROM published_tags WHERE article_num = ?").execute(arguments: [num])
        let tag = try db.cachedStatement(sql: "INSERT INTO published_tags (tag, article_num, published_at) VALUES (?, ?, ?)")
        for t in c.tags { try tag.execute(arguments: [t, num, publishedAt]) }
        guard computingSimilar else { return true }
        let found = try computeSimilar(db, num: num, content: seen)
        // The articles it resembles may now resemble it too: their lists were made before it existed.
        for other in found {
            if let row = try Row.fetchOne(db, sql: "SELECT title, lead, body_text AS body, tags, category FROM published_articles WHERE article_num = ?", arguments: [other]) {
                let content = ArticleContent(
                    title: row["title"], lead: row["lead"], body: row["body"], category: row["category"],
                    tags: Set(try ContentRows.strings(row["tags"])))
                try computeSimilar(db, num: other, content: content)
            }
        }
        return true
    }

    /// Takes the article off the public site, if it was there: row, index entry, term counts and
    /// similar articles. Most changes are to drafts, which have no public row to remove.
    private static func unpublish(_ db: Database, _ num: Int64, _ old: Row?) throws -> Bool {
        guard let old else { return false }
        try addTermCounts(db, Dictionary(uniqueKeysWithValues: distinctTerms(old["title"], old["lead"], old["body_text"]).map { ($0, -1) }))
        try unindexPublished(db, num, old)
        try db.execute(sql: "DELETE FROM published_articles WHERE article_num = ?", arguments: [num])
        try db.execute(sql: "DELETE FROM similar_articles WHERE article_num = ?", arguments: [num])
        return false
    }

    // The public index is written here rather than by triggers, for the reason given in
    // ContentRows: FTS5 flushes at every statement savepoint, and triggers open one.

    static func indexPublished(_ db: Database, _ num: Int64, title: String, lead: String, body: String, tags: String) throws {
        try db.cachedStatement(sql: "INSERT INTO published_fts(rowid, title, lead, body, tags) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [num, title, lead, body, tags])
    }

    /// `row` holds the public row's title, lead, body_text and tags as they were indexed.
    static func unindexPublished(_ db: Database, _ num: Int64, _ row: Row) throws {
        try db.cachedStatement(sql: "INSERT INTO published_fts(published_fts, rowid, title, lead, body, tags) VALUES ('delete', ?, ?, ?, ?, ?)")
            .execute(arguments: [num, row["title"] as String, row["lead"] as String, row["body_text"] as String, row["tags"] as String])
    }

    // MARK: Similar articles

    /// Stores the 3 published articles most like this one: a full-text search for its most
    /// distinctive terms (bm25), lifted by shared tags and category.
    @discardableResult
    static func computeSimilar(_ db: Database, num: Int64, content: ArticleContent, count: Int = 3) throws -> [Int64] {
        let total = max(1, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM published_articles") ?? 1)
        // Term frequencies in this article (title words count double).
        var frequency: [String: Int] = [:]
        for (text, weight) in [(content.title, 2), (content.lead, 1), (content.body, 1)] {
            for term in Self.terms(text) { frequency[term, default: 0] += weight }
        }
        // Document frequencies; terms in more than a tenth of the archive say little.
        var scored: [(String, Double)] = []
        let statement = try db.cachedStatement(sql: "SELECT docs FROM published_terms WHERE term = ?")
        for (term, tf) in frequency where term.count > 2 {
            let df = try Int.fetchOne(statement, arguments: [term]) ?? 0
            // Rare words carry the meaning (and keep the search below cheap): at most 1% of a large
            // archive, 10% of a small one.
            guard df > 1, (total < 2000 ? df * 10 <= total : df * 100 <= total) || total < 50 else { continue }
            scored.append((term, Double(tf) * log(Double(total) / Double(df))))
        }
        scored.sort { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }
        var candidates: [Int64: Double] = [:]
        if !scored.isEmpty {
            let query = scored.prefix(10).map { "\"\($0.0)\"" }.joined(separator: " OR ")
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT rowid, bm25(published_fts, 4.0, 2.0, 1.0, 3.0) AS score FROM published_fts WHERE published_fts MATCH ? AND rowid != ? ORDER BY score LIMIT 40",
                arguments: [query, num])
            for row in rows { candidates[row["rowid"]] = -(row["score"] as Double) }
        }
        // Shared tags and category lift a candidate (and bring in ones the text search missed).
        let tags = Array(content.tags)
        if !tags.isEmpty {
            let marks = tags.map { _ in "?" }.joined(separator: ",")
            var arguments = StatementArguments(tags)
            arguments += [num]
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT article_num, COUNT(*) AS shared FROM published_tags WHERE tag IN (\(marks)) AND article_num != ? GROUP BY article_num ORDER BY shared DESC LIMIT 40",
                arguments: arguments)
            for row in rows { candidates[row["article_num"], default: 0] += 2.0 * Double(row["shared"] as Int) }
        }
        if !content.category.isEmpty, !candidates.isEmpty {
            let nums = Array(candidates.keys)
            let marks = nums.map { _ in "?" }.joined(separator: ",")
            var arguments = StatementArguments(nums)
            arguments += [content.category]
            for same in try Int64.fetchAll(db, sql: "SELECT article_num FROM published_articles WHERE article_num IN (\(marks)) AND category = ?", arguments: arguments) {
                candidates[same, default: 0] += 1.0
            }
        }
        let best = candidates.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key > $1.key) }.prefix(count)
        try db.execute(sql: "DELETE FROM similar_articles WHERE article_num = ?", arguments: [num])
        for (rank, entry) in best.enumerated() {
            try db.execute(sql: "INSERT INTO similar_articles (article_num, rank, similar_num) VALUES (?, ?, ?)", arguments: [num, rank, entry.key])
        }
        return best.map(\.key)
    }

    /// The distinct words of an article's text, as ``terms(_:)`` cuts them (longer than 2 letters).
    package static func distinctTerms(_ title: String, _ lead: String, _ body: String) -> Set<String> {
        var out: Set<String> = []
        for text in [title, lead, body] { for t in terms(text) where t.count > 2 { out.insert(t) } }
        return out
    }

    /// Adds `counts` to the published-term statistics (negative counts remove).
    static func addTermCounts(_ db: Database, _ counts: [String: Int]) throws {
        let upsert = try db.cachedStatement(sql: """
            INSERT INTO published_terms (term, docs) VALUES (?, ?)
            ON CONFLICT(term) DO UPDATE SET docs = docs + excluded.docs
            """)
        let drop = try db.cachedStatement(sql: "DELETE FROM published_terms WHERE term = ? AND docs <= 0")
        for (term, n) in counts where n != 0 {
            try upsert.execute(arguments: [term, n])
            if n < 0 { try drop.execute(arguments: [term]) }
        }
    }

    /// Words as the index sees them: lowercased, accents folded, split at non-letters. ASCII
    /// words are cut and lowercased by hand; only words with other letters go through Foundation.
    package static func terms(_ text: String) -> [String] {
        var out: [String] = []
        var word: [UInt8] = []
        var plain = true
        func flush() {
            guard !word.isEmpty else { return }
            let s = String(decoding: word, as: UTF8.self)
            out.append(plain ? s : s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil))
            word.removeAll(keepingCapacity: true)
            plain = true
        }
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.first {
            if byte < 0x80 {
                utf8 = utf8.dropFirst()
                switch byte {
                case 0x41...0x5A: word.append(byte + 32)
                case 0x61...0x7A, 0x30...0x39: word.append(byte)
                default: flush()
                }
                continue
            }
            // A multi-byte character: a letter or number joins the word, anything else ends it.
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            let bytes = Array(utf8.prefix(length))
            utf8 = utf8.dropFirst(length)
            let scalar = String(decoding: bytes, as: UTF8.self).unicodeScalars.first
            if let scalar, scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                || scalar.properties.generalCategory == .nonspacingMark
            {
                word.append(contentsOf: bytes)
                plain = false
            } else {
                flush()
            }
        }
        flush()
        return out
    }

    // MARK: Reading the public archive

    package static let publishedColumns = "p.article_num, p.id, "
        + ContentField.content.map { "p.\($0.column)" }.joined(separator: ", ")
        + ", p.authors, p.related, p.published_at, p.updated_at, p.retracted, p.retraction_message"

    /// The public row's columns named `p_…`, for a row that also holds the article's own.
    package static let prefixedPublishedColumns = (publishedColumns + ", p.revision, p.seq").split(separator: ",")
        .map { column -> String in
            let name = column.trimmingCharacters(in: .whitespaces)
            return "\(name) AS \(name.replacingOccurrences(of: "p.", with: "p_"))"
        }.joined(separator: ", ")

    static func published(_ row: Row, prefix: String = "") throws -> PublishedArticle {
        guard let id = ArticleID(row[prefix + "id"] as String) else { throw StoreError.corrupt("a published row has a malformed id") }
        return PublishedArticle(
            id: id,
            content: try ContentRows.content(row, prefix: prefix),
            authors: try ContentRows.strings(row[prefix + "authors"]),
            related: try ContentRows.strings(row[prefix + "related"]).compactMap(ArticleID.init),
            publishedAt: Timestamp.date(milliseconds: row[prefix + "published_at"]), updatedAt: Timestamp.date(milliseconds: row[prefix + "updated_at"]),
            retracted: row[prefix + "retracted"], retractionMessage: row[prefix + "retraction_message"])
    }

    /// The public article at `slug` (the most recently published one, if two ever shared it).
    package func publishedArticle(slug: String) async throws -> PublishedArticle? {
        try await writer.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.publishedColumns) FROM published_articles p WHERE p.slug = ? ORDER BY p.published_at DESC LIMIT 1", arguments: [slug])
                .map { try Self.published($0) }
        }
    }

    /// Public articles, newest first; `category` or `tag` narrow them.
    package func latestPublished(_ query: PublishedQuery) async throws -> [PublishedArticle] {
        let (limit, offset, category, tag) = (query.limit, query.offset, query.category, query.tag)
        return try await writer.read { db in
            if let tag {
                return try Row.fetchAll(
                    db,
                    sql: "SELECT \(Self.publishedColumns) FROM published_tags t JOIN published_articles p ON p.article_num = t.article_num WHERE t.tag = ? ORDER BY p.published_at DESC, p.article_num DESC LIMIT ? OFFSET ?",
                    arguments: [tag, limit, offset]
                ).map { try Self.published($0) }
            }
            if let category {
                return try Row.fetchAll(
                    db,
                    sql: "SELECT \(Self.publishedColumns) FROM published_articles p WHERE p.category = ? ORDER BY p.published_at DESC, p.article_num DESC LIMIT ? OFFSET ?",
                    arguments: [category, limit, offset]
                ).map { try Self.published($0) }
            }
            return try Row.fetchAll(
                db, sql: "SELECT \(Self.publishedColumns) FROM published_articles p ORDER BY p.published_at DESC, p.article_num DESC LIMIT ? OFFSET ?",
                arguments: [limit, offset]
            ).map { try Self.published($0) }
        }
    }

    /// "Similar articles" for a public article: the editors' related articles first, then the
    /// stored similar ones; only articles that are public now.
    package func similarArticles(of id: ArticleID, count: Int) async throws -> [PublishedArticle] {
        try await writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.publishedColumns) FROM published_articles p WHERE p.id = ?", arguments: [id.description]) else { return [] }
            let article = try Self.published(row)
            var out: [PublishedArticle] = []
            for related in article.related where out.count < count {
                if let r = try Row.fetchOne(db, sql: "SELECT \(Self.publishedColumns) FROM published_articles p WHERE p.id = ? AND p.retracted = 0", arguments: [related.description]) {
                    out.append(try Self.published(r))
                }
            }
            let stored = try Row.fetchAll(
                db,
                sql: "SELECT \(Self.publishedColumns) FROM similar_articles s JOIN published_articles p ON p.article_num = s.similar_num WHERE s.article_num = ? AND p.retracted = 0 ORDER BY s.rank",
                arguments: [row["article_num"] as Int64]
            ).map { try Self.published($0) }
            for s in stored where out.count < count && !out.contains(where: { $0.id == s.id }) && s.id != id { out.append(s) }
            return out
        }
    }

    /// Full-text search over published text only.
    package func searchPublished(_ text: String, limit: Int, offset: Int) async throws -> [PublishedArticle] {
        let match = try ContentRows.matchExpression(text)
        return try await writer.read { db in
            do {
                // bm25 counts every article that has a word before it ranks; for a word in
                // thousands of articles that is too slow, and the newest matches serve readers
                // better anyway.
                let ranked = try Self.rankable(db, text)
                return try Row.fetchAll(
                    db,
                    sql: """
                        SELECT \(Self.publishedColumns) FROM (
                            SELECT rowid, \(ranked ? "bm25(published_fts, 10.0, 4.0, 1.0, 6.0)" : "-rowid") AS score FROM published_fts
                            WHERE published_fts MATCH ? ORDER BY \(ranked ? "score" : "rowid DESC") LIMIT ? OFFSET ?
                        ) f JOIN published_articles p ON p.article_num = f.rowid
                        WHERE p.retracted = 0 ORDER BY f.score
                        """,
                    arguments: [match, limit, offset]
                ).map { try Self.published($0) }
            } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
                throw ContentRows.badQuery(text, error)
            }
        }
    }

    /// bm25 costs about 1 ms per thousand matching articles on the benchmark machine; above
    /// this many, a query's p99 would pass 20 ms on a 100,000-article archive.
    package static let rankLimit = 1000

    /// Whether ranking by relevance is cheap for this query: every word is in at most
    /// ``rankLimit`` published articles (or the words cannot be told apart from FTS5 syntax).
    static func rankable(_ db: Database, _ text: String) throws -> Bool {
        let statement = try db.cachedStatement(sql: "SELECT docs FROM published_terms WHERE term = ?")
        for term in terms(text) where term.count > 2 {
            if let docs = try Int.fetchOne(statement, arguments: [term]), docs > Self.rankLimit { return false }
        }
        return true
    }

    /// The most used tags of articles published since `since`, most used first.
    package func topTags(since: Date, limit: Int) async throws -> [(tag: String, count: Int, latest: Date)] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT tag, COUNT(*) AS n, MAX(published_at) AS latest FROM published_tags WHERE published_at >= ? GROUP BY tag ORDER BY n DESC, latest DESC LIMIT ?",
                arguments: [Timestamp.milliseconds(since), limit]
            ).map { ($0["tag"], $0["n"], Timestamp.date(milliseconds: $0["latest"])) }
        }
    }

    package func publishedCount() async throws -> Int {
        try await writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM published_articles") ?? 0 }
    }

    // MARK: Loading an existing publication

    /// Loads articles that were already published elsewhere (an import of an existing archive,
    /// or a benchmark's): each change creates an article, which is stored as published at once,
    /// all in one transaction. Similar articles are left for ``recomputeSimilar(limit:)``.
    package func loadPublished(_ creates: [Change], by actor: ChangeApplier.Actor, at time: Date) async throws {
        try await writer.write { db in
            let counts = TermCounts()
            let search = ContentRows.SearchJournal()
            for change in creates {
                let result = try Self.apply(db, change, by: actor, at: time, search: search)
                guard result.status != .rejected, var article = try ContentRows.article(db, id: change.articleID) else {
                    throw GalleyError(.malformed, "Could not load article \(change.articleID.short): \(result.error?.message ?? "")")
                }
                article.state = .published
                article.publishedRevision = article.headRevision
                article.publishedAt = change.createdAt
                let seq = try Self.event(db, kind: ChangeApplier.Event.state(.published).recorded, article: article.id, revision: article.headRevision, actor: actor.name, at: time)
                let num = try ContentRows.save(db, article, seq: seq, search: search)
                try Self.refreshPublished(db, article, num: num, seq: seq, publishing: true, computingSimilar: false, termCounts: counts)
            }
            try search.flush(db)
            try Self.addTermCounts(db, counts.counts)
        }
    }

    /// Computes "similar articles" for one published article again; returns the time it took.
    package func recomputeSimilar(for id: ArticleID) async throws -> Duration {
        try await writer.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT article_num, title, lead, body_text AS body, tags, category FROM published_articles WHERE id = ?", arguments: [id.description]) else {
                return .zero
            }
            let content = ArticleContent(
                title: row["title"], lead: row["lead"], body: row["body"], category: row["category"],
                tags: Set(try ContentRows.decode([String].self, row["tags"])))
            let clock = ContinuousClock()
            let start = clock.now
            try Self.computeSimilar(db, num: row["article_num"], content: content)
            return clock.now - start
        }
    }

    // MARK: Scheduled publishing

    package func dueScheduled(now: Date) async throws -> [(id: ArticleID, seq: Int64)] {
        try await writer.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, seq FROM articles WHERE state = 'scheduled' AND deleted = 0 AND scheduled_at <= ? ORDER BY scheduled_at",
                arguments: [Timestamp.milliseconds(now)]
            ).compactMap { row in ArticleID(row["id"] as String).map { ($0, row["seq"] as Int64) } }
        }
    }

    package func nextScheduled(after now: Date) async throws -> Date? {
        try await writer.read { db in
            try Int64.fetchOne(
                db, sql: "SELECT MIN(scheduled_at) FROM articles WHERE state = 'scheduled' AND deleted = 0 AND scheduled_at > ?",
                arguments: [Timestamp.milliseconds(now)]
            ).map(Timestamp.date(milliseconds:))
        }
    }
}
