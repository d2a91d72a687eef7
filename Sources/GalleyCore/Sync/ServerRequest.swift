import Foundation

/// Work the server takes from a plain HTTP request, or does of its own accord, rather than
/// receiving it from a replica's outbox: a workflow step or a note, on the article's head.
///
/// It becomes a change like any other (the change log, replays and the audit log treat it so),
/// made on one of the server's own replicas, which no client ever uses.
public enum ServerRequest: Hashable, Sendable {
    case transition(WorkflowCommand)
    case note(String)

    /// Where a server-made change comes from.
    public enum Origin: Sendable {
        /// A request to the HTTP API (`/v1/articles/{id}/transitions`, `/notes`).
        case api
        /// The scheduler, publishing what is due.
        case scheduler

        public var replicaID: UUID {
            switch self {
            case .api: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
            case .scheduler: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1))
            }
        }
    }

    /// The change that carries this request to the article's head.
    public func change(on article: Article, id: ChangeID = ChangeID(), by author: String, from origin: Origin, at time: Date) -> Change {
        switch self {
        case .transition(let command):
            Change(id: id, articleID: article.id, baseRevision: article.headRevision, command: command, author: author, replicaID: origin.replicaID, createdAt: time)
        case .note(let text):
            Change(id: id, articleID: article.id, baseRevision: article.headRevision, note: .init(text: text), author: author, replicaID: origin.replicaID, createdAt: time)
        }
    }
}
