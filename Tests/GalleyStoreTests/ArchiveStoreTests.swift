import Foundation
import GalleyTestSupport
import GRDB
import GalleyCore
import Testing

@testable import GalleyStore

@Suite struct ArchiveStoreTests {
    let archive: SQLiteArchive
    let analyst = ChangeApplier.Actor(name: "anna", role: .analyst)
    let editor = ChangeApplier.Actor(name: "erik", role: .editor)
    let replica = UUID()
    let t0 = Timestamp.canonical(Date(timeIntervalSince1970: 1_800_000_000))

    init() async throws {
        archive = try SQLiteArchive.inMemory()
        try await Self.prepare(archive, t0)
    }

    static func prepare(_ archive: any ArchiveStore, _ t0: Date) async throws {
        for (name, role) in [("anna", Role.analyst), ("erik", .editor)] {
            try await archive.createUser(StoredUser(name: name, role: role, passwordHash: "x", createdAt: t0), by: "test")
        }
        try await archive.addCategory(Category(slug: "politics", name: "Politics"), by: "erik", at: t0)
    }

    /// A new archive of `backend` with anna, erik and the category politics.
    func prepared(_ backend: Backend) async throws -> any ArchiveStore {
        let archive = try await backend.open()
        try await Self.prepare(archive, t0)
        return archive
    }

    func create(_ title: String, body: String, tags: [String] = [], in given: (any ArchiveStore)? = nil) async throws -> (ArticleID, PushResult) {
        let archive = given ?? self.archive
        let id = ArticleID.generate(at: t0)
        let change = Change(
            articleID: id, baseRevision: nil, set: .init(title: title, body: body, category: "politics"),
            tags: SetEdit(add: tags), author: "anna", replicaID: replica, createdAt: t0)
        let results = try await archive.apply([change], by: analyst, at: t0)
        return (id, results[0])
    }

    /// A lookup the engine makes while deciding (is the slug taken? is there such a user?) that
    /// the storage cannot answer fails the change as the storage failed: it is not answered
    /// "slug taken" or "no such user", and nothing of it is written.
    @Test func aStorageFailureInALookupFailsTheChangeInsteadOfAnsweringIt() async throws {
        // The table the lookups read goes missing; the rest of the archive still works.
        try await archive.writer.write { db in try db.execute(sql: "ALTER TABLE published_articles RENAME TO published_gone") }
        let before = try await archive.latestSequence()
        let id = ArticleID.generate(at: t0)
        let change = Change(
            articleID: id, baseRevision: nil, set: .init(title: "Slug lookups", body: "Text.\n", category: "politics"),
            author: "anna", replicaID: replica, createdAt: t0)
        await #expect(throws: StoreError.self) { try await archive.apply([change], by: analyst, at: t0) }
        #expect(try await archive.article(id) == nil)
        #expect(try await archive.latestSequence() == before)
        #expect(try await !archive.appliedChangeIDs().contains(change.id), "a failed change must not be remembered as answered")
    }

