import Foundation
import GalleyCore
import GalleyStore
import GalleyTestSupport
import Synchronization
import Testing

@testable import GalleyPostgres

/// Three archives on one PostgreSQL database, as three servers have: each its own connections.
@Suite(.enabled(if: TestPostgres.available, "\(TestPostgres.missing)"))
struct SeveralServersTests {
    /// Three archives on `url`, as three servers open it.
    static func servers(_ url: String) async throws -> [PostgresArchive] {
        var servers: [PostgresArchive] = []
        for _ in 0..<3 { servers.append(try await Backend.postgres(url)) }
        return servers
    }

    static let seed = UInt64(ProcessInfo.processInfo.environment["GALLEY_SERVERS_SEED"] ?? "") ?? 20261202

    /// Writers push through three archives at once with random pauses, while one holds its
    /// transaction open and the rest wait to commit after it: every acknowledged change is in the
    /// archive, and each made exactly one revision (none lost, none doubled).
    @Test func writersOnThreeServersLoseAndDoubleNothing() async throws {
        let url = try TestPostgres.newDatabase()
        let servers = try await Self.servers(url)
        let t0 = Timestamp.canonical(Date())
        let people = (0..<6).map { ChangeApplier.Actor(name: "writer\($0)", role: .editor) }
        for person in people {
            try await servers[0].createUser(StoredUser(name: person.name, role: .editor, passwordHash: "x", createdAt: t0), by: "test")
        }
        try await servers[1].addCategory(Category(slug: "politics", name: "Politics"), by: "writer0", at: t0)

        let acknowledged = Locked<[ChangeID: PushResult]>([:])
        let seed = Self.seed

        // The adversary: a transaction on server 0 that holds the writer's lock, takes an event
        // number and sleeps before it commits, while others wait to commit after it.
        let adversary = Task {
            try await Task.sleep(for: .milliseconds(150))
            try await servers[0].write { db in
                try PostgresArchive.takeWriterLock(db)
                _ = try PostgresArchive.event(db, kind: "note", article: nil, revision: nil, actor: "writer0", at: t0)
                usleep(800_000)
            }
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for (w, person) in people.enumerated() {
                group.addTask {
                    var rng = SplitMix64(seed: seed &+ UInt64(w))
                    var mine: [(ArticleID, RevisionID, String)] = []
                    for step in 0..<25 {
                        let server = servers[Int(rng.next() % 3)]
                        var change: Change
                        if mine.isEmpty || rng.next() % 3 == 0 {
                            change = Change(
                                articleID: ArticleID.generate(at: t0, using: &rng), baseRevision: nil,
                                set: .init(title: "\(person.name) \(step)", body: "Text \(step).\n", category: "politics"),
                                author: person.name, replicaID: UUID(), createdAt: t0)
                        } else {
                            let (id, head, body) = mine.remove(at: Int(rng.next() % UInt64(mine.count)))
                            change = Change(articleID: id, baseRevision: head, author: person.name, replicaID: UUID(), createdAt: t0)
                            change.set(.body, to: "Edited \(step).\n", from: ArticleContent(body: body))
                        }
                        let result = try await server.apply([change], by: person, at: t0)[0]
                        #expect(result.status != .rejected, "seed \(seed): \(result.error?.message ?? "")")
                        acknowledged.withLock { $0[change.id] = result }
                        if let head = result.headRevision { mine.append((change.articleID, head, change.set.body ?? "")) }
                        try await Task.sleep(for: .milliseconds(Int(rng.next() % 15)))
                    }
                }
            }
            try await group.waitForAll()
        }
        try await adversary.value

        let finalHeads = try await Dictionary(uniqueKeysWithValues: servers[2].articles(ArticleQuery(limit: 1000)).articles.map { ($0.id, $0.headRevision) })
        let applied = try await servers[1].appliedChangeIDs()
        let acked = acknowledged.withLock { $0 }
        #expect(Set(acked.keys).isSubset(of: applied), "seed \(seed): an acknowledged change is not in the archive")
        let revisions = try await withThrowingTaskGroup(of: Int.self) { group in
            for id in finalHeads.keys { group.addTask { try await servers[0].revisions(of: id).count } }
            return try await group.reduce(0, +)
        }
        #expect(revisions == acked.values.filter { $0.headRevision != nil }.count, "seed \(seed): a change stored twice or not at all")
    }

