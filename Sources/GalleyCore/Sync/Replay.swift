import Foundation

/// What a replica shows for an article: the server's latest state with the replica's unpushed
/// changes applied on top, by the same rules the server will apply them. The analyst sees the
/// merged text before pushing; the server's answer to the push is final.
public enum Replay {
    public struct View: Sendable {
        /// The article as the replica shows it; nil if it exists only in changes that cannot apply.
        public var article: Article?
        /// The head revision of the view (a local revision when there are unpushed edits).
        public var head: Revision?
        /// Revisions the unpushed edits made, oldest first.
        public var localRevisions: [Revision]
        /// Conflicts the unpushed changes would record if the server still looks like this.
        public var pendingConflicts: [Conflict]
        /// Unpushed changes that the server would refuse, with the reason.
        public var refused: [(Change, GalleyError)]
    }

    /// Applies `outbox` (this article's unpushed changes, oldest first) to the server's state.
    /// - Parameters:
    ///   - slugTaken: the server's slug rule as far as the replica can tell it (live addresses it
    ///     knows, the user's own articles), so that a new article gets the slug the server will
    ///     give it and a later change made on it names the revision the server made.
    ///   - userExists: whether a co-author's name is a user's, when the replica knows the users.
    public static func view(
        article: Article?, head: Revision?, openConflicts: [Conflict], outbox: [Change],
        actor: ChangeApplier.Actor, categories: Set<String>? = nil,
        slugTaken: @escaping (String, ArticleID) -> Bool = { _, _ in false }, userExists: @escaping (String) -> Bool = { _ in true },
        now: Date
    ) -> View {
        var view = View(article: article, head: head, localRevisions: [], pendingConflicts: [], refused: [])
        var conflicts = openConflicts
        for change in outbox {
            // Locally the author is whoever made the change; the server will say the same.
            let changeActor = ChangeApplier.Actor(name: change.author.isEmpty ? actor.name : change.author, role: actor.role)
            let outcome = ChangeApplier.apply(
                change, actor: changeActor,
                state: .init(article: view.article, head: view.head, openConflicts: conflicts),
                environment: .init(
                    categories: categories, slugTaken: slugTaken, userExists: userExists, now: change.createdAt > now ? change.createdAt : now))
            guard outcome.status != .rejected, let updated = outcome.article else {
                view.refused.append((change, outcome.error ?? GalleyError(.malformed, "not applicable")))
                continue
            }
            if let revision = outcome.newRevisions.last {
                view.head = revision
                view.localRevisions.append(revision)
            }
            view.article = updated
            view.pendingConflicts.append(contentsOf: outcome.newConflicts)
            conflicts.append(contentsOf: outcome.newConflicts)
            conflicts.removeAll { outcome.resolvedConflicts.contains($0.id) }
        }
        return view
    }
}
