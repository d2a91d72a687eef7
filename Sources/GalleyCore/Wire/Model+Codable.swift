import Foundation

// The JSON shapes of the model, flat and camelCase, as Schemas/ describes them. Written out by
// hand so that the wire format is a decision, not a side effect of a Swift property rename.

extension ArticleContent {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        self.init()
        for field in ContentField.single {
            self[text: field] = try c.decodeIfPresent(String.self, forKey: AnyCodingKey(stringValue: field.rawValue)) ?? ""
        }
        tags = Set(try c.decodeIfPresent([String].self, forKey: AnyCodingKey(stringValue: ContentField.tags.rawValue)) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        try encode(to: encoder, includingBody: true)
    }

    func encode(to encoder: any Encoder, includingBody: Bool) throws {
        var c = encoder.container(keyedBy: AnyCodingKey.self)
        for field in ContentField.content where includingBody || field != .body {
            let key = AnyCodingKey(stringValue: field.rawValue)
            if field == .tags { try c.encode(sortedTags, forKey: key) } else { try c.encode(self[text: field], forKey: key) }
        }
    }
}

extension Article {
    enum Keys: String, CodingKey {
        case id, authors, state, headRevision, approvedRevision, publishedRevision, scheduledAt, publishedAt, related,
            retractionMessage, createdAt, updatedAt, deleted
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(
            id: try c.decode(ArticleID.self, forKey: .id),
            content: try ArticleContent(from: decoder),
            authors: try c.decode([String].self, forKey: .authors),
            state: try c.decode(ArticleState.self, forKey: .state),
            headRevision: try c.decode(RevisionID.self, forKey: .headRevision),
            approvedRevision: try c.decodeIfPresent(RevisionID.self, forKey: .approvedRevision),
            publishedRevision: try c.decodeIfPresent(RevisionID.self, forKey: .publishedRevision),
            scheduledAt: try c.decodeIfPresent(Date.self, forKey: .scheduledAt),
            publishedAt: try c.decodeIfPresent(Date.self, forKey: .publishedAt),
            related: try c.decodeIfPresent([ArticleID].self, forKey: .related) ?? [],
            retractionMessage: try c.decodeIfPresent(String.self, forKey: .retractionMessage),
            createdAt: try c.decode(Date.self, forKey: .createdAt),
            updatedAt: try c.decode(Date.self, forKey: .updatedAt),
            deleted: try c.decodeIfPresent(Bool.self, forKey: .deleted) ?? false)
    }

    public func encode(to encoder: any Encoder) throws {
        try encode(to: encoder, includingBody: true)
    }

    func encode(to encoder: any Encoder, includingBody: Bool) throws {
        try content.encode(to: encoder, includingBody: includingBody)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id)
        try c.encode(authors, forKey: .authors)
        try c.encode(workflowStatus.state, forKey: .state)
        try c.encode(headRevision, forKey: .headRevision)
        try c.encodeIfPresent(workflowStatus.approvedRevision, forKey: .approvedRevision)
        try c.encodeIfPresent(workflowStatus.publishedRevision, forKey: .publishedRevision)
        try c.encodeIfPresent(workflowStatus.scheduledAt, forKey: .scheduledAt)
        try c.encodeIfPresent(workflowStatus.publishedAt, forKey: .publishedAt)
        try c.encode(related, forKey: .related)
        try c.encodeIfPresent(workflowStatus.retractionMessage, forKey: .retractionMessage)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(deleted, forKey: .deleted)
    }
}

extension Revision {
    enum Keys: String, CodingKey { case id, articleId, parents, author, createdAt, changeId }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(
            articleID: try c.decode(ArticleID.self, forKey: .articleId),
            parents: try c.decode([RevisionID].self, forKey: .parents),
            content: try ArticleContent(from: decoder),
            author: try c.decode(String.self, forKey: .author),
            createdAt: try c.decode(Date.self, forKey: .createdAt),
            changeID: try c.decodeIfPresent(ChangeID.self, forKey: .changeId))
        // The id is a hash of the rest: a revision whose id does not match its content is refused.
        if let claimed = try c.decodeIfPresent(RevisionID.self, forKey: .id), claimed != id {
            throw DecodingError.dataCorruptedError(
                forKey: .id, in: c, debugDescription: "revision id \(claimed.short) does not match its content (\(id.short))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        try content.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id)
        try c.encode(articleID, forKey: .articleId)
        try c.encode(parents, forKey: .parents)
        try c.encode(author, forKey: .author)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(changeID, forKey: .changeId)
    }
}

extension Conflict {
    enum Keys: String, CodingKey {
        case id, articleId, field, base, ours, theirs, changeIds, author, revision, createdAt, resolvedBy, resolvedAt
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(
            id: try c.decode(ConflictID.self, forKey: .id), articleID: try c.decode(ArticleID.self, forKey: .articleId),
            field: try c.decode(ContentField.self, forKey: .field), base: try c.decode(String.self, forKey: .base),
            ours: try c.decode(String.self, forKey: .ours), theirs: try c.decode(String.self, forKey: .theirs),
            changeIDs: try c.decode([ChangeID].self, forKey: .changeIds), author: try c.decode(String.self, forKey: .author),
            revision: try c.decode(RevisionID.self, forKey: .revision), createdAt: try c.decode(Date.self, forKey: .createdAt),
            resolvedBy: try c.decodeIfPresent(ChangeID.self, forKey: .resolvedBy),
            resolvedAt: try c.decodeIfPresent(Date.self, forKey: .resolvedAt))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id)
        try c.encode(articleID, forKey: .articleId)
        try c.encode(field, forKey: .field)
        try c.encode(base, forKey: .base)
        try c.encode(ours, forKey: .ours)
        try c.encode(theirs, forKey: .theirs)
        try c.encode(changeIDs, forKey: .changeIds)
        try c.encode(author, forKey: .author)
        try c.encode(revision, forKey: .revision)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(resolvedBy, forKey: .resolvedBy)
        try c.encodeIfPresent(resolvedAt, forKey: .resolvedAt)
    }
}

extension ReviewNote {
    enum Keys: String, CodingKey { case id, articleId, author, kind, text, revision, createdAt }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        self.init(
            id: try c.decode(UUID.self, forKey: .id), articleID: try c.decode(ArticleID.self, forKey: .articleId),
            author: try c.decode(String.self, forKey: .author), kind: try c.decode(Kind.self, forKey: .kind),
            text: try c.decode(String.self, forKey: .text), revision: try c.decodeIfPresent(RevisionID.self, forKey: .revision),
            createdAt: try c.decode(Date.self, forKey: .createdAt))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(UUIDText.lowercased(id), forKey: .id)
        try c.encode(articleID, forKey: .articleId)
        try c.encode(author, forKey: .author)
        try c.encode(kind, forKey: .kind)
        try c.encode(text, forKey: .text)
        try c.encodeIfPresent(revision, forKey: .revision)
        try c.encode(createdAt, forKey: .createdAt)
    }
}

/// An article without its body, for lists: everything `show --json` has but `body`.
public struct ArticleSummary: Encodable, Sendable {
    public let article: Article
    public init(_ article: Article) { self.article = article }

    public func encode(to encoder: any Encoder) throws {
        try article.encode(to: encoder, includingBody: false)
    }
}
