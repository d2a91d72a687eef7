import Foundation
import GalleyTestSupport
import Testing

@testable import GalleyCore

/// A model server and a few replicas, driven by a seeded random schedule: offline sessions of
/// creates, paragraph and title edits, tag changes, deletes, notes, workflow commands and
/// conflict resolutions; syncs in random order, over a network that loses responses, duplicates
/// and delays pushes, and breaks pulls off between pages. After a final sync every replica must
/// hold what the server holds, byte for byte, and every word anyone pushed must be in a head or in
/// an open conflict record.
struct ConvergenceSimulation {
    enum Script: CaseIterable {
        case latin, cyrillic, marksAndEmoji

        func word(_ n: Int, replica: Int) -> String {
            // Unique, so that the test can find every word again.
            switch self {
            case .latin: "w\(replica)x\(n)"
            case .cyrillic: "слова\(replica)ж\(n)"
            case .marksAndEmoji: "e\u{301}\(replica)n\u{303}\(n)🙂"
            }
        }
    }

    // MARK: Server

    struct Server {
        var articles: [ArticleID: Article] = [:]
        var revisions: [RevisionID: Revision] = [:]
        var articleSeq: [ArticleID: Int64] = [:]
        var conflicts: [ConflictID: Conflict] = [:]
        var conflictSeq: [ConflictID: Int64] = [:]
        var notes: [UUID: ReviewNote] = [:]
        var noteSeq: [UUID: Int64] = [:]
        var applied: [ChangeID: Reply] = [:]
        var seq: Int64 = 0
        var clock = Date(timeIntervalSince1970: 1_800_000_000)
        let categories: Set<String> = ["politics", "economy", "trends"]

        struct Reply: Equatable {
            var status: ChangeApplier.Status
            var head: RevisionID?
            var conflicts: [ConflictID]
            var code: String?
        }

        mutating func push(_ pushed: Change, by actor: ChangeApplier.Actor) -> Reply {
            if let earlier = applied[pushed.id] { return earlier }
            clock = Timestamp.canonical(clock.addingTimeInterval(1))
            var change = pushed
            change.author = actor.name
            let id = change.articleID
            let article = articles[id]
            let snapshot = articles
            let outcome = ChangeApplier.apply(
                change, actor: actor,
                state: .init(
                    article: article, head: article.flatMap { revisions[$0.headRevision] },
                    openConflicts: conflicts.values.filter { $0.articleID == id && $0.isOpen }),
                environment: .init(
                    categories: categories,
                    slugTaken: { slug, other in snapshot.values.contains { $0.id != other && !$0.deleted && $0.content.slug == slug } },
                    now: clock))
            guard outcome.status != .rejected, let updated = outcome.article else {
                let reply = Reply(status: .rejected, head: nil, conflicts: [], code: outcome.error?.code.rawValue)
                applied[change.id] = reply
                return reply
            }
            seq += 1
            for r in outcome.newRevisions { revisions[r.id] = r }
            for c in outcome.newConflicts {
                conflicts[c.id] = c
                conflictSeq[c.id] = seq
            }
            for cid in outcome.resolvedConflicts where conflicts[cid]?.isOpen == true {
                conflicts[cid]?.resolvedBy = change.id
                conflicts[cid]?.resolvedAt = clock
                conflictSeq[cid] = seq
            }
            for note in outcome.notes where notes[note.id] == nil {
                notes[note.id] = note
                noteSeq[note.id] = seq
            }
            articles[id] = updated
            articleSeq[id] = seq
            let reply = Reply(status: outcome.status, head: updated.headRevision, conflicts: outcome.newConflicts.map(\.id), code: nil)
            applied[change.id] = reply
            return reply
        }

        func visible(_ a: Article, to viewer: ChangeApplier.Actor) -> Bool {
            viewer.role.canReview || a.isAuthor(viewer.name) || (a.publishedRevision != nil && !a.deleted)
        }

        /// What the viewer may see of the article (as the real archive projects it).
        func project(_ a: Article, for viewer: ChangeApplier.Actor) -> (Article, Revision, Bool) {
            if viewer.role.canReview || a.isAuthor(viewer.name) { return (a, revisions[a.headRevision]!, true) }
            let published = revisions[a.publishedRevision!]!
            var view = a
            view.content = published.content
            view.headRevision = published.id
            view.approvedRevision = nil
            view.scheduledAt = nil
            if view.state != .retracted { view.state = .published }
            return (view, published, false)
        }

