import Foundation

/// An immutable snapshot of an article's content, with the revision(s) it was made from.
public struct Revision: Hashable, Sendable, Codable, Identifiable {
    public let id: RevisionID
    public let articleID: ArticleID
    /// The first parent is the line the change was made on; a merge has two.
    public let parents: [RevisionID]
    public let content: ArticleContent
    /// The user name of whoever made it (for a merge: whoever pushed the change that caused it).
    public let author: String
    public let createdAt: Date
    /// The change that produced this revision, when one did.
    public let changeID: ChangeID?

    public init(
        articleID: ArticleID, parents: [RevisionID], content: ArticleContent, author: String, createdAt: Date,
        changeID: ChangeID? = nil
    ) {
        self.id = RevisionID(article: articleID, parents: parents, content: content)
        self.articleID = articleID
        self.parents = parents
        self.content = content
        self.author = author
        self.createdAt = createdAt
        self.changeID = changeID
    }
}

extension Revision {
    /// The revision a viewer is shown in place of one whose words they may not read: a retracted
    /// article as readers have it (title and notice, no words). Made for the view, never stored:
    /// it depends only on what the view itself holds, so whoever sends the view can rebuild it,
    /// and whoever receives it can check that the head hashes, as for any other.
    public static func shownInPlace(of article: Article) -> Revision {
        Revision(articleID: article.id, parents: [], content: article.content, author: ChangeApplier.wordMergeAuthor, createdAt: article.updatedAt)
    }
}

/// The id a client gives a change; it makes pushes idempotent.
public struct ChangeID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let uuid: UUID
    public init(_ uuid: UUID = UUID()) { self.uuid = uuid }
    public init?(_ string: String) {
        guard let uuid = UUIDText.parse(string) else { return nil }
        self.uuid = uuid
    }
    public var description: String { UUIDText.lowercased(uuid) }
    public static func < (lhs: ChangeID, rhs: ChangeID) -> Bool { UUIDText.precedes(lhs.uuid, rhs.uuid) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let id = ChangeID(string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(string)' is not a change id (a UUID)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Revision {
    /// `id` and every revision it descends from, among `revisions` (as far as they reach: a
    /// replica may not hold them all).
    public static func ancestors(of id: RevisionID, in revisions: [Revision]) -> Set<RevisionID> {
        let byID = Dictionary(revisions.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var seen: Set<RevisionID> = []
        var next = [id]
        while let id = next.popLast() {
            guard seen.insert(id).inserted else { continue }
            next += byID[id]?.parents ?? []
        }
        return seen
    }
}
