import Foundation

// The sync protocol: what a replica and the archive say to each other over `/v1/sync` (described
// in Schemas/openapi.yaml). It lives with the model so that the client and the server take it
// from the same place, and neither from the other's storage.

/// A push: changes made on a replica, oldest first.
public struct PushRequest: Sendable, Codable {
    public var changes: [Change]

    public init(changes: [Change]) { self.changes = changes }

    enum CodingKeys: String, CodingKey, CaseIterable { case changes }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self)
        changes = try decoder.container(keyedBy: CodingKeys.self).decode([Change].self, forKey: .changes)
    }
}

/// The answer to a push: one result a change, in the order they were pushed.
public struct PushReply: Sendable, Codable {
    public var results: [PushResult]

    public init(results: [PushResult]) { self.results = results }
}

/// The server's answer for one pushed change.
public struct PushResult: Hashable, Sendable, Codable {
    public var changeID: ChangeID
    public var status: ChangeApplier.Status
    /// The article's head after the change (absent when rejected).
    public var headRevision: RevisionID?
    public var conflicts: [ConflictID]
    /// Why it was rejected: the problem a refused request would get, with the field of the
    /// change it is about as on the wire (`title`, `note.text`, …).
    public var error: GalleyError?

    public init(changeID: ChangeID, status: ChangeApplier.Status, headRevision: RevisionID?, conflicts: [ConflictID], error: GalleyError?) {
        self.changeID = changeID
        self.status = status
        self.headRevision = headRevision
        self.conflicts = conflicts
        self.error = error
    }

    enum CodingKeys: String, CodingKey { case changeID = "changeId", status, headRevision, conflicts, error }
}

/// One page of a pull: the next stretch of one stream, in sequence order, of articles (their
/// newest state), conflicts (newest state) and notes. Each row carries the sequence number of
/// its latest event, so a row seen at or below the cursor has been delivered in its newest form,
/// and a page never ends inside one sequence number.
public struct PullPage: Sendable, Codable {
    public var epoch: String
    public var articles: [PulledArticle]
    public var conflicts: [Conflict]
    public var notes: [ReviewNote]
    /// Workflow steps of the articles the viewer sees in full (their own; all, for editors).
    public var events: [ArticleEvent]
    /// Pass this as `since` for the next page.
    public var nextCursor: Int64
    public var hasMore: Bool

    public init(
        epoch: String, articles: [PulledArticle], conflicts: [Conflict], notes: [ReviewNote], events: [ArticleEvent] = [],
        nextCursor: Int64, hasMore: Bool
    ) {
        self.epoch = epoch
        self.articles = articles
        self.conflicts = conflicts
        self.notes = notes
        self.events = events
        self.nextCursor = nextCursor
        self.hasMore = hasMore
    }
}

/// The newest state of one article that changed, with the revisions a replica needs.
public struct PulledArticle: Sendable, Codable {
    public var article: Article
    /// The head revision (its content is the article's).
    public var head: Revision
    /// The published revision, when it is not the head (for rendering the public view offline).
    public var published: Revision?
    /// The sequence number of the article's latest event.
    public var seq: Int64

    public init(article: Article, head: Revision, published: Revision?, seq: Int64) {
        self.article = article
        self.head = head
        self.published = published
        self.seq = seq
    }

    // On the wire the head's content is not repeated: it is the article's. The receiver
    // rebuilds the revision and checks that it hashes to the head id.
    enum CodingKeys: String, CodingKey { case article, head, published, seq }
    struct HeadMeta: Codable {
        var parents: [RevisionID]
        var author: String
        var createdAt: Date
        var changeId: ChangeID?
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        article = try c.decode(Article.self, forKey: .article)
        let meta = try c.decode(HeadMeta.self, forKey: .head)
        head = Revision(articleID: article.id, parents: meta.parents, content: article.content, author: meta.author, createdAt: meta.createdAt, changeID: meta.changeId)
        guard head.id == article.headRevision else {
            throw DecodingError.dataCorruptedError(forKey: .head, in: c, debugDescription: "the head of article \(article.id.short) does not hash to \(article.headRevision.short)")
        }
        published = try c.decodeIfPresent(Revision.self, forKey: .published)
        seq = try c.decode(Int64.self, forKey: .seq)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(article, forKey: .article)
        try c.encode(HeadMeta(parents: head.parents, author: head.author, createdAt: head.createdAt, changeId: head.changeID), forKey: .head)
        try c.encodeIfPresent(published, forKey: .published)
        try c.encode(seq, forKey: .seq)
    }
}
