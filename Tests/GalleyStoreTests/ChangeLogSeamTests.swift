import Foundation
import GalleyCore
import GalleyTestSupport
import Testing

@testable import GalleyStore

/// The archive seam is real: ``ChangeLog`` over a second, deliberately naive backend (plain
/// dictionaries) gives every pushed change the same answer, and leaves every article in the same
/// state, as the SQLite archive does. A backend owes the seam its storage, not its rules.
@Suite struct ChangeLogSeamTests {
    /// A backend in memory: every operation of ``ArchiveTransaction``, and nothing else.
    final class DictionaryTransaction: ArchiveTransaction {
        var applied: [ChangeID: AppliedChange] = [:]
        var articles: [ArticleID: Article] = [:]
        var revisions: [RevisionID: Revision] = [:]
        var conflicts: [ConflictID: Conflict] = [:]
        var notes: [UUID: ReviewNote] = [:]
        var users: Set<String> = []
        var categories: Set<String> = []
        var published: [String: ArticleID] = [:]
        var events: [ChangeApplier.Event] = []
        var audit: [AuditRecord] = []

        func appliedChange(_ id: ChangeID) throws -> AppliedChange? { applied[id] }
        func article(_ id: ArticleID) throws -> Article? { articles[id] }
        func revision(_ id: RevisionID) throws -> Revision? { revisions[id] }
        func conflicts(of id: ArticleID, openOnly: Bool) throws -> [Conflict] {
            conflicts.values.filter { $0.articleID == id && (!openOnly || $0.isOpen) }.sorted { $0.id.description < $1.id.description }
        }
        func categorySlugs() throws -> Set<String> { categories }
        func slugTaken(_ slug: String, except id: ArticleID, author: String) throws -> Bool {
            if let owner = published[slug], owner != id { return true }
            return articles.values.contains { $0.id != id && !$0.deleted && $0.content.slug == slug && $0.authors.contains(author) }
        }
        func liveSlugOwner(_ slug: String) throws -> ArticleID? { published[slug] }
        func userExists(_ name: String) throws -> Bool { users.contains(name) }
        func insert(_ revision: Revision) throws { revisions[revision.id] = revision }
        func append(_ event: ChangeApplier.Event, article: ArticleID, revision: RevisionID?, actor: String, at time: Date) throws -> Int64 {
            events.append(event)
            return Int64(events.count)
        }
        func save(_ conflict: Conflict, seq: Int64) throws { conflicts[conflict.id] = conflict }
        func settle(_ conflict: ConflictID, by change: ChangeID, at time: Date, seq: Int64) throws {
            guard conflicts[conflict]?.resolvedBy == nil else { return }
            conflicts[conflict]?.resolvedBy = change
            conflicts[conflict]?.resolvedAt = time
        }
        func insert(_ note: ReviewNote, seq: Int64) throws { notes[note.id] = notes[note.id] ?? note }
        func save(_ article: Article, seq: Int64, publishing: Bool) throws {
            articles[article.id] = article
            published = published.filter { $0.value != article.id }
            if article.isPublic, let live = article.publishedRevision.flatMap({ revisions[$0] }) { published[live.content.slug] = article.id }
        }
        func audit(_ line: AuditRecord, actor: String, article: ArticleID?, at time: Date) throws { audit.append(line) }
        func recordApplied(_ change: Change, digest: String, user: String, result: PushResult, at time: Date) throws {
            applied[change.id] = AppliedChange(user: user, digest: digest, result: result)
        }
    }

    static let seed = UInt64(ProcessInfo.processInfo.environment["GALLEY_SEAM_SEED"] ?? "") ?? 20261202

