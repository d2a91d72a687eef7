import Foundation

/// One local edit, as it waits in a replica's outbox and travels to the server: the fields it
/// sets, the revision it was made on, and optionally a workflow command, a note, a deletion or the
/// conflicts it settles. The wire format is `Schemas/change.schema.json`.
public struct Change: Hashable, Sendable, Codable, Identifiable {
    public var id: ChangeID
    public var articleID: ArticleID
    /// The revision the edit was made on; nil only when the change creates the article.
    public var baseRevision: RevisionID?
    /// New values of the single-valued fields it touches (absent: untouched).
    public var set: FieldValues
    /// The values those fields had when the author edited them: the common ancestor of a merge.
    /// Carried in the change, so that the server can merge it whatever revisions it knows.
    public var previous: FieldValues
    public var tags: SetEdit<String>
    public var authors: SetEdit<String>
    public var related: SetEdit<ArticleID>
    public var command: WorkflowCommand?
    public var note: NoteDraft?
    /// Deletes the article (a tombstone).
    public var delete: Bool
    /// Conflicts this change settles (its field values are the resolution).
    public var resolves: [ConflictID]
    /// The user who made it. The server replaces it with the authenticated user.
    public var author: String
    /// The replica that made it.
    public var replicaID: UUID
    /// When it was made, by the replica's clock.
    public var createdAt: Date

    public init(
        id: ChangeID = ChangeID(), articleID: ArticleID, baseRevision: RevisionID?, set: FieldValues = FieldValues(),
        previous: FieldValues = FieldValues(), tags: SetEdit<String> = SetEdit(), authors: SetEdit<String> = SetEdit(), related: SetEdit<ArticleID> = SetEdit(),
        command: WorkflowCommand? = nil, note: NoteDraft? = nil, delete: Bool = false, resolves: [ConflictID] = [],
        author: String, replicaID: UUID, createdAt: Date
    ) {
        self.id = id
        self.articleID = articleID
        self.baseRevision = baseRevision
        self.set = set
        self.previous = previous
        self.tags = tags
        self.authors = authors
        self.related = related
        self.command = command
        self.note = note
        self.delete = delete
        self.resolves = resolves
        self.author = author
        self.replicaID = replicaID
        self.createdAt = createdAt
    }

    /// The SHA-256 of the change as it travels, leaving out what the server sets or ignores (the
    /// author, the note's id) and the time (a retried HTTP request is stamped anew): what tells a
    /// replayed change from another one that reuses its id.
    public func digest() throws -> String {
        var anonymous = self
        anonymous.author = ""
        anonymous.createdAt = Date(timeIntervalSince1970: 0)
        // A note's id comes from the change (ChangeApplier.noteID), whatever the client sent.
        anonymous.note?.id = UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))
        return Hex.encode(RevisionIDHash.sha256(Array(try GalleyJSON.encoder().encode(anonymous))))
    }

    /// Whether the change carries words someone wrote (text fields, a note, a message), which a
    /// refusal must keep until the writer has them back.
    public var carriesWords: Bool {
        if set.fields.contains(where: \.holdsWords) || note != nil { return true }
        switch command {
        case .requestChanges, .retract: return true
        default: return false
        }
    }

    /// Whether the change touches the content (and so makes a revision).
    public var editsContent: Bool { !set.isEmpty || !tags.isEmpty }

    /// A change that sets `field` from what it was in `base` to `value`.
    public mutating func set(_ field: ContentField, to value: String, from base: ArticleContent) {
        set[field] = value
        previous[field] = base[text: field]
    }

    /// The single-valued content fields a change may set (``ContentField/single``), by field;
    /// `values.title` reads and writes one as a property.
    @dynamicMemberLookup
    public struct FieldValues: Hashable, Sendable, Codable {
        private var values: [ContentField: String]

        public init(_ values: [ContentField: String] = [:]) {
            self.values = values.filter { $0.key.keyPath != nil }
        }

        public init(
            title: String? = nil, lead: String? = nil, body: String? = nil, category: String? = nil,
            slug: String? = nil, image: String? = nil, imageCredit: String? = nil
        ) {
            let given: [ContentField: String?] = [
                .title: title, .lead: lead, .body: body, .category: category, .slug: slug, .image: image, .imageCredit: imageCredit,
            ]
            self.init(given.compactMapValues { $0 })
        }

        public var isEmpty: Bool { values.isEmpty }

        /// The fields set, in the table's order.
        public var fields: [ContentField] { ContentField.single.filter { values[$0] != nil } }

        public subscript(field: ContentField) -> String? {
            get { values[field] }
            set {
                guard field.keyPath != nil else { return }
                values[field] = newValue
            }
        }

        public subscript(dynamicMember path: WritableKeyPath<ArticleContent, String>) -> String? {
            get { ContentField.single.first { $0.keyPath == path }.flatMap { values[$0] } }
            set { if let field = ContentField.single.first(where: { $0.keyPath == path }) { values[field] = newValue } }
        }

        public init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(names: Set(ContentField.single.map(\.rawValue)))
            let c = try decoder.container(keyedBy: AnyCodingKey.self)
            values = [:]
            for field in ContentField.single {
                values[field] = try c.decodeIfPresent(String.self, forKey: AnyCodingKey(stringValue: field.rawValue))
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: AnyCodingKey.self)
            for field in fields { try c.encode(values[field], forKey: AnyCodingKey(stringValue: field.rawValue)) }
        }
    }

    /// A note written with the change.
    public struct NoteDraft: Hashable, Sendable, Codable {
        public var id: UUID
        public var text: String
        public init(id: UUID = UUID(), text: String) {
            self.id = id
            self.text = text
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case id, text }

        public init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(UUID.self, forKey: .id)
            text = try c.decode(String.self, forKey: .text)
        }
    }
}

