import Foundation
import GalleyCore

/// The server's authoritative archive: the one seam a second storage backend implements.
///
/// What is the same for every backend sits above it, in GalleyCore and in this module: the
/// sync rules (``ChangeApplier``), the order in which an applied change is written down
/// (``ChangeLog``, over a backend's ``ArchiveTransaction``), who may see what (the viewer
/// passed to every read), and the HTTP layer. What a backend must do itself is below:
///
/// - **store**: apply pushed changes (through ``ChangeLog`` in its own transactions; the SQLite
///   archive batches concurrent pushes into one commit, each change still all or nothing),
///   users, sessions, login attempts, categories;
/// - **load and query**: articles as a viewer may see them, their revisions, notes, conflicts,
///   the change log after a cursor (pull), the audit log, scheduled work;
/// - **index**: search over what a viewer may see, the public rows readers read (kept in step
///   by every write), similar articles and tag counts;
/// - **keep**: a consistent backup while serving. Images are kept by a ``MediaStore`` beside it.
///
/// ``SQLiteArchive`` is the embedded implementation.
package protocol ArchiveStore: Sendable {
    /// The archive's epoch: made with the archive, renewed when it is restored from a backup.
    func epoch() async throws -> String
    /// Which database holds it: "sqlite" or "postgresql".
    var backend: String { get }

    // MARK: Users and sessions
    /// Adds a user, audited as the work of `actor` (an admin's name, or the process that did it).
    func createUser(_ user: StoredUser, by actor: String) async throws
    func user(named name: String) async throws -> StoredUser?
    func users() async throws -> [StoredUser]
    /// Disables or enables a user; disabling ends all of the user's sessions at once.
    func setDisabled(_ name: String, _ disabled: Bool, by actor: String, at time: Date) async throws
    /// Gives a user another role, at once for every session of theirs (sessions read the role
    /// from the user on each request).
    func setRole(_ name: String, _ role: Role, by actor: String, at time: Date) async throws
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
    /// Applies each change, in order, all or nothing each (``ChangeLog/apply(_:by:at:in:)``); a
    /// change applied before (same id) returns its earlier result and writes nothing.
    func apply(_ changes: [Change], by actor: ChangeApplier.Actor, at time: Date) async throws -> [PushResult]
    /// Applies many changes in one transaction, all or nothing: a bulk load (imports, moves,
    /// benchmark archives), where per-change commits would only cost time.
    func applyInOneTransaction(_ changes: [Change], by actor: ChangeApplier.Actor, at time: Date) async throws -> [PushResult]
    /// The number of the latest event (0 for an empty archive).
    func latestSequence() async throws -> Int64
    /// Every change id the archive has answered (for checks after crashes and moves).
    func appliedChangeIDs() async throws -> Set<ChangeID>
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
    /// The sequence number of the article's latest event (for paging lists).
    func sequence(of id: ArticleID) async throws -> Int64?

    /// A consistent copy of the whole archive, taken while it serves.
    func backup(to path: String) async throws

    // MARK: The public archive (published revisions only)
    func publishedArticle(slug: String) async throws -> PublishedArticle?
    func latestPublished(_ query: PublishedQuery) async throws -> [PublishedArticle]
    func similarArticles(of id: ArticleID, count: Int) async throws -> [PublishedArticle]
    func searchPublished(_ text: String, limit: Int, offset: Int) async throws -> [PublishedArticle]
    func topTags(since: Date, limit: Int) async throws -> [(tag: String, count: Int, latest: Date)]

    // MARK: The desk
    /// How many live articles are in `state`.
    func count(state: ArticleState) async throws -> Int
    /// Per article: its open conflicts, its notes, and how many of them `reader` has not read
    /// (written by someone else after the last they read there).
    func attention(of ids: [ArticleID], for reader: String) async throws -> [ArticleID: Attention]
    /// Marks the article's notes as read by `reader`; returns the ids of those that were not.
    func readNotes(of id: ArticleID, by reader: String) async throws -> Set<UUID>
    /// The revision the article was last approved at, whether or not the approval still holds
    /// (an edit voids it and clears the article's approved revision).
    func lastApproval(of id: ArticleID) async throws -> RevisionID?

    // MARK: Scheduling
    /// Scheduled articles whose time has come, soonest first, with the sequence number of each one's
    /// latest event (so that a failed attempt is tried again when the article changes).
    func dueScheduled(now: Date) async throws -> [(id: ArticleID, seq: Int64)]
    /// When the next scheduled article after `now` is due, if any.
    func nextScheduled(after now: Date) async throws -> Date?
    /// Runs `body` unless another process serving this archive is running it now (then nil, at
    /// once): scheduled publishing, done by one server at a time. One process: always runs.
    func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T?

    // MARK: Operations
    /// The transaction every push waits behind, where writers of several processes queue for one
    /// lock (nil where one process writes alone): while it stays open, pulls see nothing newer.
    func writerQueue() async throws -> WriterQueue?
}