    /// An acknowledged push, and an edit saved offline, is on the disk: a power cut after the
    /// answer loses none of it.
    @Test func archivesAndReplicasOnDiskCommitDurably() async throws {
        let path = Scratch.path("durable", extension: "sqlite").path
        let onDisk = try SQLiteArchive(path: path)
        let writing = try await onDisk.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(writing == 2, "synchronous = FULL")
        let journal = try await onDisk.writer.write { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        let replica = try ClientReplica(path: Scratch.path("replica", extension: "sqlite").path)
        let offline = try await replica.writer.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(offline == 2, "an edit saved offline is on the disk")
    }

    @Test func migratesFromEmpty() async throws {
        let tables = try await archive.writer.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table') ORDER BY name")
        }
        for table in ["users", "sessions", "articles", "revisions", "events", "applied_changes", "conflicts", "notes", "audit_log", "articles_fts"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
        #expect(try await archive.epoch().count == 36)
        let replica = try ClientReplica.inMemory()
        #expect(try replica.integrityCheck() == "ok")
        #expect(try replica.syncState().cursor == 0)
    }

    @Test(arguments: Backend.all) func storesAnArticleWithItsRevisionsAndReadsItBack(backend: Backend) async throws {
        let archive = try await prepared(backend)
        let (id, created) = try await create("Minsk and Beijing", body: "First paragraph.\n\nSecond paragraph.\n", tags: ["china"], in: archive)
        #expect(created.status == .applied)
        let first = try #require(created.headRevision)

        var edit = Change(articleID: id, baseRevision: first, tags: SetEdit(add: ["belarus"]), author: "anna", replicaID: replica, createdAt: t0)
        edit.set(.body, to: "First paragraph.\n\nSecond paragraph, revised.\n", from: try #require(try await archive.article(id)).content)
        let edited = try await archive.apply([edit], by: analyst, at: t0.addingTimeInterval(60))[0]
        #expect(edited.status == .applied)

        let article = try #require(try await archive.article(id))
        #expect(article.content.title == "Minsk and Beijing")
        #expect(article.content.body.contains("revised"))
        #expect(article.content.tags == ["china", "belarus"])
        #expect(article.content.slug == "minsk-and-beijing")
        #expect(article.authors == ["anna"])
        #expect(article.headRevision == edited.headRevision)
        let revisions = try await archive.revisions(of: id)
        #expect(revisions.map(\.id) == [first, edited.headRevision])
        #expect(revisions[1].parents == [first])
        #expect(revisions[0].content.body == "First paragraph.\n\nSecond paragraph.\n")
    }

    @Test(arguments: Backend.all) func searchFindsBodyWordsButNotDeletedArticles(backend: Backend) async throws {
        let archive = try await prepared(backend)
        let (kept, _) = try await create("Trade", body: "Exports of potash grew.\n", in: archive)
        let (gone, result) = try await create("Energy", body: "Potash and oil refineries.\n", in: archive)
        #expect(try await archive.search("potash", limit: 10, viewer: editor).map(\.id).sorted() == [kept, gone].sorted())

        let delete = Change(articleID: gone, baseRevision: result.headRevision, delete: true, author: "anna", replicaID: replica, createdAt: t0)
        #expect(try await archive.apply([delete], by: analyst, at: t0)[0].status == .applied)
        #expect(try await archive.search("potash", limit: 10, viewer: editor).map(\.id) == [kept])
        #expect(try await archive.article(gone)?.deleted == true, "a deleted article stays as a tombstone")

        // Cyrillic and diacritics: unicode61 splits words and folds accents.
        let (cyr, _) = try await create("Мінск", body: "Беларусь і Кітай. Café crème.\n", in: archive)
        #expect(try await archive.search("кітай", limit: 10, viewer: editor).map(\.id) == [cyr])
        #expect(try await archive.search("cafe", limit: 10, viewer: editor).map(\.id) == [cyr])
        await #expect(throws: GalleyError.self) { try await archive.search("\"unbalanced", limit: 10, viewer: editor) }
        await #expect(throws: GalleyError.self) { try await archive.search("  ", limit: 10, viewer: editor) }
    }

    /// The full-text index is written by the store, not by triggers: after any mix of edits,
    /// workflow-only saves, deletions, restores and removals, every article is found by the
    /// words it has now, by none it had before, and FTS5's own check agrees. `journaled`: as the
    /// archive writes it under push load, several saves per transaction through a
    /// ``ContentRows/SearchJournal`` flushed at the end in row order, the same article several
    /// times in one, and some saves rolled back in a savepoint.
    @Test(arguments: [1, 2, 3] as [UInt64], [false, true])
    func theFullTextIndexFollowsEveryChange(seed: UInt64, journaled: Bool) async throws {
        var rng = SplitMix64(seed: seed)
        struct Current { var article: Article; var version: Int }
        var live: [ArticleID: Current] = [:]
        var retired: [String] = []
        func word(_ id: ArticleID, _ version: Int) -> String { "w\(id.short)v\(version)" }
        func make(_ id: ArticleID, version: Int, deleted: Bool, state: ArticleState = .draft) -> Article {
            let content = ArticleContent(title: "Title \(word(id, version))", lead: "Lead.", body: "Body with \(word(id, version)) in it.\n",
                                         category: "politics", tags: ["t\(version)"], slug: "s-\(id.short)")
            let revision = Revision(articleID: id, parents: [], content: content, author: "anna", createdAt: t0)
            return Article(id: id, content: content, authors: ["anna"], state: state, headRevision: revision.id, createdAt: t0, updatedAt: t0, deleted: deleted)
        }
        enum Write: Sendable { case save(Article, Int64), delete(ArticleID) }
        struct Step: Sendable { var write: Write; var rolledBack: Bool }
        var pending: [Step] = []
        @Sendable func run(_ write: Write, _ db: Database, _ search: ContentRows.SearchJournal?) throws {
            switch write {
            case .save(let a, let seq): _ = try ContentRows.save(db, a, seq: seq, search: search)
            case .delete(let id): try ContentRows.delete(db, id: id, search: search)
            }
        }
        struct Rollback: Error {}
        let archive = self.archive
        func commit() async throws {
            let steps = pending
            pending = []
            try await archive.writer.write { db in
                let search = journaled ? ContentRows.SearchJournal() : nil
                for step in steps {
                    guard step.rolledBack, let search else {
                        try run(step.write, db, search)
                        continue
                    }
                    let mark = search.mark
                    do {
                        try db.inSavepoint {
                            try run(step.write, db, search)
                            throw Rollback()
                        }
                    } catch is Rollback {
                        search.restore(mark)
                    }
                }
                try search?.flush(db)
            }
        }
        func write(_ w: Write) async throws {
            pending.append(Step(write: w, rolledBack: false))
            if !journaled || rng.next() % 8 == 0 { try await commit() }
        }
        for step in 0..<300 {
            let roll = rng.next() % 10
            if roll < 3 || live.isEmpty {
                let id = ArticleID.generate(at: t0.addingTimeInterval(Double(step)))
                let a = make(id, version: 0, deleted: false)
                try await write(.save(a, Int64(step)))
                live[id] = Current(article: a, version: 0)
                continue
            }
            let id = live.keys.sorted { $0.description < $1.description }[Int(rng.next() % UInt64(live.count))]
            var current = live[id]!
            if journaled && rng.next() % 6 == 0 {
                // A change that fails after its save: rolled back, and so is its index entry.
                var lost = make(id, version: current.version + 1_000, deleted: current.article.deleted)
                lost.state = current.article.state
                pending.append(Step(write: rng.next() % 2 == 0 ? .save(lost, Int64(step)) : .delete(id), rolledBack: true))
                retired.append(word(id, current.version + 1_000))
            }
            switch roll {
            case 3, 4, 5:  // the text changes
                retired.append(word(id, current.version))
                current.version += 1
                current.article = make(id, version: current.version, deleted: current.article.deleted, state: current.article.state)
            case 6:  // only the workflow state changes
                current.article.state = current.article.state == .draft ? .submitted : .draft
            case 7:  // deleted, or restored
                current.article.deleted.toggle()
            default:  // the row goes (a replica dropping an article it may no longer see)
                try await write(.delete(id))
                retired.append(word(id, current.version))
                live[id] = nil
                continue
            }
            try await write(.save(current.article, Int64(step)))
            live[id] = current
        }
        try await commit()
        let expected = live.map { (id: $0.key, word: word($0.key, $0.value.version), deleted: $0.value.article.deleted) }
        let gone = retired
        try await archive.writer.read { db in
            let match = try db.cachedStatement(sql: "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?")
            for e in expected {
                let num = try #require(try ContentRows.articleNumber(db, id: e.id))
                let found = try Int64.fetchAll(match, arguments: ["\"\(e.word)\""])
                #expect(found == (e.deleted ? [] : [num]), "seed \(seed) journaled \(journaled): \(e.word) deleted=\(e.deleted)")
            }
            for old in gone {
                #expect(try Int64.fetchAll(match, arguments: ["\"\(old)\""]).isEmpty, "seed \(seed) journaled \(journaled): '\(old)' is still in the index")
            }
        }
        // The index's own structure (not against the content table: tombstones are deliberately not indexed).
        try await archive.writer.write { db in
            try db.execute(sql: "INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        }
        try await archive.writer.write { db in try ContentRows.deleteAll(db) }
        let left = try await archive.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM articles_fts WHERE articles_fts MATCH 'body'") }
        #expect(left == 0, "seed \(seed): delete-all left \(left ?? -1) rows in the index")
    }

    /// The public index, also written by the store: a republished text replaces the old one, a
    /// retraction hides it, archiving removes it, and FTS5's own check agrees throughout.
    @Test(arguments: Backend.all) func thePublicIndexFollowsPublishingRepublishingAndArchiving(backend: Backend) async throws {
        let archive = try await prepared(backend)
        let (id, _) = try await create("Potash report", body: "First wordalpha text.\n", in: archive)
        func step(_ command: WorkflowCommand?, body: String? = nil, by actor: ChangeApplier.Actor) async throws {
            let article = try #require(try await archive.article(id))
            var change = Change(articleID: id, baseRevision: article.headRevision, command: command, author: actor.name, replicaID: replica, createdAt: t0)
            if let body { change.set(.body, to: body, from: article.content) }
            let result = try await archive.apply([change], by: actor, at: t0)[0]
            #expect(result.status != .rejected, "\(String(describing: command)): \(result.error?.message ?? "")")
        }
        func publish() async throws {
            // An edit of a published article puts it back in review by itself.
            if try await archive.article(id)?.state != .submitted { try await step(.submit, by: analyst) }
            let head = try #require(try await archive.article(id)).headRevision
            try await step(.approve(revision: head), by: editor)
            try await step(.publish(at: nil), by: editor)
        }
        func found(_ word: String) async throws -> [ArticleID] { try await archive.searchPublished(word, limit: 10, offset: 0).map(\.id) }
        func check() async throws {
            // FTS5's own check of its structure (PostgreSQL's index needs none).
            guard let sqlite = archive as? SQLiteArchive else { return }
            try await sqlite.writer.write { db in try db.execute(sql: "INSERT INTO published_fts(published_fts) VALUES ('integrity-check')") }
        }

        try await publish()
        #expect(try await found("wordalpha") == [id])
        try await step(nil, body: "Second wordbeta text.\n", by: analyst)
        #expect(try await found("wordbeta").isEmpty, "an unpublished head is not public")
        #expect(try await found("wordalpha") == [id], "the published revision stays live")
        try await publish()
        #expect(try await found("wordbeta") == [id])
        #expect(try await found("wordalpha").isEmpty, "the old published text left the index")
        try await check()
        try await step(.retract(message: "Wrong figures."), by: editor)
        #expect(try await found("wordbeta").isEmpty, "a retracted article is not found")
        try await step(.archive, by: editor)
        #expect(try await found("wordbeta").isEmpty)
        #expect(try await archive.searchPublished("wordbeta OR wordalpha", limit: 10, offset: 0).isEmpty, "the archived article's text is out of the public index")
        if let sqlite = archive as? SQLiteArchive {
            let rows = try await sqlite.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM published_fts WHERE published_fts MATCH 'wordbeta OR wordalpha'") }
            #expect(rows == 0, "the archived article's text is out of the public index")
        }
        try await check()
    }

    /// Public search goes by what the page shows: words of link text, code and tables are
    /// found; link addresses and Markdown syntax are not; raw HTML is found as the text it shows.
    @Test(arguments: Backend.all) func publicSearchMatchesTheWordsReadersSee(backend: Backend) async throws {
        let archive = try await prepared(backend)
        let body = "Exports [fell sharply](https://belstat.gov.by/hiddenpathword) in `codeword`.\n\n| Region | Share |\n|---|---|\n| Tablecellword | 4 |\n\n<b>rawtagword</b>\n"
        let (id, _) = try await create("Potash report", body: body, in: archive)
        for command in [WorkflowCommand.submit] {
            let article = try #require(try await archive.article(id))
            _ = try await archive.apply([Change(articleID: id, baseRevision: article.headRevision, command: command, author: analyst.name, replicaID: replica, createdAt: t0)], by: analyst, at: t0)
        }
        let head = try #require(try await archive.article(id)).headRevision
        for command in [WorkflowCommand.approve(revision: head), .publish(at: nil)] {
            let result = try await archive.apply([Change(articleID: id, baseRevision: head, command: command, author: editor.name, replicaID: replica, createdAt: t0)], by: editor, at: t0)[0]
            #expect(result.status != .rejected, "\(result.error?.message ?? "")")
        }
        func found(_ word: String) async throws -> Bool { try await archive.searchPublished(word, limit: 10, offset: 0).map(\.id) == [id] }
        #expect(try await found("sharply"))
        #expect(try await found("codeword"))
        #expect(try await found("tablecellword"))
        #expect(try await found("rawtagword"))
        #expect(try await !found("hiddenpathword"), "a link address is not on the page")
        #expect(try await !found("belstat"), "a link address is not on the page")
        if let sqlite = archive as? SQLiteArchive {
            try await sqlite.writer.write { db in try db.execute(sql: "INSERT INTO published_fts(published_fts, rank) VALUES ('integrity-check', 1)") }
        }
    }

    /// An archive from before the indexes left their triggers: its entries were made by the
    /// triggers, and after the upgrade the store must find and replace exactly those.
    @Test func anArchiveIndexedByTriggersUpgradesWithOneEntryPerArticle() async throws {
        let queue = try DatabaseQueue(configuration: SQLiteArchive.configuration())
        try ArchiveSchema.migrator.migrate(queue, upTo: "v4: pull indexes")
        let id = ArticleID.generate(at: t0)
        let content = ArticleContent(title: "Old wordgamma", lead: "Lead.", body: "Body wordgamma.\n", category: "politics", slug: "old")
        let revision = Revision(articleID: id, parents: [], content: content, author: "anna", createdAt: t0)
        var article = Article(id: id, content: content, authors: ["anna"], state: .published, headRevision: revision.id,
                              publishedRevision: revision.id, createdAt: t0, updatedAt: t0)
        try await queue.write { [article] db in
            try ContentRows.insert(db, revision)
            // As the old store wrote them; the triggers of that schema index both rows.
            try db.execute(sql: """
                INSERT INTO articles (id, short_id, slug, title, lead, body, category, tags, image, image_credit, authors, state,
                    head_revision, published_revision, created_at, updated_at, deleted, seq)
                VALUES (?, ?, 'old', ?, ?, ?, 'politics', '[]', '', '', '["anna"]', 'published', ?, ?, 0, 0, 0, 1)
                """, arguments: [id.description, id.short, content.title, content.lead, content.body, revision.id.hex, revision.id.hex])
            try db.execute(sql: """
                INSERT INTO published_articles (article_num, id, slug, revision, title, lead, body, category, tags, image,
                    image_credit, authors, related, published_at, updated_at, retracted)
                VALUES (?, ?, 'old', ?, ?, ?, ?, 'politics', '[]', '', '', '["anna"]', '[]', 0, 0, 0)
                """, arguments: [db.lastInsertedRowID, id.description, revision.id.hex, content.title, content.lead, content.body])
        }
        let upgraded = try SQLiteArchive(writer: queue)
        #expect(try await upgraded.search("wordgamma", limit: 10, viewer: editor).map(\.id) == [id])
        #expect(try await upgraded.searchPublished("wordgamma", limit: 10, offset: 0).map(\.id) == [id])

        article.content.body = "Body wordbeta.\n"
        article.content.title = "New wordbeta"
        try await upgraded.writer.write { [article] db in _ = try ContentRows.save(db, article, seq: 2) }
        #expect(try await upgraded.search("wordgamma", limit: 10, viewer: editor).isEmpty, "the trigger-made entry was replaced")
        #expect(try await upgraded.search("wordbeta", limit: 10, viewer: editor).map(\.id) == [id])
        try await upgraded.writer.write { db in
            // Against the rows too (rank 1): here every article is live, so every row is indexed.
            try db.execute(sql: "INSERT INTO articles_fts(articles_fts, rank) VALUES ('integrity-check', 1)")
            try db.execute(sql: "INSERT INTO published_fts(published_fts, rank) VALUES ('integrity-check', 1)")
        }
    }

    /// Sessions from before session kinds were the API's: after the upgrade they still are, so
    /// the CLI stays logged in, and a desk cookie of then signs in again.
    @Test func sessionsFromBeforeKindsAreTheAPIs() async throws {
        let queue = try DatabaseQueue(configuration: SQLiteArchive.configuration())
        try ArchiveSchema.migrator.migrate(queue, upTo: "v8: public search over the words readers see")
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO users (name, role, password_hash, created_at) VALUES ('anna', 'analyst', 'x', 0)")
            try db.execute(sql: "INSERT INTO sessions (token_hash, user_name, created_at, expires_at) VALUES ('old', 'anna', 0, 1)")
        }
        let upgraded = try SQLiteArchive(writer: queue)
        #expect(try await upgraded.session(tokenHash: "old")?.0.kind == .api)
        try await upgraded.createSession(StoredSession(tokenHash: "new", userName: "anna", createdAt: t0, expiresAt: t0, kind: .desk))
        #expect(try await upgraded.session(tokenHash: "new")?.0.kind == .desk)
    }

    @Test func noTriggerWritesTheArticleIndexAnyMore() async throws {
        let triggers = try await archive.writer.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ('articles', 'published_articles')")
        }
        #expect(triggers.isEmpty, "\(triggers)")
    }

    @Test(arguments: Backend.all) func eventSequenceStrictlyIncreases(backend: Backend) async throws {
        let archive = try await prepared(backend)
        var seen: [Int64] = []
        for n in 0..<5 {
            _ = try await create("Article \(n)", body: "Text \(n).\n", in: archive)
            seen.append(try await archive.latestSequence())
        }
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0 < $1 })
        let seqs = try await archive.articles(ArticleQuery(limit: 10)).articles.map(\.id)
        #expect(seqs.count == 5, "each article its own latest event")
    }