        struct Page {
            var articles: [(article: Article, head: Revision)] = []
            var conflicts: [Conflict] = []
            var notes: [ReviewNote] = []
            var next: Int64
            var hasMore: Bool
        }

        /// One stream in sequence order over articles (latest state), conflicts (latest state) and
        /// notes, as the real archive pages it: a page never ends inside one sequence number.
        func pull(since cursor: Int64, limit: Int, viewer: ChangeApplier.Actor) -> Page {
            enum Item { case article(ArticleID), conflict(ConflictID), note(UUID) }
            var items: [(Int64, Item)] = []
            for (id, s) in articleSeq where s > cursor && visible(articles[id]!, to: viewer) { items.append((s, .article(id))) }
            func full(_ id: ArticleID) -> Bool { viewer.role.canReview || articles[id]!.isAuthor(viewer.name) }
            for (id, s) in conflictSeq where s > cursor && full(conflicts[id]!.articleID) { items.append((s, .conflict(id))) }
            for (id, s) in noteSeq where s > cursor && full(notes[id]!.articleID) { items.append((s, .note(id))) }
            items.sort { $0.0 < $1.0 }
            var page = Page(next: cursor, hasMore: false)
            var taken = 0
            for (s, item) in items {
                if taken >= limit && s != page.next {
                    page.hasMore = true
                    break
                }
                switch item {
                case .article(let id):
                    let (article, head, _) = project(articles[id]!, for: viewer)
                    page.articles.append((article, head))
                case .conflict(let id): page.conflicts.append(conflicts[id]!)
                case .note(let id): page.notes.append(notes[id]!)
                }
                page.next = s
                taken += 1
            }
            return page
        }
    }

    // MARK: Replica

    struct Replica {
        let index: Int
        let actor: ChangeApplier.Actor
        let replicaID: UUID
        var server: [ArticleID: (article: Article, head: Revision)] = [:]
        var conflicts: [ConflictID: Conflict] = [:]
        var notes: [UUID: ReviewNote] = [:]
        var outbox: [Change] = []
        var made: [Change] = []
        var cursor: Int64 = 0
        var online = true
        var counter = 0

        func view(_ id: ArticleID, now: Date) -> Replay.View {
            let s = server[id]
            return Replay.view(
                article: s?.article, head: s?.head, openConflicts: conflicts.values.filter { $0.articleID == id && $0.isOpen },
                outbox: outbox.filter { $0.articleID == id }, actor: actor, now: now)
        }

        func articleIDs() -> [ArticleID] {
            Array(Set(server.keys).union(outbox.map(\.articleID))).sorted()
        }

        mutating func record(_ change: Change) {
            outbox.append(change)
            made.append(change)
        }
    }

    // MARK: The run

    let seed: UInt64
    let script: Script
    var rng: SplitMix64
    var server = Server()
    var replicas: [Replica] = []
    /// Pushes the network holds back and may deliver later (their answers are lost).
    var delayed: [(replica: Int, batch: [Change])] = []
    /// Words each change inserted.
    var words: [ChangeID: [String]] = [:]

