import Foundation
import GalleyCore
import GalleyStore

extension GalleyApp {
    /// `galley new`: a draft made offline.
    package func newArticle(title: String, lead: String = "", category: String = "", tags: [String] = [], body: String = "") throws -> Article {
        var change = try change(for: nil)
        change.set = .init(title: title, lead: lead, body: body, category: category)
        change.tags = SetEdit(add: tags)
        try checkLocally(ArticleContent(title: title, lead: lead, body: body, category: category, tags: Set(tags), slug: Slug.make(from: title)).normalized())
        return try record(change)
    }

    /// Validates content the way the server will, with the categories last synced.
    func checkLocally(_ content: ArticleContent) throws {
        let categories = Set(try replica.categories().map(\.slug))
        try ArticleValidator(categories: categories.isEmpty ? nil : categories).validate(content)
    }

    /// The change that turns `article` into `document`, or nil when nothing changed.
    func change(for article: Article, to document: ArticleDocument) throws -> Change? {
        var change = try change(for: article)
        let old = article.content
        let new = document.content
        for field in ContentField.single {
            if new[text: field] != old[text: field] { change.set(field, to: new[text: field], from: old) }
        }
        change.tags = SetEdit.between(old.sortedTags, new.sortedTags)
        if new.slug.isEmpty { change.set.slug = nil; change.previous.slug = nil }
        guard change.editsContent else { return nil }
        var check = new
        if check.slug.isEmpty { check.slug = old.slug }
        try checkLocally(check)
        return change
    }

    /// `galley edit ID --title … --body-file …` and the editor's save: records what differs.
    /// Returns nil when the document matches the article.
    @discardableResult
    package func save(_ document: ArticleDocument, to article: Article) throws -> Article? {
        guard let change = try change(for: article, to: document) else { return nil }
        return try record(change)
    }