    @Test func aFailedTransactionLeavesNothingBehind() async throws {
        struct Boom: Error {}
        let id = ArticleID.generate(at: t0)
        let revision = Revision(articleID: id, parents: [], content: ArticleContent(title: "Half", slug: "half"), author: "anna", createdAt: t0)
        let article = Article(id: id, content: revision.content, authors: ["anna"], headRevision: revision.id, createdAt: t0, updatedAt: t0)
        let before = try await archive.latestSequence()
        await #expect(throws: Boom.self) {
            try await archive.writer.write { db in
                _ = try SQLiteArchive.event(db, kind: "create", article: id, revision: revision.id, actor: "anna", at: t0)
                try ContentRows.insert(db, revision)
                try ContentRows.save(db, article, seq: 1)
                throw Boom()
            }
        }
        #expect(try await archive.article(id) == nil)
        #expect(try await archive.revision(revision.id) == nil)
        #expect(try await archive.latestSequence() == before)
        #expect(try await archive.search("half", limit: 5, viewer: editor).isEmpty)
    }

    @Test(arguments: Backend.all) func aRetriedPushWritesNothingNew(backend: Backend) async throws {
        let archive = try await prepared(backend)
        let id = ArticleID.generate(at: t0)
        let change = Change(articleID: id, baseRevision: nil, set: .init(title: "Once"), author: "anna", replicaID: replica, createdAt: t0)
        let first = try await archive.apply([change], by: analyst, at: t0)
        let seq = try await archive.latestSequence()
        let again = try await archive.apply([change, change], by: analyst, at: t0.addingTimeInterval(5))
        #expect(again == [first[0], first[0]])
        #expect(try await archive.latestSequence() == seq)
    }
}