    init(seed: UInt64) {
        self.seed = seed
        script = Script.allCases[Int(seed % 3)]
        rng = SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ 1)
        let count = 3 + Int(rng.next() % 3)
        for i in 0..<count {
            let role: Role = i == 0 ? .editor : (i == 1 ? .analyst : (rng.next() % 3 == 0 ? .editor : .analyst))
            var idBytes = [UInt8](repeating: 0, count: 16)
            for k in 0..<16 { idBytes[k] = UInt8(truncatingIfNeeded: rng.next()) }
            let uuid = UUID(uuid: (idBytes[0], idBytes[1], idBytes[2], idBytes[3], idBytes[4], idBytes[5], idBytes[6], idBytes[7],
                                   idBytes[8], idBytes[9], idBytes[10], idBytes[11], idBytes[12], idBytes[13], idBytes[14], idBytes[15]))
            replicas.append(Replica(index: i, actor: .init(name: "user\(i)", role: role), replicaID: uuid))
        }
    }

    mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 10_000) / 10_000 < p }
    mutating func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(max(n, 1))) }

    mutating func newWord(_ r: Int) -> String {
        replicas[r].counter += 1
        return script.word(replicas[r].counter, replica: r)
    }

    mutating func changeID() -> ChangeID {
        var b = [UInt8](repeating: 0, count: 16)
        for k in 0..<16 { b[k] = UInt8(truncatingIfNeeded: rng.next()) }
        return ChangeID(UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])))
    }

    mutating func run(steps: Int) throws {
        for _ in 0..<steps {
            let r = pick(replicas.count)
            switch rng.next() % 10 {
            case 0...5: act(r)
            case 6, 7: if replicas[r].online { sync(r, faults: true) }
            case 8: replicas[r].online.toggle()
            default: deliverDelayed()
            }
        }
        try finish()
    }

    // MARK: Offline actions

    mutating func act(_ r: Int) {
        let now = server.clock
        let replica = replicas[r]
        let ids = replica.articleIDs()
        let views = ids.compactMap { id -> (ArticleID, Replay.View)? in
            let v = replica.view(id, now: now)
            return v.article == nil ? nil : (id, v)
        }
        let editable = views.filter { _, v in
            v.article!.isAuthor(replica.actor.name) || replica.actor.role.canReview
        }
        var roll = rng.next() % 100
        if editable.isEmpty || roll < 12 {
            create(r)
            return
        }
        var (id, view) = editable[pick(editable.count)]
        // People settle conflicts they see, sooner or later.
        let conflicted = editable.filter { id, _ in replica.conflicts.values.contains { $0.articleID == id && $0.isOpen } }
        if !conflicted.isEmpty && chance(0.4) {
            (id, view) = conflicted[pick(conflicted.count)]
            roll = 99
        }
        let article = view.article!
        var change = Change(
            id: changeID(), articleID: id, baseRevision: article.headRevision, author: replica.actor.name,
            replicaID: replica.replicaID, createdAt: now)
        var inserted: [String] = []
        switch roll {
        case 12..<45:
            // Insert a word into a paragraph.
            var paragraphs = article.content.body.split(separator: "\n\n", omittingEmptySubsequences: false).map(String.init)
            let p = pick(paragraphs.count)
            var tokens = paragraphs[p].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            let word = newWord(r)
            tokens.insert(word, at: pick(tokens.count + 1))
            paragraphs[p] = tokens.joined(separator: " ")
            change.set(.body, to: paragraphs.joined(separator: "\n\n"), from: article.content)
            inserted = [word]
        case 45..<55:
            let word = newWord(r)
            var body = article.content.body
            if body.hasSuffix("\n") { body.removeLast() }
            change.set(.body, to: body + "\n\n" + "\(word) \(newWord(r))" + "\n", from: article.content)
            inserted = [word]
        case 55..<63:
            guard article.content.title.count < 100 else { return }
            let word = newWord(r)
            change.set(.title, to: article.content.title + " " + word, from: article.content)
            inserted = [word]
        case 63..<70:
            if chance(0.6) { change.tags.add = ["tag\(pick(6))"] } else { change.tags.remove = article.content.sortedTags.prefix(1).map { $0 } }
            if change.tags.isEmpty { return }
        case 70..<73:
            change.set(.category, to: ["politics", "economy", "trends"][pick(3)], from: article.content)
        case 73..<76:
            change.delete = true
        case 76..<80:
            change.note = .init(id: UUID(uuid: changeID().uuid.uuid), text: "note \(newWord(r))")
        case 80..<92:
            let command: WorkflowCommand
            switch rng.next() % 6 {
            case 0: command = .submit
            case 1: command = .approve(revision: article.headRevision)
            case 2: command = .requestChanges(message: "more sources")
            case 3: command = .publish(at: nil)
            case 4: command = .retract(message: "wrong figure")
            default: command = .archive
            }
            // The client refuses locally what the workflow forbids this user; the server checks again.
            let decision = Workflow.decide(
                .command(command), status: article.workflowStatus, head: article.headRevision,
                openConflicts: view.pendingConflicts.count + replica.conflicts.values.filter { $0.articleID == id && $0.isOpen }.count,
                actor: .init(role: replica.actor.role, isAuthor: article.isAuthor(replica.actor.name)), now: now)
            guard case .success = decision else { return }
            change.command = command
        default:
            // Resolve a conflict, keeping both sides' words.
            let open = replica.conflicts.values.filter { $0.articleID == id && $0.isOpen }.sorted { $0.id < $1.id }
            guard let conflict = open.first else { return }
            change.resolves = [conflict.id]
            switch conflict.field {
            case .title:
                guard article.content.title.count + conflict.theirs.count < 280 else { return }
                change.set(.title, to: article.content.title + " " + conflict.theirs, from: article.content)
            case .lead, .body:
                change.set(conflict.field, to: article.content[text: conflict.field] + "\n\n" + conflict.theirs, from: article.content)
            case .category, .slug, .image, .imageCredit:
                change.set(conflict.field, to: conflict.theirs, from: article.content)
            case .tags, .deletion:
                break
            }
        }
        let check = Replay.view(
            article: view.article, head: view.head, openConflicts: replica.conflicts.values.filter { $0.articleID == id && $0.isOpen },
            outbox: [change], actor: replica.actor, now: now)
        guard check.refused.isEmpty else { return }
        words[change.id] = inserted
        replicas[r].record(change)
    }

    mutating func create(_ r: Int) {
        let replica = replicas[r]
        var idRNG = SplitMix64(seed: rng.next())
        let id = ArticleID.generate(at: server.clock, using: &idRNG)
        let w = (0..<6).map { _ in newWord(r) }
        let change = Change(
            id: changeID(), articleID: id, baseRevision: nil,
            set: .init(title: "Title \(w[0])", lead: "Lead \(w[1])", body: "First \(w[2]) paragraph.\n\nSecond \(w[3]) paragraph.\n\nThird \(w[4]) \(w[5]).\n",
                       category: "politics"),
            tags: SetEdit(add: ["tag\(pick(6))"]), author: replica.actor.name, replicaID: replica.replicaID, createdAt: server.clock)
        words[change.id] = w
        replicas[r].record(change)
    }

    // MARK: Sync over a faulty network

    mutating func sync(_ r: Int, faults: Bool) {
        let actor = replicas[r].actor
        if !replicas[r].outbox.isEmpty {
            let size = faults ? 1 + pick(replicas[r].outbox.count) : replicas[r].outbox.count
            let batch = Array(replicas[r].outbox.prefix(size))
            if faults && chance(0.1) {
                // Held up in the network; the client gives up waiting and will retry.
                delayed.append((r, batch))
            } else {
                var replies: [ChangeID: Server.Reply] = [:]
                for change in batch { replies[change.id] = server.push(change, by: actor) }
                if faults && chance(0.1) {
                    for change in batch { _ = server.push(change, by: actor) }  // a duplicated request
                }
                if !(faults && chance(0.25)) {
                    // The answer arrived: acknowledged changes leave the outbox (refused ones are
                    // kept aside by the real client, with their text).
                    replicas[r].outbox.removeAll { replies[$0.id] != nil }
                }
            }
        }
        var pages = 0
        while true {
            if faults && pages > 0 && chance(0.15) { return }  // the pull broke off between pages
            let limit = faults ? 1 + pick(4) : 50
            let page = server.pull(since: replicas[r].cursor, limit: limit, viewer: actor)
            for item in page.articles { replicas[r].server[item.article.id] = (item.article, item.head) }
            for c in page.conflicts { replicas[r].conflicts[c.id] = c }
            for n in page.notes { replicas[r].notes[n.id] = n }
            // The cursor moves only once the page is stored.
            replicas[r].cursor = page.next
            pages += 1
            if !page.hasMore { return }
        }
    }

    mutating func deliverDelayed() {
        guard !delayed.isEmpty else { return }
        let (r, batch) = delayed.remove(at: pick(delayed.count))
        for change in batch { _ = server.push(change, by: replicas[r].actor) }
    }

    // MARK: The end

    mutating func finish() throws {
        while !delayed.isEmpty { deliverDelayed() }
        for _ in 0..<3 {
            for r in replicas.indices { sync(r, faults: false) }
        }
        for r in replicas.indices {
            try #require(replicas[r].outbox.isEmpty, "seed \(seed): replica \(r) still has unpushed changes")
        }

        // 1. Every replica holds exactly what the server shows that user, byte for byte.
        let encoder = GalleyJSON.encoder()
        for replica in replicas {
            let expected = server.articles.values.filter { server.visible($0, to: replica.actor) }
                .map { server.project($0, for: replica.actor).0 }.sorted { $0.id < $1.id }
            let actual = replica.articleIDs().compactMap { replica.view($0, now: server.clock).article }
            #expect(try encoder.encode(actual) == encoder.encode(expected), "seed \(seed): replica \(replica.index) (\(replica.actor.role)) differs from the server")
            let fullIDs = Set(expected.filter { $0.isAuthor(replica.actor.name) || replica.actor.role.canReview }.map(\.id))
            let expectedConflicts = server.conflicts.values.filter { fullIDs.contains($0.articleID) }.sorted { $0.id < $1.id }
            let actualConflicts = replica.conflicts.values.sorted { $0.id < $1.id }
            #expect(try encoder.encode(actualConflicts) == encoder.encode(expectedConflicts), "seed \(seed): replica \(replica.index) conflicts differ")
            let expectedNotes = server.notes.values.filter { fullIDs.contains($0.articleID) }.sorted { $0.id.uuidString < $1.id.uuidString }
            let actualNotes = replica.notes.values.sorted { $0.id.uuidString < $1.id.uuidString }
            #expect(try encoder.encode(actualNotes) == encoder.encode(expectedNotes), "seed \(seed): replica \(replica.index) notes differ")
        }

        // 2. Every word pushed is in a head or in an open conflict record.
        var haystack = ""
        for a in server.articles.values { haystack += a.content.title + "\n" + a.content.lead + "\n" + a.content.body + "\n" }
        for c in server.conflicts.values where c.isOpen { haystack += c.ours + "\n" + c.theirs + "\n" }
        for (id, inserted) in words {
            guard let reply = server.applied[id], reply.status != .rejected else { continue }
            for word in inserted where !haystack.contains(word) {
                Issue.record("seed \(seed): the word \(word) from change \(id) was lost")
            }
        }

        // 3. Pushing everything again changes nothing.
        let before = try encoder.encode(server.articles.values.sorted { $0.id < $1.id })
        let seqBefore = server.seq
        for replica in replicas {
            for change in replica.made {
                let again = server.push(change, by: replica.actor)
                #expect(again == server.applied[change.id], "seed \(seed): a repeated push answered differently")
            }
        }
        #expect(server.seq == seqBefore, "seed \(seed): a repeated push wrote something")
        #expect(try encoder.encode(server.articles.values.sorted { $0.id < $1.id }) == before)
    }
}

