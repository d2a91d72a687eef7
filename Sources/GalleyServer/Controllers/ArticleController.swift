import Foundation
import GalleyCore
import GalleyStore
import Hummingbird

/// Reading articles, their history and diffs; workflow transitions and notes; the review queue
/// and search. Every handler checks who asks: analysts see published articles and their own.
struct ArticleController {
    let environment: ServerEnvironment
    var archive: any ArchiveStore { environment.archive }

    func addRoutes(to router: some RouterMethods<GalleyRequestContext>) {
        router.get("/v1/articles", use: list)
        router.get("/v1/articles/:id", use: show)
        router.get("/v1/articles/:id/revisions", use: revisions)
        router.get("/v1/articles/:id/revisions/:revision", use: revision)
        router.get("/v1/articles/:id/diff", use: diff)
        router.post("/v1/articles/:id/transitions", use: transition)
        router.post("/v1/articles/:id/notes", use: note)
        router.get("/v1/review-queue", use: reviewQueue)
        router.get("/v1/search", use: search)
    }

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

    // MARK: Handlers

    @Sendable func list(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<ArticleList> {
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

    @Sendable func show(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<ArticleDetail> {
        let actor = try context.requireActor()
        return JSONResponse(try await detail(try context.parameters.articleID(), actor))
    }

    @Sendable func revisions(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<[RevisionSummary]> {
        let (article, _) = try await fullArticle(context)
        return JSONResponse(try await archive.revisions(of: article.id).map {
            RevisionSummary(id: $0.id, parents: $0.parents, author: $0.author, createdAt: $0.createdAt, changeId: $0.changeID, title: $0.content.title)
        })
    }

    @Sendable func revision(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<Revision> {
        let (article, _) = try await fullArticle(context)
        return JSONResponse(try await revision(try context.parameters.text("revision"), of: article))
    }

    @Sendable func diff(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<DiffReply> {
        let (article, _) = try await fullArticle(context)
        let to: Revision
        if let raw = try request.uri.form("to") {
            to = try await revision(raw, of: article, field: "to")
        } else {
            guard let head = try await archive.revision(article.headRevision) else {
                throw GalleyError(.notFound, "The head revision is missing.")
            }
            to = head
        }
        let from: Revision
        if let raw = try request.uri.form("from") {
            from = try await revision(raw, of: article, field: "from")
        } else {
            // By default: what changed since the text an editor last approved or published.
            let fallback = article.approvedRevision ?? article.publishedRevision ?? to.parents.first ?? to.id
            from = try await archive.revision(fallback) ?? to
        }
        return JSONResponse(DiffReply(from: from.id, to: to.id, diff: RevisionDiff.text(from: from, to: to)))
    }

    @Sendable func transition(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<ArticleDetail> {
        let (article, actor) = try await visibleArticle(context)
        var request = request
        let command = try await request.decodeJSON(WorkflowCommand.self, limit: 64 * 1024)
        try await perform(.transition(command), on: article, id: try Self.changeID(request), by: actor)
        return JSONResponse(try await detail(article.id, actor))
    }

    @Sendable func note(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<ReviewNote?> {
        let (article, actor) = try await visibleArticle(context)
        var request = request
        let note = try await request.decodeJSON(NewNote.self, limit: 256 * 1024)
        let change = try await perform(.note(note.text), on: article, id: try Self.changeID(request), by: actor)
        let stored = try await archive.notes(of: article.id).first { $0.id == ChangeApplier.noteID(change) }
        return JSONResponse(stored, status: .created)
    }

    @Sendable func reviewQueue(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<ArticleList> {
        let actor = try context.requireActor()
        guard actor.role.canReview else {
            throw GalleyError(.notAllowed, "The review queue is for editors.")
        }
        let waiting = try await archive.articles(ArticleQuery(state: .submitted, viewer: actor, limit: 200)).articles
        return JSONResponse(ArticleList(articles: waiting.reversed().map(ArticleSummary.init), next: nil))
    }

    @Sendable func search(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<ArticleList> {
        let actor = try context.requireActor()
        guard let q = try request.uri.form("q") else {
            throw GalleyError(.malformed, "Give the words to search for as ?q=…", field: "q")
        }
        let limit = try request.uri.intQuery("limit", default: 20, range: 1...100)
        let found = try await archive.search(q, limit: limit, viewer: actor)
        return JSONResponse(ArticleList(articles: found.map(ArticleSummary.init), next: nil))
    }

    // MARK: Shared steps

    /// The article if the user may see it in full (author or reviewer), else 404.
    func fullArticle(_ context: GalleyRequestContext) async throws -> (Article, ChangeApplier.Actor) {
        let actor = try context.requireActor()
        let id = try context.parameters.articleID()
        guard let article = try await archive.article(id, viewer: actor), !article.deleted || actor.role.canReview,
            actor.role.canReview || article.isAuthor(actor.name)
        else {
            throw ChangeApplier.unseen(id)
        }
        return (article, actor)
    }

    /// The article if the user may see it at all; the workflow decides what they may do.
    func visibleArticle(_ context: GalleyRequestContext) async throws -> (Article, ChangeApplier.Actor) {
        let actor = try context.requireActor()
        let id = try context.parameters.articleID()
        // A non-author analyst's view has the published revision as its head; act on the real one.
        guard try await archive.article(id, viewer: actor) != nil, let real = try await archive.article(id) else { throw ChangeApplier.unseen(id) }
        return (real, actor)
    }

    /// A revision of `article` named in the address or query, or 404.
    func revision(_ raw: String, of article: Article, field: String? = nil) async throws -> Revision {
        guard let id = RevisionID(raw), let revision = try await archive.revision(id), revision.articleID == article.id else {
            throw GalleyError(.notFound, "Article \(article.id.short) has no revision '\(raw)'.", field: field)
        }
        return revision
    }

    /// Applies a request as a change of the server's; a refusal is the request's answer.
    @discardableResult
    func perform(_ request: ServerRequest, on article: Article, id: ChangeID, by actor: ChangeApplier.Actor) async throws -> Change {
        let change = request.change(on: article, id: id, by: actor.name, from: .api, at: environment.now)
        let result = try await archive.apply([change], by: actor, at: environment.now)[0]
        if result.status == .rejected, var error = result.error {
            // The change's field (`note.text`, `command.message`) is the request body's (`text`, `message`).
            if let field = error.field, let dot = field.firstIndex(of: "."), ["note", "command"].contains(field[..<dot]) {
                error.field = String(field[field.index(after: dot)...])
            }
            throw error
        }
        return change
    }

    func detail(_ id: ArticleID, _ actor: ChangeApplier.Actor) async throws -> ArticleDetail {
        guard let article = try await archive.article(id, viewer: actor) else { throw ChangeApplier.unseen(id) }
        let full = actor.role.canReview || article.isAuthor(actor.name)
        return ArticleDetail(
            article: article, conflicts: full ? try await archive.conflicts(of: id, openOnly: true) : [],
            notes: full ? try await archive.notes(of: id) : [])
    }

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