    /// A reader that pulls while writers commit through other servers (one of them holding its
    /// transaction open) ends with every article at its final head: no cursor skipped.
    @Test func readersPullingDuringWritesMissNothing() async throws {
        let url = try TestPostgres.newDatabase()
        let servers = try await Self.servers(url)
        let t0 = Timestamp.canonical(Date())
        let editor = ChangeApplier.Actor(name: "erik", role: .editor)
        try await servers[0].createUser(StoredUser(name: "erik", role: .editor, passwordHash: "x", createdAt: t0), by: "test")
        let done = Locked(false)
        let seed = Self.seed

        let writers = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<3 {
                    group.addTask {
                        var rng = SplitMix64(seed: seed &+ 100 &+ UInt64(w))
                        for n in 0..<40 {
                            let change = Change(
                                articleID: ArticleID.generate(at: t0, using: &rng), baseRevision: nil,
                                set: .init(title: "W\(w) \(n)", body: "Text.\n"), author: "erik", replicaID: UUID(), createdAt: t0)
                            _ = try await servers[w].apply([change], by: editor, at: t0)
                            if n == 10 && w == 0 {
                                // Held open: others queue behind it; readers must not pass it.
                                let slow = Change(
                                    articleID: ArticleID.generate(at: t0, using: &rng), baseRevision: nil,
                                    set: .init(title: "Slow", body: "Committed last, numbered early.\n"), author: "erik", replicaID: UUID(), createdAt: t0)
                                _ = try await servers[0].write { db in
                                    try PostgresArchive.takeWriterLock(db)
                                    let result = try ChangeLog.apply(slow, by: editor, at: t0, in: PGTransaction(db: db))
                                    usleep(500_000)
                                    return result
                                }
                            }
                            try await Task.sleep(for: .milliseconds(Int(rng.next() % 10)))
                        }
                    }
                }
                try await group.waitForAll()
            }
            done.withLock { $0 = true }
        }

        var seen: [ArticleID: Int64] = [:]
        var cursor: Int64 = 0
        var polls = 0
        while true {
            let finished = done.withLock { $0 }
            let page = try await servers[(polls % 2) + 1].pull(since: cursor, limit: 7, maxBytes: 1 << 20, viewer: editor)
            for pulled in page.articles { seen[pulled.article.id] = pulled.seq }
            #expect(page.nextCursor >= cursor)
            cursor = page.nextCursor
            polls += 1
            if finished && !page.hasMore { break }
        }
        try await writers.value
        let all = try await servers[0].articles(ArticleQuery(limit: 1000)).articles
        #expect(all.count == 121)
        #expect(Set(seen.keys) == Set(all.map(\.id)), "seed \(seed): a reader's cursor skipped \(all.count - seen.count) articles in \(polls) polls")
    }

    /// A writer holding the lock long is what stalls every pull behind it: every server sees it
    /// (pg_locks), with the writers queued behind it, and sees it end.
    @Test func aWriterHeldOpenShowsOnEveryServer() async throws {
        let servers = try await Self.servers(try TestPostgres.newDatabase())
        #expect(try await servers[1].writerQueue() == WriterQueue(heldSeconds: 0, waiting: 0))
        // The holder keeps the lock until the test has seen the queue: no step waits on a timer,
        // so a loaded machine only makes it slower.
        let holding = Locked(false)
        let release = Locked(false)
        let holder = Task {
            try await servers[0].write { db in
                try PostgresArchive.takeWriterLock(db)
                holding.withLock { $0 = true }
                while !release.withLock({ $0 }) { usleep(10_000) }
            }
        }
        let deadline = Date().addingTimeInterval(120)
        while !holding.withLock({ $0 }) && Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let waiter = Task { try await servers[2].write { db in try PostgresArchive.takeWriterLock(db) } }
        var queue = WriterQueue(heldSeconds: 0, waiting: 0)
        while Date() < deadline {
            queue = try #require(try await servers[1].writerQueue())
            if queue.waiting == 1 && queue.heldSeconds > 0 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        release.withLock { $0 = true }
        #expect(queue.waiting == 1 && queue.heldSeconds > 0, "\(queue)")
        try await holder.value
        try await waiter.value
        #expect(try await servers[1].writerQueue() == WriterQueue(heldSeconds: 0, waiting: 0))
    }

    /// A database that will not take the archive says why in PostgreSQL's words, and one that
    /// cannot hold Cyrillic is refused before anything is created in it.
    @Test func aDatabaseThatCannotHoldTheArchiveSaysWhyAndIsLeftAsItWas() async throws {
        var server = try TestPostgres.server()
        server.path = "/no_such_database"
        await #expect { try await PostgresArchive.open(server.string!) } throws: { error in
            "\(error)".contains("database \"no_such_database\" does not exist")
        }
        for (name, options) in [("latin", "ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'"), ("bytes", "ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'")] {
            let database = "galley_\(name)_\(UInt32.random(in: 0...UInt32.max))"
            try TestPostgres.psql(server, "CREATE DATABASE \(database) TEMPLATE template0 \(options)")
            server.path = "/\(database)"
            await #expect { try await PostgresArchive.open(server.string!) } throws: { error in
                "\(error)".contains("UTF-8") && "\(error)".contains("CREATE DATABASE")
            }
            // Nothing created: once its locale is fixed the database takes the archive as new.
            let tables = try TestPostgres.psqlValue(server, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'")
            let extensions = try TestPostgres.psqlValue(server, "SELECT COUNT(*) FROM pg_extension WHERE extname = 'unaccent'")
            #expect(tables == "0" && extensions == "0", "\(database) has \(tables) tables and \(extensions) unaccent after the refusal")
        }
    }

    /// Search entries are written after the change commits, by whichever server gets to them:
    /// a search on any server finds an article by the words it has just been given and not by
    /// those it had, before its entry is written (held back here by a row lock) and after, and
    /// every entry is written in the end, once, to the text as it stands.
    @Test func searchFindsTheTextAsCommittedWhileItsEntryWaits() async throws {
        let (servers, t0, editor) = try await Self.editorsArchive(servers: 3)
        var rng = SplitMix64(seed: Self.seed)
        var articles: [(id: ArticleID, head: RevisionID, word: String)] = []
        for n in 0..<40 {
            let word = "слово\(n)x"
            let id = ArticleID.generate(at: t0, using: &rng)
            let change = Change(
                articleID: id, baseRevision: nil, set: .init(title: "Article \(n)", body: "Текст з \(word).\n", category: "politics"),
                author: "erik", replicaID: UUID(), createdAt: t0)
            let result = try await servers[n % 3].apply([change], by: editor, at: t0)[0]
            articles.append((id, try #require(result.headRevision), word))
        }
        // A connection of the test's own marks the first article's entry as to write, as a writer
        // does, and holds its row, as a writer would, so the entry cannot be written until it lets
        // go; meanwhile another article's text changes, on another server. A round of entry
        // writing still under way from the creates may write the entry between the two
        // statements: then it is held again.
        // The row is held until the test lets go, not for a time: a slow machine only makes
        // the test slower.
        let held = articles[0].id.description
        var holder = try await RowHolder(of: held, through: servers[2])
        var attempts = 1
        while try await !Self.entryPending(of: held, on: servers[0]) {
            try await holder.release()
            guard attempts < 5 else {
                Issue.record("the held article's entry was written each time before its row was held")
                return
            }
            attempts += 1
            holder = try await RowHolder(of: held, through: servers[2])
        }
        var edit = Change(articleID: articles[1].id, baseRevision: articles[1].head, author: "erik", replicaID: UUID(), createdAt: t0)
        edit.set(.body, to: "Новы текст: замена.\n", from: ArticleContent(body: "Текст з \(articles[1].word).\n"))
        #expect(try await servers[1].apply([edit], by: editor, at: t0)[0].status == .applied, "seed \(Self.seed)")
        for server in servers {
            #expect(try await server.search("замена", limit: 10, viewer: editor).map(\.id) == [articles[1].id], "seed \(Self.seed)")
            #expect(try await server.search(articles[1].word, limit: 10, viewer: editor).isEmpty, "seed \(Self.seed)")
            #expect(try await server.search(articles[0].word, limit: 10, viewer: editor).map(\.id) == [articles[0].id], "seed \(Self.seed)")
        }
        let waiting = try await Self.entryPending(of: held, on: servers[0])
        #expect(waiting, "the held row's entry was written through its lock")
        try await holder.release()
        _ = try await Self.entriesLeftAfterWriting(servers[0])
        let (left, stale) = try await servers[0].run { (db: PGConnection) -> (Int64, Int64) in
            (try db.value(Int64.self, "SELECT COUNT(*) FROM articles WHERE search IS NULL") ?? -1,
             try db.value(Int64.self, "SELECT COUNT(*) FROM articles WHERE search <> galley_search(title, lead, tags, body)") ?? -1)
        }
        #expect(left == 0 && stale == 0, "\(left) entries left to write, \(stale) not of the text as it stands")
        for (n, article) in articles.enumerated() where n != 1 {
            #expect(try await servers[n % 3].search(article.word, limit: 10, viewer: editor).map(\.id) == [article.id], "seed \(Self.seed)")
        }
        for server in servers { server.close() }
    }

    /// Pushes that wait for the writer's lock are applied together; one the database refuses
    /// (here a trigger of the test's own refuses one title) fails alone: the batch is applied
    /// again change by change, and every other push is applied once, as it would have been alone.
    @Test func aChangeTheDatabaseRefusesFailsItsPushAlone() async throws {
        let (servers, t0, editor) = try await Self.editorsArchive(servers: 1)
        let archive = servers[0]
        try await archive.run { (db: PGConnection) -> Void in
            try db.execute(
                """
                CREATE FUNCTION refuse_boom() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.title = 'boom' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$
                """)
            try db.execute("CREATE TRIGGER refuse_boom BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION refuse_boom()")
        }
        var rng = SplitMix64(seed: Self.seed)
        // Two edits of one article in the same batch, and creates around the refused one.
        let shared = ArticleID.generate(at: t0, using: &rng)
        let first = try await archive.apply(
            [Change(articleID: shared, baseRevision: nil, set: .init(title: "Shared", body: "One.\n\nTwo.\n\nThree.\n", category: "politics"),
                    author: "erik", replicaID: UUID(), createdAt: t0)], by: editor, at: t0)[0]
        var pushes: [[Change]] = []
        for n in 0..<12 {
            let title = n == 6 ? "boom" : "Article \(n)"
            var push = [Change(articleID: ArticleID.generate(at: t0, using: &rng), baseRevision: nil,
                               set: .init(title: title, body: "Text \(n).\n", category: "politics"), author: "erik", replicaID: UUID(), createdAt: t0)]
            if n == 6 {
                // A good change before the refused one in the same push: stored neither.
                push.insert(Change(articleID: ArticleID.generate(at: t0, using: &rng), baseRevision: nil,
                                   set: .init(title: "Beside boom", body: "Gone with it.\n", category: "politics"), author: "erik", replicaID: UUID(), createdAt: t0), at: 0)
            }
            pushes.append(push)
            if n % 5 == 0 {
                var edit = Change(articleID: shared, baseRevision: first.headRevision, author: "erik", replicaID: UUID(), createdAt: t0)
                // Each a different paragraph: they merge.
                var paragraphs = ["One.", "Two.", "Three."]
                paragraphs[n / 5] += " Edit \(n)."
                edit.set(.body, to: paragraphs.joined(separator: "\n\n") + "\n",
                         from: ArticleContent(title: "Shared", body: "One.\n\nTwo.\n\nThree.\n", category: "politics"))
                pushes.append([edit])
            }
        }
        // The writer's lock held while the pushes arrive, so that they wait together.
        let holder = Task {
            try await archive.write { (db: PGConnection) -> Void in
                try PostgresArchive.takeWriterLock(db)
                usleep(700_000)
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        let outcomes = await withTaskGroup(of: (Int, Result<[PushResult], any Error>).self) { group in
            for (i, push) in pushes.enumerated() {
                group.addTask {
                    do { return (i, .success(try await archive.apply(push, by: editor, at: t0))) } catch { return (i, .failure(error)) }
                }
            }
            var all: [Int: Result<[PushResult], any Error>] = [:]
            for await (i, outcome) in group { all[i] = outcome }
            return all
        }
        try await holder.value
        for (i, push) in pushes.enumerated() {
            let boom = push.contains { $0.set.title == "boom" }
            switch outcomes[i]! {
            case .success(let results):
                #expect(!boom, "the refused change was answered \(results)")
                #expect(results.count == 1 && results[0].status != .rejected, "push \(i): \(results)")
            case .failure(let error):
                #expect(boom, "push \(i) failed with the refused one: \(error)")
            }
        }
        let (articles, revisions, sharedBody) = try await archive.run { (db: PGConnection) -> (Int64, Int64, String) in
            (try db.value(Int64.self, "SELECT COUNT(*) FROM articles") ?? -1,
             try db.value(Int64.self, "SELECT COUNT(*) FROM revisions") ?? -1,
             try db.value(String.self, "SELECT body FROM articles WHERE id = ?", [shared.description]) ?? "")
        }
        // 11 creates and the shared article; its first revision and 3 edits, each a revision.
        #expect(articles == 12, "\(articles) articles")
        #expect(revisions == 12 + 3, "\(revisions) revisions")
        for n in [0, 5, 10] { #expect(sharedBody.contains("Edit \(n)."), "the shared article lost edit \(n): \(sharedBody)") }
        archive.close()
    }

    /// A body near its 1 MiB limit, of distinct words (a tsvector of it would pass PostgreSQL's
    /// 1 MiB), and a published word longer than a btree entry: both are stored, searched and
    /// published like any other; no search fails, no entry is left unwritten.
    @Test func hugeBodiesAndHugeWordsAreSearchedAndPublished() async throws {
        let (servers, t0, editor) = try await Self.editorsArchive(servers: 1)
        let archive = servers[0]
        var rng = SplitMix64(seed: Self.seed)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        var words: [String] = []
        var size = 0
        while size < 1_000_000 {
            let word = String((0..<6).map { _ in letters[Int(rng.next() % 26)] })
            words.append(word)
            size += 7
        }
        let huge = ArticleID.generate(at: t0, using: &rng)
        let bodyResult = try await archive.apply(
            [Change(articleID: huge, baseRevision: nil, set: .init(title: "Huge", body: "hugefirst " + words.joined(separator: " ") + "\n", category: "politics"),
                    author: "erik", replicaID: UUID(), createdAt: t0)], by: editor, at: t0)[0]
        #expect(bodyResult.status == .applied, "\(bodyResult)")
        #expect(try await archive.search("hugefirst", limit: 5, viewer: editor).map(\.id) == [huge], "seed \(Self.seed)")
        let pending = try await Self.entriesLeftAfterWriting(archive)
        #expect(pending == 0, "\(pending) search entries left unwritten")
        #expect(try await archive.search("hugefirst", limit: 5, viewer: editor).map(\.id) == [huge], "seed \(Self.seed)")

        let long = ArticleID.generate(at: t0, using: &rng)
        let longWord = String(repeating: "x", count: 5_000)
        var head: RevisionID = try #require(try await archive.apply(
            [Change(articleID: long, baseRevision: nil, set: .init(title: "Long word", body: "longwordarticle \(longWord)\n", category: "politics"),
                    author: "erik", replicaID: UUID(), createdAt: t0)], by: editor, at: t0)[0].headRevision)
        for n in 0..<3 {
            var step = Change(articleID: long, baseRevision: head, author: "erik", replicaID: UUID(), createdAt: t0)
            step.command = n == 0 ? .submit : n == 1 ? .approve(revision: head) : .publish(at: nil)
            let result = try await archive.apply([step], by: editor, at: t0)[0]
            #expect(result.status != .rejected, "step \(n): \(result)")
            head = result.headRevision ?? head
        }
        #expect(try await archive.searchPublished("longwordarticle", limit: 5, offset: 0).map(\.id) == [long])
        archive.close()
    }

    /// A new database opened by `count` archives, as that many servers open it, with the editor
    /// erik and the category politics.
    static func editorsArchive(servers count: Int) async throws -> (servers: [PostgresArchive], t0: Date, editor: ChangeApplier.Actor) {
        let url = try TestPostgres.newDatabase()
        var servers: [PostgresArchive] = []
        for _ in 0..<count { servers.append(try await Backend.postgres(url)) }
        let t0 = Timestamp.canonical(Date())
        try await servers[0].createUser(StoredUser(name: "erik", role: .editor, passwordHash: "x", createdAt: t0), by: "test")
        try await servers[0].addCategory(Category(slug: "politics", name: "Politics"), by: "erik", at: t0)
        return (servers, t0, ChangeApplier.Actor(name: "erik", role: .editor))
    }

    /// Writes what search entries are left, until none is or 10 seconds have passed; returns
    /// how many are left. A round the archive started itself may hold a row (SKIP LOCKED skips
    /// it here) until it commits.
    static func entriesLeftAfterWriting(_ archive: PostgresArchive) async throws -> Int64 {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            try await archive.writeSearchEntries()
            let left = try await archive.run { (db: PGConnection) -> Int64 in
                try db.value(Int64.self, "SELECT COUNT(*) FROM articles WHERE search IS NULL") ?? -1
            }
            if left == 0 || ContinuousClock.now > deadline { return left }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Marks an article's search entry as to write, as a writer does, then holds its row, as a
    /// writer would, until released.
    struct RowHolder {
        let task: Task<Void, any Error>
        let letGo = Locked(false)

        init(of id: String, through server: PostgresArchive) async throws {
            let holding = Locked(false)
            let letGo = self.letGo
            task = Task {
                // Should holding fail, the wait below ends too, and release() throws its error.
                defer { holding.withLock { $0 = true } }
                try await server.run { (db: PGConnection) -> Void in
                    try db.execute("UPDATE articles SET search = NULL WHERE id = ?", [id])
                    try db.transaction { () -> Void in
                        try db.execute("SELECT num FROM articles WHERE id = ? FOR UPDATE", [id])
                        holding.withLock { $0 = true }
                        let deadline = Date().addingTimeInterval(120)
                        while !letGo.withLock({ $0 }) && Date() < deadline { usleep(10_000) }
                    }
                }
            }
            while !holding.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        }

        func release() async throws {
            letGo.withLock { $0 = true }
            try await task.value
        }
    }

    static func entryPending(of id: String, on server: PostgresArchive) async throws -> Bool {
        try await server.run { (db: PGConnection) -> Bool in
            try db.value(Bool.self, "SELECT search IS NULL FROM articles WHERE id = ?", [id]) ?? false
        }
    }
}
