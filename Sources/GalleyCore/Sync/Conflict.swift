import Foundation

/// The id of a conflict record. Derived from the change and the field, so that applying the same
/// change twice (a retried push) names the same conflict.
public struct ConflictID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let uuid: UUID

    public init(_ uuid: UUID) { self.uuid = uuid }

    public init?(_ string: String) {
        guard let uuid = UUID(uuidString: string) else { return nil }
        self.uuid = uuid
    }

    public init(change: ChangeID, field: ContentField) {
        var b = Array(RevisionIDHash.sha256(Array("galley-conflict/1 \(change) \(field.rawValue)".utf8)).prefix(16))
        b[6] = (b[6] & 0x0F) | 0x80  // version 8: custom, name-based
        b[8] = (b[8] & 0x3F) | 0x80
        uuid = UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    public var description: String { uuid.uuidString.lowercased() }
    public var short: String { String(description.prefix(8)) }
    public static func < (lhs: ConflictID, rhs: ConflictID) -> Bool { lhs.description < rhs.description }

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

    /// The conflict as text with git-style markers, for a person to edit.
    public func marked() -> String {
        if field == .deletion {
            return "<<<<<<< \(ours)\n=======\n\(theirs)\n>>>>>>> pushed\n"
        }
        return TextMerge.merge(base: base, ours: ours, theirs: theirs,
                               options: .init(wordLevel: true, oursLabel: "current", theirsLabel: "pushed")).markedText
    }
}