/// Additions to and removals from a set-valued field. Sent instead of the whole set so that two
/// people's additions both survive (a three-way set merge with no conflicts possible).
public struct SetEdit<Element: Hashable & Sendable & Codable & Comparable>: Hashable, Sendable, Codable {
    public var add: [Element]
    public var remove: [Element]

    public init(add: [Element] = [], remove: [Element] = []) {
        self.add = add
        self.remove = remove
    }

    public var isEmpty: Bool { add.isEmpty && remove.isEmpty }

    /// Applies the edit to an ordered set: removals first, then additions at the end.
    public func applied(to items: [Element]) -> [Element] {
        let removed = Set(remove)
        var out = items.filter { !removed.contains($0) }
        // A set beside the list: a long list is linear to edit, not quadratic (this runs under
        // the archive's writer lock).
        var present = Set(out)
        for item in add where present.insert(item).inserted { out.append(item) }
        return out
    }

    /// The edit that turns `old` into `new`.
    public static func between(_ old: [Element], _ new: [Element]) -> SetEdit {
        let oldSet = Set(old)
        let newSet = Set(new)
        return SetEdit(add: new.filter { !oldSet.contains($0) }, remove: old.filter { !newSet.contains($0) }.sorted())
    }

    private enum CodingKeys: String, CodingKey, CaseIterable { case add, remove }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        add = try c.decodeIfPresent([Element].self, forKey: .add) ?? []
        remove = try c.decodeIfPresent([Element].self, forKey: .remove) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if !add.isEmpty { try c.encode(add, forKey: .add) }
        if !remove.isEmpty { try c.encode(remove, forKey: .remove) }
    }
}

extension Change {
    private enum CodingKeys: String, CodingKey, CaseIterable {
        case id, articleId, baseRevision, set, previous, tags, authors, related, command, note, delete, resolves, author,
            replicaId, createdAt
    }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(ChangeID.self, forKey: .id)
        articleID = try c.decode(ArticleID.self, forKey: .articleId)
        baseRevision = try c.decodeIfPresent(RevisionID.self, forKey: .baseRevision)
        set = try c.decodeIfPresent(FieldValues.self, forKey: .set) ?? FieldValues()
        previous = try c.decodeIfPresent(FieldValues.self, forKey: .previous) ?? FieldValues()
        tags = try c.decodeIfPresent(SetEdit<String>.self, forKey: .tags) ?? SetEdit()
        authors = try c.decodeIfPresent(SetEdit<String>.self, forKey: .authors) ?? SetEdit()
        related = try c.decodeIfPresent(SetEdit<ArticleID>.self, forKey: .related) ?? SetEdit()
        command = try c.decodeIfPresent(WorkflowCommand.self, forKey: .command)
        note = try c.decodeIfPresent(NoteDraft.self, forKey: .note)
        delete = try c.decodeIfPresent(Bool.self, forKey: .delete) ?? false
        resolves = try c.decodeIfPresent([ConflictID].self, forKey: .resolves) ?? []
        author = try c.decodeIfPresent(String.self, forKey: .author) ?? ""
        let replica = try c.decode(String.self, forKey: .replicaId)
        guard let replicaID = UUIDText.parse(replica) else {
            throw DecodingError.dataCorruptedError(forKey: .replicaId, in: c, debugDescription: "'\(replica.prefix(60))' is not a replica id (a UUID)")
        }
        self.replicaID = replicaID
        createdAt = try c.decode(Date.self, forKey: .createdAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(articleID, forKey: .articleId)
        try c.encodeIfPresent(baseRevision, forKey: .baseRevision)
        if !set.isEmpty { try c.encode(set, forKey: .set) }
        if !previous.isEmpty { try c.encode(previous, forKey: .previous) }
        if !tags.isEmpty { try c.encode(tags, forKey: .tags) }
        if !authors.isEmpty { try c.encode(authors, forKey: .authors) }
        if !related.isEmpty { try c.encode(related, forKey: .related) }
        try c.encodeIfPresent(command, forKey: .command)
        try c.encodeIfPresent(note, forKey: .note)
        if delete { try c.encode(true, forKey: .delete) }
        if !resolves.isEmpty { try c.encode(resolves, forKey: .resolves) }
        try c.encode(author, forKey: .author)
        try c.encode(UUIDText.lowercased(replicaID), forKey: .replicaId)
        try c.encode(createdAt, forKey: .createdAt)
    }
}
