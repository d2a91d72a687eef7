import AsyncHTTPClient
import Foundation
import GalleyCore
import GalleyStore

/// Everything the `galley` command does, as a library: the CLI only parses arguments and prints.
/// Every command but `login`, `logout` and `sync` works offline on the replica.
package struct GalleyApp: Sendable {
    package let workspace: Workspace
    package let replica: ClientReplica
    package var clock: @Sendable () -> Date = { Date() }
    /// Made on first use: the client starts NIO's event loop threads, which a command that
    /// works offline (most of them) should not pay for at every start.
    package var httpClient: HTTPClient { ServerAPI.sharedClient }

    package init(workspace: Workspace) throws {
        self.workspace = workspace
        self.replica = try workspace.openReplica()
    }

    /// Opens the workspace found from `directory` (or named by `--workspace`/`GALLEY_WORKSPACE`).
    package static func open(from directory: URL, workspace explicit: String? = nil) throws -> GalleyApp {
        try GalleyApp(workspace: Workspace.find(from: directory, explicit: explicit))
    }

    /// `galley init`.
    @discardableResult
    package static func initialize(at directory: URL, server: String) throws -> GalleyApp {
        try GalleyApp(workspace: Workspace.create(at: directory, server: server))
    }

    package var now: Date { Timestamp.canonical(clock()) }

    package func api(authenticated: Bool = true) throws -> ServerAPI {
        let token = workspace.token()
        if authenticated && token == nil { throw ClientError.notLoggedIn("Not logged in; run `galley login` (needs the server).") }
        return ServerAPI(baseURL: try workspace.serverURL(), token: token, client: httpClient)
    }

    // MARK: Session

    /// `galley login`: exchanges a password for a token, kept in `.galley/token` (mode 0600).
    package func login(user: String, password: String) async throws -> SessionReply {
        let session = try await api(authenticated: false).login(name: user, password: password)
        try workspace.saveToken(session.token)
        try replica.setUser(name: session.user.name, role: session.user.role)
        return session
    }

    /// `galley logout`: ends the session on the server when it can be reached, and forgets the token.
    package func logout() async throws -> Bool {
        defer { workspace.deleteToken() }
        guard workspace.token() != nil else { return false }
        do {
            try await api().logout()
        } catch let error as ClientError {
            if case .unreachable = error { return true }  // forgotten here; it expires on its own
        }
        return true
    }

    // MARK: Sync and status

    package func sync(progress: @Sendable (SyncEngine.Progress) -> Void = { _ in }) async throws -> SyncEngine.Report {
        var engine = SyncEngine(replica: replica, api: try api())
        engine.clock = clock
        engine.mediaDirectory = workspace.mediaDir
        // One file per process: two syncs started at once each download their own.
        engine.snapshotFile = workspace.galleyDir.appendingPathComponent("snapshot-\(getpid()).partial")
        return try await engine.run(progress: progress)
    }

    package struct Status: Encodable, Sendable {
        /// Changes not yet sent (or not yet answered).
        package var outbox: Int
        package var conflicts: Int
        package var lastSync: Date?
        package var server: String
        package var user: String?
        package var loggedIn: Bool
        package var rejected: [Rejected]
        package var pending: [Pending]
        /// For editors: scheduled articles whose time has passed but which are not published
        /// (the scheduler's note says why).
        package var overdue: [Overdue]

        enum CodingKeys: String, CodingKey { case outbox, conflicts, lastSync, server, user, loggedIn, rejected, pending, overdue }

        /// `lastSync` and `user` are always present (null before the first sync or login).
        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(outbox, forKey: .outbox)
            try c.encode(conflicts, forKey: .conflicts)
            try c.encode(lastSync, forKey: .lastSync)
            try c.encode(server, forKey: .server)
            try c.encode(user, forKey: .user)
            try c.encode(loggedIn, forKey: .loggedIn)
            try c.encode(rejected, forKey: .rejected)
            try c.encode(pending, forKey: .pending)
            try c.encode(overdue, forKey: .overdue)
        }

        package struct Overdue: Encodable, Sendable {
            package var article: String
            package var title: String
            package var scheduledAt: Date
            package var reason: String?
        }

        package struct Pending: Encodable, Sendable {
            package var article: String
            package var title: String
            package var what: String
        }

        package struct Rejected: Encodable, Sendable {
            package var change: String
            package var article: String
            package var code: String
            package var message: String
            package var what: String
        }
    }

    /// - Parameter pendingLimit: how many of the changes waiting to be sent to describe (the
    ///   oldest first); `outbox` counts them all.
    package func status(pendingLimit: Int = Int.max) throws -> Status {
        let state = try replica.syncState()
        let counts = try replica.counts()
        let pending = try replica.pendingChanges(limit: pendingLimit).map { entry in
            Status.Pending(
                article: entry.change.articleID.short,
                title: (try? replica.article(entry.change.articleID))??.content.title ?? entry.change.set.title ?? "",
                what: Self.describe(entry.change))
        }
        let rejected = try replica.rejectedChanges().map {
            Status.Rejected(
                change: String($0.change.id.description.prefix(8)), article: $0.change.articleID.short, code: $0.code, message: $0.message,
                what: Self.describe($0.change))
        }
        var overdue: [Status.Overdue] = []
        if state.role?.canReview == true {
            for article in try replica.list(state: .scheduled, limit: 1000) {
                guard let at = article.scheduledAt, at < now.addingTimeInterval(-60) else { continue }
                let reason = try replica.notes(of: article.id).last { $0.author == "scheduler" }?.text
                overdue.append(.init(article: article.id.short, title: article.content.title, scheduledAt: at, reason: reason))
            }
        }
        return Status(
            outbox: counts.outbox, conflicts: counts.conflicts, lastSync: state.lastSync, server: (try? workspace.serverURL()) ?? "",
            user: state.userName, loggedIn: workspace.token() != nil, rejected: rejected, pending: pending, overdue: overdue)
    }

    /// A few words for what a change does.
    package static func describe(_ change: Change) -> String {
        var parts: [String] = []
        if change.baseRevision == nil { parts.append("create") } else if !change.set.isEmpty {
            parts.append("edit " + change.set.fields.map(\.rawValue).joined(separator: ", "))
        }
        if !change.tags.add.isEmpty { parts.append("tag " + change.tags.add.joined(separator: ", ")) }
        if !change.tags.remove.isEmpty { parts.append("untag " + change.tags.remove.joined(separator: ", ")) }
        if !change.authors.isEmpty { parts.append("authors") }
        if let command = change.command { parts.append(command.name.replacingOccurrences(of: "_", with: " ")) }
        if change.note != nil { parts.append("note") }
        if change.delete { parts.append("delete") }
        if !change.resolves.isEmpty { parts.append("resolve \(change.resolves.count) conflict\(change.resolves.count == 1 ? "" : "s")") }
        return parts.joined(separator: "; ")
    }

    // MARK: Making changes

    /// A change to `article` (nil: a new one) by this replica's user, made now.
    func change(for article: Article?, id: ArticleID? = nil) throws -> Change {
        let state = try replica.syncState()
        return Change(
            articleID: article?.id ?? id ?? ArticleID.generate(at: now), baseRevision: article?.headRevision,
            author: try replica.actor().name, replicaID: state.replicaID, createdAt: now)
    }

    @discardableResult
    func record(_ change: Change) throws -> Article {
        let view = try replica.record(change, now: now)
        guard let article = view.article else {
            throw GalleyError(.notFound, "The change left no article to show.")
        }
        return article
    }
}
