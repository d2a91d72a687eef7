import Foundation

/// A workflow step a person asks for. Commands travel inside changes, so they can be given
/// offline; the server checks them against the article as it is when they arrive.
public enum WorkflowCommand: Hashable, Sendable {
    case submit
    /// Approve exactly this revision; void if the head is no longer that revision.
    case approve(revision: RevisionID)
    case requestChanges(message: String)
    /// Publish now, or at a time (which schedules it).
    case publish(at: Date?)
    case retract(message: String)
    case archive
    /// Take an archived or retracted article back to draft.
    case reopen

    /// The wire name of the command.
    public var name: String {
        switch self {
        case .submit: "submit"
        case .approve: "approve"
        case .requestChanges: "request_changes"
        case .publish: "publish"
        case .retract: "retract"
        case .archive: "archive"
        case .reopen: "reopen"
        }
    }
}

extension WorkflowCommand: Codable {
    private enum CodingKeys: String, CodingKey, CaseIterable { case kind, revision, message, at }

    /// The fields each kind takes besides `kind`: any other is refused, never dropped (an
    /// editor's message sent with an approval would otherwise vanish without a word).
    private static func fields(of kind: String) -> Set<String> {
        switch kind {
        case "approve": ["revision"]
        case "request_changes", "retract": ["message"]
        case "publish": ["at"]
        default: []
        }
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        try decoder.refuseUnknownKeys(names: Self.fields(of: kind).union(["kind"]))
        switch kind {
        case "submit": self = .submit
        case "approve": self = .approve(revision: try c.decode(RevisionID.self, forKey: .revision))
        case "request_changes": self = .requestChanges(message: try c.decode(String.self, forKey: .message))
        case "publish": self = .publish(at: try c.decodeIfPresent(Date.self, forKey: .at))
        case "retract": self = .retract(message: try c.decode(String.self, forKey: .message))
        case "archive": self = .archive
        case "reopen": self = .reopen
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c,
                debugDescription: "unknown workflow command '\(kind)'; expected submit, approve, request_changes, publish, retract, archive or reopen")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .kind)
        switch self {
        case .approve(let revision): try c.encode(revision, forKey: .revision)
        case .requestChanges(let message), .retract(let message): try c.encode(message, forKey: .message)
        case .publish(let at): try c.encodeIfPresent(at, forKey: .at)
        case .submit, .archive, .reopen: break
        }
    }
}