    /// `galley attach`: keeps the image in the workspace (uploaded on the next sync) and sets
    /// it, with its credit line, on the article.
    package func attach(_ article: Article, imageAt path: String, credit: String) throws -> Article {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw GalleyError(.notFound, "Cannot read \(path): no such file, or not readable.")
        }
        guard data.count <= ImageKind.maxBytes else {
            throw GalleyError(.bodyTooLarge, "\(path) is \(data.count) bytes; images may be at most 10 MiB.")
        }
        let bytes = [UInt8](data)
        guard let kind = ImageKind(sniffing: bytes) else {
            throw GalleyError(.malformed, "\(path) is not a JPEG, PNG, WebP or GIF image.")
        }
        let name = ImageKind.mediaName(for: bytes, kind: kind)
        try FileManager.default.createDirectory(at: workspace.mediaDir, withIntermediateDirectories: true)
        let target = workspace.mediaDir.appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: target.path) { try data.write(to: target, options: .atomic) }
        try replica.addMedia(name)
        var doc = ArticleDocument(article.content)
        doc.image = "/media/\(name)"
        doc.imageCredit = credit
        return try save(doc, to: article) ?? article
    }

    package func tag(_ article: Article, add: [String] = [], remove: [String] = []) throws -> Article {
        for tag in add { try ArticleValidator.validateTag(tag) }
        var change = try change(for: article)
        change.tags = SetEdit(add: add, remove: remove)
        return try record(change)
    }

    package func authors(_ article: Article, add: [String] = [], remove: [String] = []) throws -> Article {
        var change = try change(for: article)
        change.authors = SetEdit(add: add, remove: remove)
        return try record(change)
    }

    package func delete(_ article: Article) throws {
        var change = try change(for: article)
        change.delete = true
        // The words this workspace shows: the server deletes without a conflict when they are
        // still the article's, even if it made its revision differently (another slug, say).
        for field in [ContentField.title, .lead, .body] { change.previous[field] = article.content[text: field] }
        try replica.record(change, now: now)
    }

    package func find(_ token: String) throws -> Article { try replica.find(token) }

    /// An article with its open conflicts: what `show --json` prints.
    package struct ArticleView: Encodable, Sendable {
        package var article: Article
        package var conflicts: [Conflict]
        package var notes: [ReviewNote]
        package var includeBody = true

        package init(article: Article, conflicts: [Conflict], notes: [ReviewNote], includeBody: Bool = true) {
            self.article = article
            self.conflicts = conflicts
            self.notes = notes
            self.includeBody = includeBody
        }

        enum Keys: String, CodingKey { case conflicts, notes }

        enum NullableKeys: String, CodingKey { case publishedRevision }

        package func encode(to encoder: any Encoder) throws {
            if includeBody { try article.encode(to: encoder) } else { try ArticleSummary(article).encode(to: encoder) }
            // Scripts read `publishedRevision` on every article: null until it is published.
            if article.publishedRevision == nil {
                var n = encoder.container(keyedBy: NullableKeys.self)
                try n.encodeNil(forKey: .publishedRevision)
            }
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(conflicts, forKey: .conflicts)
            if includeBody { try c.encode(notes, forKey: .notes) }
        }
    }

    package func show(_ token: String, revision: String? = nil) throws -> ArticleView {
        var article = try find(token)
        if let revision {
            let all = try replica.revisions(of: article.id)
            let matches = all.filter { $0.id.hex.hasPrefix(revision.lowercased()) }
            guard matches.count == 1, let r = matches.first else {
                throw GalleyError(matches.isEmpty ? .notFound : .ambiguousID, matches.isEmpty
                    ? "Article \(article.id.short) has no revision '\(revision)' here; see `galley log \(article.id.short)`."
                    : "'\(revision)' matches \(matches.count) revisions; give more digits.")
            }
            article.content = r.content
            article.headRevision = r.id
        }
        return ArticleView(article: article, conflicts: try replica.conflicts(of: article.id), notes: try replica.notes(of: article.id))
    }

    /// A page of a listing: the articles shown, and how many there are in all, so that no
    /// listing is ever cut short without saying so.
    package struct Listing: Sendable {
        package var views: [ArticleView]
        package var total: Int
        package var offset: Int
        /// Whether articles after these exist.
        package var hasMore: Bool { offset + views.count < total }
    }

    /// `galley list`: newest change first, `limit` articles after `offset`.
    package func list(state: ArticleState? = nil, tag: String? = nil, category: String? = nil, mine: Bool = false, limit: Int = Int.max, offset: Int = 0) throws -> Listing {
        let filter = ClientReplica.Filter(state: state, tag: tag, category: category, author: mine ? try replica.actor().name : nil)
        let page = try replica.page(filter, limit: limit, offset: offset)
        let conflicts = try replica.openConflicts(of: page.articles.map(\.id))
        let views = page.articles.map { ArticleView(article: $0, conflicts: conflicts[$0.id] ?? [], notes: [], includeBody: false) }
        return Listing(views: views, total: page.total, offset: offset)
    }

    /// `galley search`: best matches first, `limit` after `offset`.
    package func search(_ query: String, limit: Int = 50, offset: Int = 0) throws -> Listing {
        let found = try replica.search(query, limit: limit, offset: offset)
        let conflicts = try replica.openConflicts(of: found.articles.map(\.id))
        let views = found.articles.map { ArticleView(article: $0, conflicts: conflicts[$0.id] ?? [], notes: [], includeBody: false) }
        return Listing(views: views, total: found.total, offset: offset)
    }

    /// One line of `galley log`: a revision, a workflow step, or a note.
    package enum LogEntry: Encodable, Sendable {
        case revision(Revision)
        case event(ArticleEvent)
        case note(ReviewNote)

        package var at: Date {
            switch self {
            case .revision(let r): r.createdAt
            case .event(let e): e.at
            case .note(let n): n.createdAt
            }
        }

        enum Keys: String, CodingKey { case type, revision, event, note }

        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            switch self {
            case .revision(let r):
                try c.encode("revision", forKey: .type)
                try c.encode(r, forKey: .revision)
            case .event(let e):
                try c.encode("event", forKey: .type)
                try c.encode(e, forKey: .event)
            case .note(let n):
                try c.encode("note", forKey: .type)
                try c.encode(n, forKey: .note)
            }
        }
    }

    /// `galley log`: the revisions this replica knows, with the workflow steps and the notes
    /// between them, newest first.
    package func log(_ article: Article) throws -> [LogEntry] {
        var entries: [LogEntry] = try replica.revisions(of: article.id).map { .revision($0) }
        entries += try replica.events(of: article.id).map { .event($0) }
        entries += try replica.notes(of: article.id).map { .note($0) }
        // Stable for equal times: a revision comes before the step taken on it.
        return entries.enumerated().sorted { ($0.element.at, $0.offset) > ($1.element.at, $1.offset) }.map(\.element)
    }

    /// The revision a review of `article` should be read against, and why: the approved one;
    /// else the one changes were last requested on; else the published one; else (with local
    /// edits) what was last synced; else the parent.
    func reviewBase(_ article: Article, head: Revision) throws -> (RevisionID, String)? {
        if let approved = article.approvedRevision { return (approved, "the approved revision") }
        // The last review step: an approval an edit has since voided, or a request for changes.
        let approvals = try replica.events(of: article.id).filter { $0.kind == .approved }.compactMap { e in e.revision.map { ($0, e.at, "the last approved revision") } }
        let requests = try replica.notes(of: article.id).filter { $0.kind == .changesRequested }.compactMap { n in n.revision.map { ($0, n.createdAt, "the revision changes were requested on") } }
        if let (revision, _, why) = (approvals + requests).max(by: { $0.1 < $1.1 }), revision != head.id {
            return (revision, why)
        }
        if let published = article.publishedRevision, published != head.id { return (published, "the published revision") }
        if let synced = try replica.serverHead(article.id), synced != head.id { return (synced, "what was last synced") }
        return nil
    }

    /// `galley diff`: by default the head against the last approved (or published) revision, or
    /// against what was last synced when there are local edits.
    package func diff(_ article: Article, from: String? = nil, to: String? = nil) throws -> String {
        let revisions = try replica.revisions(of: article.id)
        func pick(_ prefix: String) throws -> Revision {
            let matches = revisions.filter { $0.id.hex.hasPrefix(prefix.lowercased()) }
            guard matches.count == 1 else {
                throw GalleyError(matches.isEmpty ? .notFound : .ambiguousID, "No single revision '\(prefix)' of \(article.id.short); see `galley log \(article.id.short)`.")
            }
            return matches[0]
        }
        let target = try to.map(pick) ?? revisions.first { $0.id == article.headRevision }
        guard let target else { throw GalleyError(.notFound, "The head revision of \(article.id.short) is not in this replica; run `galley sync`.") }
        let chosen = try from.map { (try pick($0).id, "revision \($0)") } ?? reviewBase(article, head: target)
        // Never reviewed, approved or published: all of it is new to a reviewer.
        let empty = Revision(articleID: article.id, parents: [], content: ArticleContent(), author: "", createdAt: target.createdAt)
        let base: Revision
        if let (baseID, why) = chosen {
            guard let found = revisions.first(where: { $0.id == baseID }) else {
                return "Nothing to compare yet: \(why) (\(baseID.short)) is not in this workspace; a sync fetches the revisions reviews are read against.\n"
            }
            base = found
        } else {
            base = empty
        }
        var out = RevisionDiff.text(
            from: base, to: target, fromName: chosen == nil ? " (none)" : " @\(base.id.short)", toName: " @\(target.id.short)")
        if chosen == nil { out = "A new article: nothing of it was reviewed before, so all of it is shown as added.\n" + out }
        // The places Galley merged word by word in what this diff shows: read those first.
        let shown = Revision.ancestors(of: target.id, in: revisions).subtracting(chosen == nil ? [] : Revision.ancestors(of: base.id, in: revisions))
        for note in try replica.notes(of: article.id) where note.author == ChangeApplier.wordMergeAuthor && note.revision.map(shown.contains) == true {
            out += "\(note.text)\n"
        }
        return out.isEmpty ? "No differences between \(base.id.short) and \(target.id.short).\n" : out
    }

}