    /// Each archive backend against the change log over plain dictionaries: the same answers.
    @Test(arguments: Backend.all) func everyBackendGivesEveryChangeTheModelsAnswer(backend: Backend) async throws {
        let t0 = Timestamp.canonical(Date(timeIntervalSince1970: 1_800_000_000))
        let archive = try await backend.open()
        let memory = DictionaryTransaction()
        let people = [ChangeApplier.Actor(name: "anna", role: .analyst), .init(name: "boris", role: .analyst), .init(name: "erik", role: .editor)]
        for person in people {
            try await archive.createUser(StoredUser(name: person.name, role: person.role, passwordHash: "x", createdAt: t0), by: "test")
            memory.users.insert(person.name)
        }
        try await archive.addCategory(Category(slug: "politics", name: "Politics"), by: "erik", at: t0)
        memory.categories.insert("politics")

        var rng = SplitMix64(seed: Self.seed)
        func pick<T>(_ items: [T]) -> T { items[Int(rng.next() % UInt64(items.count))] }
        let words = ["Minsk", "Beijing", "potash", "Кітай", "Мінск", "trade", "🙂", "café", "e\u{301}"]
        func text() -> String { (0..<(2 + Int(rng.next() % 4))).map { _ in pick(words) }.joined(separator: " ") }
        var ids: [ArticleID] = []
        var sent: [Change] = []
        var answers: [PushResult] = []

        for step in 0..<300 {
            var actor = pick(people)
            let time = t0.addingTimeInterval(Double(step))
            var change: Change
            if ids.isEmpty || rng.next() % 6 == 0 {
                change = Change(
                    articleID: ArticleID.generate(at: time, using: &rng), baseRevision: nil,
                    set: .init(title: text(), body: text() + "\n\n" + text() + "\n", category: "politics"), author: actor.name, replicaID: UUID(), createdAt: time)
                ids.append(change.articleID)
            } else if rng.next() % 9 == 0, let old = sent.randomElement(using: &rng) {
                // A replay, or someone else claiming the id.
                change = old
                if rng.next() % 2 == 0 { change.set.title = text() }
            } else {
                let id = pick(ids)
                guard let current = try await archive.article(id) else { continue }
                let revisions = try await archive.revisions(of: id)
                // An edit on the head, or on an older revision (offline for a while).
                let base = rng.next() % 3 == 0 ? pick(revisions) : revisions.last!
                change = Change(articleID: id, baseRevision: base.id, author: actor.name, replicaID: UUID(), createdAt: time)
                switch rng.next() % 8 {
                case 0: change.command = .submit
                case 1, 2:
                    // The step the article's state calls for, most often by whoever may take it.
                    switch current.state {
                    case .submitted: change.command = .approve(revision: current.headRevision)
                    case .approved: change.command = .publish(at: nil)
                    case .draft: change.command = .submit
                    default: change.command = pick([.reopen, .archive, .retract(message: text())])
                    }
                case 3: change.note = .init(text: text())
                case 4: change.delete = true
                    change.previous = .init(title: base.content.title, lead: base.content.lead, body: base.content.body)
                case 5:
                    if let open = try await archive.conflicts(of: id, openOnly: true).first {
                        // Settled by someone who may: an editor, on the head.
                        actor = people[2]
                        change = Change(articleID: id, baseRevision: current.headRevision, resolves: [open.id], author: actor.name, replicaID: UUID(), createdAt: time)
                    } else {
                        change.tags = SetEdit(add: [pick(["china", "trade"])])
                    }
                default:
                    // A new first or last paragraph: edits from two sides of the text merge.
                    let body = rng.next() % 2 == 0 ? text() + "\n\n" + base.content.body : base.content.body + "\n" + text() + "\n"
                    change.set(.body, to: body, from: base.content)
                    if rng.next() % 2 == 0 { change.set(.title, to: text(), from: base.content) }
                }
            }
            sent.append(change)
            let fromArchive = try await archive.apply([change], by: actor, at: time)[0]
            let fromMemory = try ChangeLog.apply(change, by: actor, at: time, in: memory)
            #expect(fromArchive == fromMemory, "\(backend), seed \(Self.seed), step \(step): \(change.id)")
            answers.append(fromMemory)
        }
        #expect(answers.count > 250)
        for id in ids {
            let a = try await archive.article(id)
            let b = memory.articles[id]
            #expect(a == b, "seed \(Self.seed): article \(id.short) differs")
        }
        // The runs reached the interesting places, so the agreement says something.
        let kinds = Set(memory.events.map(\.recorded))
        let codes = Set(answers.compactMap(\.error?.code))
        let statuses = Set(answers.map(\.status))
        #expect(kinds.isSuperset(of: ["conflicts", "state:published", "delete", "note", "revision"]), "\(kinds.sorted())")
        #expect(codes.contains(.changeIDReused) && statuses == [.applied, .merged, .conflict, .rejected], "\(codes), \(statuses)")
    }
}