/// Who holds the archive's writer lock and how many wait for it.
package struct WriterQueue: Sendable, Equatable {
    /// How long the transaction holding the lock has been open (0 when none holds it).
    package var heldSeconds: Double
    /// How many transactions wait for it.
    package var waiting: Int

    package init(heldSeconds: Double, waiting: Int) {
        self.heldSeconds = heldSeconds
        self.waiting = waiting
    }
}

extension ArchiveStore {
    package func writerQueue() async throws -> WriterQueue? { nil }

    /// An archive only one process serves needs no lock.
    package func exclusively<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T? {
        try await body()
    }
}

/// Which published articles, newest first: all, or those of a category or with a tag.
package struct PublishedQuery: Sendable, Hashable {
    package var limit: Int
    package var offset: Int
    package var category: String?
    package var tag: String?

    package init(limit: Int, offset: Int = 0, category: String? = nil, tag: String? = nil) {
        self.limit = limit
        self.offset = offset
        self.category = category
        self.tag = tag
    }
}

/// A user as the archive stores it.
@dynamicMemberLookup
package struct StoredUser: Hashable, Sendable, Codable {
    /// The user as the API shows them; `user.name`, `user.role` … read it.
    package var info: UserInfo
    /// A bcrypt hash; never the password.
    package var passwordHash: String

    package init(name: String, role: Role, passwordHash: String, disabled: Bool = false, createdAt: Date) {
        info = UserInfo(name: name, role: role, disabled: disabled, createdAt: createdAt)
        self.passwordHash = passwordHash
    }

    package subscript<Value>(dynamicMember path: WritableKeyPath<UserInfo, Value>) -> Value {
        get { info[keyPath: path] }
        set { info[keyPath: path] = newValue }
    }
}

/// What the desk's queue shows of an article besides the article itself.
package struct Attention: Sendable, Hashable {
    package var openConflicts: Int
    package var notes: Int
    package var unreadNotes: Int

    package init(openConflicts: Int = 0, notes: Int = 0, unreadNotes: Int = 0) {
        self.openConflicts = openConflicts
        self.notes = notes
        self.unreadNotes = unreadNotes
    }
}

/// A login session. The archive keeps only the SHA-256 of the bearer token.
package struct StoredSession: Hashable, Sendable {
    /// Where a session's token is good: a bearer token for the API, or the desk's cookie. Neither
    /// stands in for the other, so a desk cookie copied off a shared laptop is no API token.
    package enum Kind: String, Sendable, Hashable {
        case api
        case desk
    }

    package var tokenHash: String
    package var userName: String
    package var createdAt: Date
    package var expiresAt: Date
    package var kind: Kind

    package init(tokenHash: String, userName: String, createdAt: Date, expiresAt: Date, kind: Kind = .api) {
        self.tokenHash = tokenHash
        self.userName = userName
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.kind = kind
    }
}

/// A filter for listing articles.
package struct ArticleQuery: Sendable, Hashable {
    package var state: ArticleState?
    package var category: String?
    package var tag: String?
    package var author: String?
    /// The viewer; analysts see published articles and their own. Nil: everything (the server itself).
    package var viewer: ChangeApplier.Actor?
    /// Page by the latest change the viewer can see, newest first: pass ``ArticleList/next``.
    package var beforeSeq: Int64?
    /// Oldest change first instead (the desk's queue: who waited longest comes first), paged by
    /// ``afterSeq``.
    package var oldestFirst = false
    package var afterSeq: Int64?
    package var limit: Int

    /// The condition on an article's (or public row's) sequence number that pages this query,
    /// its argument, and the order it pages in.
    package func paging(_ column: String) -> (condition: String, cursor: Int64, order: String) {
        oldestFirst ? ("\(column) > ?", afterSeq ?? 0, "ASC") : ("\(column) < ?", beforeSeq ?? Int64.max, "DESC")
    }

    /// Whether a change at `a` comes before one at `b` in this query's order.
    package func precedes(_ a: Int64, _ b: Int64) -> Bool { oldestFirst ? a < b : a > b }

    package init(
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
package struct ArticleList: Sendable {
    package var articles: [Article]
    /// Pass as ``ArticleQuery/beforeSeq`` (``ArticleQuery/afterSeq`` when oldest first) for the
    /// next page; nil on the last page.
    package var next: Int64?

    package init(articles: [Article], next: Int64?) {
        self.articles = articles
        self.next = next
    }
}