@Suite struct ConvergenceTests {
    /// 1,000 seeds across Latin, Cyrillic and combining-mark/emoji text. A failing seed is printed
    /// in the expectation message; replay it with `GALLEY_SEED=<n> swift test --filter Convergence`.
    @Test func replicasConvergeAndLoseNoWord() throws {
        let seeds: [UInt64]
        if let one = ProcessInfo.processInfo.environment["GALLEY_SEED"].flatMap(UInt64.init) {
            seeds = [one]
        } else {
            let count = ProcessInfo.processInfo.environment["GALLEY_SEEDS"].flatMap(Int.init) ?? 1000
            seeds = (0..<UInt64(count)).map { $0 }
        }
        var changes = 0
        var conflicts = 0
        var resolved = 0
        var merged = 0
        for seed in seeds {
            var sim = ConvergenceSimulation(seed: seed)
            try sim.run(steps: 60)
            changes += sim.server.applied.count
            conflicts += sim.server.conflicts.count
            resolved += sim.server.conflicts.values.filter { !$0.isOpen }.count
            merged += sim.server.applied.values.filter { $0.status == .merged }.count
        }
        print("convergence: \(seeds.count) seeds, \(changes) changes, \(merged) merged cleanly, \(conflicts) conflicts recorded, \(resolved) resolved")
        #expect(conflicts > 0 && resolved > 0 && merged > 0, "the schedule should provoke merges, conflicts and resolutions")
    }
}
