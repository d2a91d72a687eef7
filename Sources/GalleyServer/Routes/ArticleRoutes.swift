import Foundation
import GalleyCore
import GalleyStore
import Hummingbird

/// Reading articles, their history and diffs; workflow transitions and notes; the review queue
/// and search. Every route checks who asks: analysts see published articles and their own.
struct ArticleRoutes {
    let environment: ServerEnvironment

    struct ArticleList: Encodable, Sendable {
        var articles: [ArticleSummary]
        /// Pass as `before` for the next page; absent on the last page.
        var next: Int64?
    }

    /// An article with its open conflicts and its notes.
    struct ArticleDetail: Encodable, Sendable {
        var article: Article
        var conflicts: [Conflict]
        var notes: [ReviewNote]

        enum Keys: String, CodingKey { case conflicts, notes }

        func encode(to encoder: any Encoder) throws {
            try article.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(conflicts, forKey: .conflicts)
            try c.encode(notes, forKey: .notes)
        }
    }

    struct RevisionSummary: Encodable, Sendable {
        var id: RevisionID
        var parents: [RevisionID]
        var author: String
        var createdAt: Date
        var changeId: ChangeID?
        var title: String
    }

    struct DiffReply: Encodable, Sendable {
        var from: RevisionID
        var to: RevisionID
        var diff: String
    }

    struct NewNote: Decodable {
        var text: String

