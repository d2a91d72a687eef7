/// What applying a change did, as the archive records it: the events of its change log and the
/// lines of its audit log. The engine (``ChangeApplier``) decides them; a store writes them down
/// as they are, so that every backend records the same history.
extension ChangeApplier {
    /// One entry of the archive's change log. Each gets the next sequence number; a pull sends
    /// everything after a sequence number, so every change that is applied records at least one.
    public enum Event: Hashable, Sendable {
        case created
        case revised
        /// The workflow state the article is in now.
        case state(ArticleState)
        case deleted
        case restored
        /// Authors or related articles.
        case metadata
        /// Conflicts made or settled.
        case conflicts
        case note
        /// Applied, and nothing changed (a replay of work the archive already has).
        case noop

        /// The kind as the change log stores it.
        public var recorded: String {
            switch self {
            case .created: "create"
            case .revised: "revision"
            case .state(let state): "state:\(state.rawValue)"
            case .deleted: "delete"
            case .restored: "undelete"
            case .metadata: "metadata"
            case .conflicts: "conflicts"
            case .note: "note"
            case .noop: "noop"
            }
        }

        public init?(recorded: String) {
            switch recorded {
            case "create": self = .created
            case "revision": self = .revised
            case "delete": self = .deleted
            case "undelete": self = .restored
            case "metadata": self = .metadata
            case "conflicts": self = .conflicts
            case "note": self = .note
            case "noop": self = .noop
            case _ where recorded.hasPrefix("state:"):
                guard let state = ArticleState(rawValue: String(recorded.dropFirst(6))) else { return nil }
                self = .state(state)
            default: return nil
            }
        }
    }
}

/// One line the audit log is to get: who did what is the caller's; this is the what.
public struct AuditRecord: Hashable, Sendable {
    public var action: Action
    public var revision: RevisionID?
    public var detail: String?

    public init(_ action: Action, revision: RevisionID? = nil, detail: String? = nil) {
        self.action = action
        self.revision = revision
        self.detail = detail
    }

    public enum Action: Hashable, Sendable {
        /// A workflow step taken.
        case command(WorkflowCommand)
        /// A workflow step the workflow refused: who tried what is part of the record.
        case refused(WorkflowCommand)
        /// An edit of the approved revision took the approval back.
        case approvalVoided
        case deleted
        case userAdded
        case userDisabled
        case userEnabled
        case roleChanged
        case categoryAdded

        /// The action as the audit log stores it.
        public var recorded: String {
            switch self {
            case .command(let command): command.name
            case .refused(let command): "rejected_\(command.name)"
            case .approvalVoided: "approval_voided"
            case .deleted: "delete"
            case .userAdded: "user_add"
            case .userDisabled: "user_disable"
            case .userEnabled: "user_enable"
            case .roleChanged: "user_role"
            case .categoryAdded: "category_add"
            }
        }
    }

    /// The detail a workflow step is recorded with.
    static func detail(of command: WorkflowCommand) -> String? {
        switch command {
        case .approve(let revision): "approved revision \(revision.short)"
        case .requestChanges(let message), .retract(let message): message
        case .publish(let at): at.map { "scheduled for \(Timestamp.format($0))" }
        case .submit, .archive, .reopen: nil
        }
    }
}
