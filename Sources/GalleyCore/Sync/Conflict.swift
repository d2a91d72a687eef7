import Foundation

/// The id of a conflict record. Derived from the change and the field, so that applying the same
/// change twice (a retried push) names the same conflict.
public struct ConflictID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let uuid: UUID

    public init(_ uuid: UUID) { self.uuid = uuid }

    public init?(_ string: String) {
        guard let uuid = UUIDText.parse(string) else { return nil }
        self.uuid = uuid
    }

    public init(change: ChangeID, field: ContentField) {
        var b = Array(RevisionIDHash.sha256(Array("galley-conflict/1 \(change) \(field.rawValue)".utf8)).prefix(16))
        b[6] = (b[6] & 0x0F) | 0x80  // version 8: custom, name-based
        b[8] = (b[8] & 0x3F) | 0x80
        uuid = UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    public var description: String { UUIDText.lowercased(uuid) }
    public var short: String { String(description.prefix(8)) }
    public static func < (lhs: ConflictID, rhs: ConflictID) -> Bool { UUIDText.precedes(lhs.uuid, rhs.uuid) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let id = ConflictID(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(s)' is not a conflict id (a UUID)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// Two edits of one field that could not both be applied. The head kept `ours` (the server's
/// value); `theirs` is the pushed value, kept here until a person settles it. Nothing is lost.
///
/// A deletion conflict (an edit and a delete that crossed) has `ours` "kept" and `theirs`
/// "deleted"; its `base` names the side the pushed change took ("kept" for an edit that arrived
/// after a delete, "deleted" for a delete that had not seen the latest text).
public struct Conflict: Hashable, Sendable, Codable, Identifiable {
    public let id: ConflictID
    public let articleID: ArticleID
    public let field: ContentField
    public let base: String
    /// The value the head kept.
    public let ours: String
    /// The value that did not make it into the head.
    public let theirs: String
    /// The change that made the head's value (when known), then the change that was pushed.
    public let changeIDs: [ChangeID]
    /// Who pushed the change that conflicted.
    public let author: String
    /// The head revision when the conflict was recorded.
    public let revision: RevisionID
    public let createdAt: Date
    public var resolvedBy: ChangeID?
    public var resolvedAt: Date?

    public init(
        id: ConflictID, articleID: ArticleID, field: ContentField, base: String, ours: String, theirs: String,
        changeIDs: [ChangeID], author: String, revision: RevisionID, createdAt: Date,
        resolvedBy: ChangeID? = nil, resolvedAt: Date? = nil
    ) {
        self.id = id
        self.articleID = articleID
        self.field = field
        self.base = base
        self.ours = ours
        self.theirs = theirs
        self.changeIDs = changeIDs
        self.author = author
        self.revision = revision
        self.createdAt = createdAt
        self.resolvedBy = resolvedBy
        self.resolvedAt = resolvedAt
    }

    public var isOpen: Bool { resolvedBy == nil }

    /// The conflict as text with git-style markers, as `user`'s workspace shows it (see ``sides(for:)``).
    public func marked(for user: String) -> String {
        let sides = sides(for: user)
        if field == .deletion {
            return "<<<<<<< \(sides.oursLabel)\n\(sides.ours)\n=======\n\(sides.theirs)\n>>>>>>> \(sides.theirsLabel)\n"
        }
        return TextMerge.merge(base: base, ours: sides.ours, theirs: sides.theirs,
                               options: .init(wordLevel: true, oursLabel: sides.oursLabel, theirsLabel: sides.theirsLabel)).markedText
    }

    /// The two sides as the workspace of `user` sees them, named as git names them: "ours" is this
    /// workspace's side. When `user` pushed the change that did not make it into the article, ours
    /// is what they pushed and theirs what the article has; for anyone else, ours is what the
    /// article has (what their workspace shows) and theirs what was pushed.
    public func sides(for user: String) -> Sides {
        let inArticle = field == .deletion ? "kept" : ours
        let aside = field == .deletion ? "deleted" : theirs
        // For a deletion conflict the pushed change may be the one the article kept (an edit).
        let pushedIsInArticle = field == .deletion && base == "kept"
        let pushed = pushedIsInArticle ? inArticle : aside
        let other = pushedIsInArticle ? aside : inArticle
        if author == user {
            return Sides(
                ours: pushed, theirs: other, oursIsInArticle: pushedIsInArticle,
                oursLabel: "ours (yours\(pushedIsInArticle ? ", in the article now" : ", not in the article"))",
                theirsLabel: "theirs (\(pushedIsInArticle ? "not in the article" : "in the article now"))")
        }
        return Sides(
            ours: inArticle, theirs: aside, oursIsInArticle: true,
            oursLabel: "ours (in the article now)", theirsLabel: "theirs (\(author)'s, not in the article)")
    }

    public struct Sides: Hashable, Sendable {
        public var ours: String
        public var theirs: String
        /// Whether the article already has `ours` (then taking ours changes no text).
        public var oursIsInArticle: Bool
        public var oursLabel: String
        public var theirsLabel: String
    }
}