        enum CodingKeys: String, CodingKey, CaseIterable { case text }
        init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(CodingKeys.self)
            text = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .text)
        }
    }

    func register(_ routes: inout RouteList) {
        let environment = environment
        let archive = environment.archive

        /// The article if the user may see it in full (author or reviewer), else 404.
        @Sendable func fullArticle(_ context: GalleyRequestContext) async throws -> (Article, ChangeApplier.Actor) {
            let actor = try context.requireActor()
            let id = try context.parameters.articleID()
            guard let article = try await archive.article(id, viewer: actor), !article.deleted || actor.role.canReview,
                actor.role.canReview || article.isAuthor(actor.name)
            else {
                throw GalleyError(.notFound, "There is no article \(id.short) that you can see.")
            }
            return (article, actor)
        }

        routes.add(.get, "/v1/articles") { request, context in
            let actor = try context.requireActor()
            let uri = request.uri
            var query = ArticleQuery(viewer: actor, limit: try uri.intQuery("limit", default: 50, range: 1...200))
            if let s = try uri.form("state") {
                guard let state = ArticleState(rawValue: s) else {
                    throw GalleyError(.malformed, "state must be one of \(ArticleState.allCases.map(\.rawValue).joined(separator: ", ")); got '\(s)'.", field: "state")
                }
                query.state = state
            }
            query.category = try uri.form("category")
            query.tag = try uri.form("tag")
            query.author = try uri.form("author")
            if try uri.form("before") != nil { query.beforeSeq = Int64(try uri.intQuery("before", default: 0, range: 0...Int(Int64.max / 2))) }
            let page = try await archive.articles(query)
            return JSONResponse(ArticleList(articles: page.articles.map(ArticleSummary.init), next: page.next))
        }

        routes.add(.get, "/v1/articles/:id") { _, context in
            let actor = try context.requireActor()
            let id = try context.parameters.articleID()
            guard let article = try await archive.article(id, viewer: actor) else {
                throw GalleyError(.notFound, "There is no article \(id.short) that you can see.")
            }
            let full = actor.role.canReview || article.isAuthor(actor.name)
            return JSONResponse(ArticleDetail(
                article: article,
                conflicts: full ? try await archive.conflicts(of: id, openOnly: true) : [],
                notes: full ? try await archive.notes(of: id) : []))
        }

        routes.add(.get, "/v1/articles/:id/revisions") { _, context in
            let (article, _) = try await fullArticle(context)
            let revisions = try await archive.revisions(of: article.id)
            return JSONResponse(revisions.map {
                RevisionSummary(id: $0.id, parents: $0.parents, author: $0.author, createdAt: $0.createdAt, changeId: $0.changeID, title: $0.content.title)
            })
        }

        routes.add(.get, "/v1/articles/:id/revisions/:revision") { _, context in
            let (article, _) = try await fullArticle(context)
            let raw = try context.parameters.text("revision")
            guard let id = RevisionID(raw), let revision = try await archive.revision(id), revision.articleID == article.id else {
                throw GalleyError(.notFound, "Article \(article.id.short) has no revision '\(raw)'.")
            }
            return JSONResponse(revision)
        }

        routes.add(.get, "/v1/articles/:id/diff") { request, context in
            let (article, _) = try await fullArticle(context)
            @Sendable func revision(_ name: String, _ fallback: RevisionID?) async throws -> Revision? {
                guard let raw = try request.uri.form(name) else {
                    return try await fallback.asyncFlatMap { try await archive.revision($0) }
                }
                guard let id = RevisionID(raw), let r = try await archive.revision(id), r.articleID == article.id else {
                    throw GalleyError(.notFound, "Article \(article.id.short) has no revision '\(raw)'.", field: name)
                }
                return r
            }
            guard let to = try await revision("to", article.headRevision) else {
                throw GalleyError(.notFound, "The head revision is missing.")
            }
            // By default: what changed since the text an editor last approved or published.
            let fallback = article.approvedRevision ?? article.publishedRevision ?? to.parents.first ?? to.id
            let from = try await revision("from", fallback) ?? to
            var diff = ""
            for field in [ContentField.title, .lead, .body] {
                let d = UnifiedDiff.make(from: from.content[text: field], to: to.content[text: field], oldLabel: "\(field.rawValue)@\(from.id.short)", newLabel: "\(field.rawValue)@\(to.id.short)")
                diff += d
            }
            for field in [ContentField.category, .tags, .slug, .image, .imageCredit] where from.content[text: field] != to.content[text: field] {
                diff += "\(field.rawValue): \(from.content[text: field]) -> \(to.content[text: field])\n"
            }
            return JSONResponse(DiffReply(from: from.id, to: to.id, diff: diff))
        }

        routes.add(.post, "/v1/articles/:id/transitions") { request, context in
            let (article, actor) = try await visibleArticle(context)
            var request = request
            let command = try await request.decodeJSON(WorkflowCommand.self, limit: 64 * 1024)
            let change = Change(
                id: try Self.changeID(request), articleID: article.id, baseRevision: article.headRevision, command: command,
                author: actor.name, replicaID: Self.serverReplica, createdAt: environment.now)
            try await apply(change, actor)
            return JSONResponse(try await detail(article.id, actor))
        }

        routes.add(.post, "/v1/articles/:id/notes") { request, context in
            let (article, actor) = try await visibleArticle(context)
            var request = request
            let note = try await request.decodeJSON(NewNote.self, limit: 256 * 1024)
            let change = Change(
                id: try Self.changeID(request), articleID: article.id, baseRevision: article.headRevision, note: .init(text: note.text),
                author: actor.name, replicaID: Self.serverReplica, createdAt: environment.now)
            try await apply(change, actor)
            let stored = try await archive.notes(of: article.id).first { $0.id == ChangeApplier.noteID(change) }
            return JSONResponse(stored, status: .created)
        }

        routes.add(.get, "/v1/review-queue") { _, context in
            let actor = try context.requireActor()
            guard actor.role.canReview else {
                throw GalleyError(.notAllowed, "The review queue is for editors.")
            }
            let waiting = try await archive.articles(ArticleQuery(state: .submitted, viewer: actor, limit: 200)).articles
            return JSONResponse(ArticleList(articles: waiting.reversed().map(ArticleSummary.init), next: nil))
        }

        routes.add(.get, "/v1/search") { request, context in
            let actor = try context.requireActor()
            guard let q = try request.uri.form("q") else {
                throw GalleyError(.malformed, "Give the words to search for as ?q=…", field: "q")
            }
            let limit = try request.uri.intQuery("limit", default: 20, range: 1...100)
            let found = try await archive.search(q, limit: limit, viewer: actor)
            return JSONResponse(ArticleList(articles: found.map(ArticleSummary.init), next: nil))
        }

        /// The article if the user may see it at all; the workflow decides what they may do.
        @Sendable func visibleArticle(_ context: GalleyRequestContext) async throws -> (Article, ChangeApplier.Actor) {
            let actor = try context.requireActor()
            let id = try context.parameters.articleID()
            guard let article = try await archive.article(id, viewer: actor) else {
                throw GalleyError(.notFound, "There is no article \(id.short) that you can see.")
            }
            // A non-author analyst's view has the published revision as its head; act on the real one.
            guard let real = try await archive.article(id) else { throw GalleyError(.notFound, "No article \(id.short).") }
            _ = article
            return (real, actor)
        }

        @Sendable func apply(_ change: Change, _ actor: ChangeApplier.Actor) async throws {
            let result = try await archive.apply([change], by: actor, at: environment.now)[0]
            if result.status == .rejected, let error = result.error {
                throw error
            }
        }

        @Sendable func detail(_ id: ArticleID, _ actor: ChangeApplier.Actor) async throws -> ArticleDetail {
            guard let article = try await archive.article(id, viewer: actor) else {
                throw GalleyError(.notFound, "There is no article \(id.short) that you can see.")
            }
            let full = actor.role.canReview || article.isAuthor(actor.name)
            return ArticleDetail(
                article: article, conflicts: full ? try await archive.conflicts(of: id, openOnly: true) : [],
                notes: full ? try await archive.notes(of: id) : [])
        }
    }

    /// Changes the server makes for plain HTTP requests come from this replica id.
    static let serverReplica = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!

    /// An `Idempotency-Key` header (a UUID) makes a retried request apply once; one that is not
    /// a UUID is refused rather than ignored, which would apply a retry twice.
    static func changeID(_ request: Request) throws -> ChangeID {
        guard let key = request.headers.first(where: { $0.name.canonicalName == "idempotency-key" })?.value else { return ChangeID() }
        guard let uuid = UUID(uuidString: key) else {
            throw GalleyError(.malformed, "The Idempotency-Key header must be a UUID (such as \(UUID().uuidString.lowercased())); got '\(key.prefix(60))'.", field: "Idempotency-Key")
        }
        return ChangeID(uuid)
    }
}

extension Optional {
    func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
