import Foundation
import GalleyCore

/// The server's authoritative archive, as the HTTP layer sees it.
///
/// Every operation that writes is one transaction: it happens completely or not at all. The
/// embedded SQLite implementation is ``SQLiteArchive``; a PostgreSQL one can implement the same
/// protocol for deployments with several stateless servers, without the HTTP layer changing.
/// The sync rules themselves live in `GalleyCore` (``ChangeApplier``), so a second backend only
/// loads and stores.
public protocol ArchiveStore: Sendable {
    /// The archive's epoch: made with the archive, renewed when it is restored from a backup.
    func epoch() async throws -> String

    // MARK: Users and sessions
    func userCount() async throws -> Int
    func createUser(_ user: StoredUser) async throws
    func user(named name: String) async throws -> StoredUser?
    func users() async throws -> [StoredUser]
    /// Disables or enables a user; disabling ends all of the user's sessions at once.
    func setDisabled(_ name: String, _ disabled: Bool, by actor: String, at time: Date) async throws
    func setPassword(_ name: String, hash: String) async throws
    func createSession(_ session: StoredSession) async throws
    /// The session and its user for a token hash, if the session exists and is not revoked.
    func session(tokenHash: String) async throws -> (StoredSession, StoredUser)?
    func revokeSession(tokenHash: String, at time: Date) async throws
    /// Counts a login attempt for `name` before its password is checked, shared by every process
    /// on this archive. Returns nil when the attempt may go ahead (and is counted), or the seconds
    /// to wait when `limit` attempts were counted within `window` seconds.
    func reserveLoginAttempt(_ name: String, limit: Int, window: TimeInterval, now: Date) async throws -> Int?
    /// Forgets the counted attempts for `name` (after a successful login).
    func clearLoginAttempts(_ name: String) async throws

    // MARK: Categories
    func categories() async throws -> [Category]
    func addCategory(_ category: Category, by actor: String, at time: Date) async throws

    // MARK: Sync
    /// Applies each change in its own transaction, in order; a change applied before (same id)
    /// returns its earlier result and writes nothing.
    func apply(_ changes: [Change], by actor: ChangeApplier.Actor, at time: Date) async throws -> [PushResult]
    /// What changed after `cursor` that `viewer` may see, oldest first.
    func pull(since cursor: Int64, limit: Int, maxBytes: Int, viewer: ChangeApplier.Actor) async throws -> PullPage

    // MARK: Reading
    func article(_ id: ArticleID) async throws -> Article?
    /// The article as `viewer` may see it (an analyst who is not an author sees the published
    /// revision), or nil if they may not see it at all.
    func article(_ id: ArticleID, viewer: ChangeApplier.Actor) async throws -> Article?
    /// Articles as `query.viewer` sees them, newest change first, filtered on what they see.
    func articles(_ query: ArticleQuery) async throws -> ArticleList
    func revisions(of id: ArticleID) async throws -> [Revision]
    func revision(_ id: RevisionID) async throws -> Revision?
    func notes(of id: ArticleID) async throws -> [ReviewNote]
    func conflicts(of id: ArticleID, openOnly: Bool) async throws -> [Conflict]
    func search(_ text: String, limit: Int, viewer: ChangeApplier.Actor) async throws -> [Article]
    func audit(limit: Int, before: Int64?) async throws -> [AuditEntry]
    func latestSequence() async throws -> Int64
    /// The sequence number of the article's latest event (for paging lists).
    func sequence(of id: ArticleID) async throws -> Int64?

    /// A consistent copy of the whole archive, taken while it serves.
    func backup(to path: String) async throws

    // MARK: The public archive (published revisions only)
    func publishedArticle(slug: String) async throws -> PublishedArticle?
    func latestPublished(limit: Int, offset: Int, category: String?, tag: String?) async throws -> [PublishedArticle]
    func similarArticles(of id: ArticleID, count: Int) async throws -> [PublishedArticle]
    func searchPublished(_ text: String, limit: Int, offset: Int) async throws -> [PublishedArticle]
    func topTags(since: Date, limit: Int) async throws -> [(tag: String, count: Int, latest: Date)]

    // MARK: Scheduling
    /// Scheduled articles whose time has come, soonest first, with the sequence number of each one's
    /// latest event (so that a failed attempt is tried again when the article changes).
    func dueScheduled(now: Date) async throws -> [(id: ArticleID, seq: Int64)]
    /// When the next scheduled article after `now` is due, if any.
    func nextScheduled(after now: Date) async throws -> Date?
}

extension ArchiveStore {
    public func latestPublished(limit: Int, offset: Int = 0, category: String? = nil, tag: String? = nil) async throws -> [PublishedArticle] {
        try await latestPublished(limit: limit, offset: offset, category: category, tag: tag)
    }

    public func similarArticles(of id: ArticleID) async throws -> [PublishedArticle] {
        try await similarArticles(of: id, count: 3)
    }

    public func searchPublished(_ text: String, limit: Int) async throws -> [PublishedArticle] {
        try await searchPublished(text, limit: limit, offset: 0)
    }
}

/// A user as the archive stores it.
public struct StoredUser: Hashable, Sendable, Codable {
    public var name: String
    public var role: Role
    /// A bcrypt hash; never the password.
    public var passwordHash: String
    public var disabled: Bool
    public var createdAt: Date

    public init(name: String, role: Role, passwordHash: String, disabled: Bool = false, createdAt: Date) {
        self.name = name
        self.role = role
        self.passwordHash = passwordHash
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

/// A login session. The archive keeps only the SHA-256 of the bearer token.
public struct StoredSession: Hashable, Sendable {
    public var tokenHash: String
    public var userName: String
    public var createdAt: Date
    public var expiresAt: Date

    public init(tokenHash: String, userName: String, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.userName = userName
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

/// The server's answer for one pushed change.
public struct PushResult: Hashable, Sendable, Codable {
    public var changeID: ChangeID
    public var status: ChangeApplier.Status
    /// The article's head after the change (absent when rejected).
    public var headRevision: RevisionID?
    public var conflicts: [ConflictID]
    /// Why it was rejected.
    public var error: Problem?

    public struct Problem: Hashable, Sendable, Codable {
        public var code: String
        public var message: String
        /// The field of the change the problem is about, as on the wire (`title`, `note.text`, …).
        public var field: String?
        public init(code: String, message: String, field: String? = nil) {
            self.code = code
            self.message = message
            self.field = field
        }
    }

    public init(changeID: ChangeID, status: ChangeApplier.Status, headRevision: RevisionID?, conflicts: [ConflictID], error: Problem?) {
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

/// A filter for listing articles.
public struct ArticleQuery: Sendable, Hashable {
    public var state: ArticleState?
    public var category: String?
    public var tag: String?
    public var author: String?
    /// The viewer; analysts see published articles and their own. Nil: everything (the server itself).
    public var viewer: ChangeApplier.Actor?
    /// Page by the latest change the viewer can see, newest first: pass ``ArticleList/next``.
    public var beforeSeq: Int64?
    public var limit: Int

    public init(
        state: ArticleState? = nil, category: String? = nil, tag: String? = nil, author: String? = nil,
        viewer: ChangeApplier.Actor? = nil, beforeSeq: Int64? = nil, limit: Int = 50
    ) {
        self.state = state
        self.category = category
        self.tag = tag
        self.author = author
        self.viewer = viewer
        self.beforeSeq = beforeSeq
        self.limit = limit
    }
}

/// One page of a listing.
public struct ArticleList: Sendable {
    public var articles: [Article]
    /// Pass as ``ArticleQuery/beforeSeq`` for the next page; nil on the last page.
    public var next: Int64?

    public init(articles: [Article], next: Int64?) {
        self.articles = articles
        self.next = next
    }
}

/// One line of the audit log: who did what to which article, when.
public struct AuditEntry: Hashable, Sendable, Codable {
    public var id: Int64
    public var at: Date
    public var actor: String
    public var action: String
    public var articleID: ArticleID?
    public var revision: RevisionID?
    public var detail: String?

    public init(id: Int64, at: Date, actor: String, action: String, articleID: ArticleID?, revision: RevisionID?, detail: String?) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.articleID = articleID
        self.revision = revision
        self.detail = detail
    }

    enum CodingKeys: String, CodingKey { case id, at, actor, action, articleID = "articleId", revision, detail }
}
