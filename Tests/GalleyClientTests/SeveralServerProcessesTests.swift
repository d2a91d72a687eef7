import AsyncHTTPClient
import Foundation
import GalleyClient
import GalleyCore
import GalleyStore
import GalleyTestSupport
import NIOCore
import Synchronization
import Testing

@testable import GalleyPostgres

/// Three `galley-server` processes on one PostgreSQL database, driven over HTTP as a load
/// balancer would: writers push through any of them, readers pull from others, a server is
/// killed, the database restarts. The checker reads the archive itself at the end.
@Suite(.serialized, .enabled(if: TestPostgres.available, "\(TestPostgres.missing)"))
struct SeveralServerProcessesTests {
    static let seed = UInt64(ProcessInfo.processInfo.environment["GALLEY_SERVERS_SEED"] ?? "") ?? 20261203
    static let password = "several-servers-1"

    /// Gives up connecting after a second: a killed server refuses at once, and the client then
    /// retries elsewhere, as a load balancer would (the CLI's own client waits longer, for trains).
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(1), read: .seconds(60))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Servers started at once on `url`, as a deployment's are: each runs the migrations and
    /// makes the first admin if none exists, and all must come up on one schema with one admin.
    static func start(_ count: Int, on url: String) async throws -> [ServerProcess] {
        try await withThrowingTaskGroup(of: (Int, ServerProcess).self) { group in
            for n in 0..<count {
                group.addTask {
                    (n, try ServerProcess.start(environment: ["GALLEY_DATABASE_URL": url, "GALLEY_ADMIN_PASSWORD": password]))
                }
            }
            var servers: [(Int, ServerProcess)] = []
            for try await server in group { servers.append(server) }
            return servers.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// Servers started together on one database, with an admin session made on one and used on
    /// all (sessions live in the database).
    struct Deployment {
        let servers: [ServerProcess]
        let token: String
        var ports: [Int] { servers.map(\.port) }

        static func start(_ count: Int, on url: String) async throws -> Deployment {
            let servers = try await SeveralServerProcessesTests.start(count, on: url)
            let session = try await ServerAPI(baseURL: "http://127.0.0.1:\(servers[0].port)", token: nil).login(name: "admin", password: password)
            return Deployment(servers: servers, token: session.token)
        }

        func stop() { for server in servers { server.stop() } }
    }

    /// What the writers were told.
    struct Ledger: Sendable {
        var acknowledged: [ChangeID: PushResult] = [:]
        var creates: Set<ArticleID> = []
        /// Each article's head as the last acknowledged change left it.
        var heads: [ArticleID: RevisionID] = [:]
        /// Failures by what the client saw: an HTTP status, or "unreachable".
        var failures: [String: Int] = [:]
        /// Servers found unreachable.
        var down: Set<Int> = []
    }

    /// Pushes `change` through the servers, starting at `first` and moving on to the next on any
    /// failure, until one acknowledges it (as a client behind a load balancer retries); a server
    /// that cannot be reached is left out from then on, as a load balancer marks it down.
    static func push(_ change: Change, servers: [Int], first: Int, token: String, ledger: Locked<Ledger>, giveUp: Date) async throws -> PushResult {
        var n = first
        while Date() < giveUp {
            let port = servers[n % servers.count]
            if ledger.withLock({ $0.down.contains(port) }) && ledger.withLock({ $0.down.count }) < servers.count {
                n += 1
                continue
            }
            let api = ServerAPI(baseURL: "http://127.0.0.1:\(port)", token: token, client: http)
            do {
                let result = try #require(try await api.push([change]).first)
                ledger.withLock { ledger in
                    ledger.acknowledged[change.id] = result
                    if let head = result.headRevision { ledger.heads[change.articleID] = head }
                }
                return result
            } catch let error as GalleyError {
                ledger.withLock { $0.failures["\(error.code.status)", default: 0] += 1 }
            } catch {
                ledger.withLock {
                    $0.failures["unreachable", default: 0] += 1
                    $0.down.insert(port)
                }
            }
            n += 1
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestFailure("no server acknowledged \(change.id) in time; failures: \(ledger.withLock { $0.failures })")
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// One writer: new articles and edits of its own, through a random server each time.
    static func write(
        writer w: Int, steps: Int, ports: [Int], token: String, ledger: Locked<Ledger>, pause: ClosedRange<Int> = 0...15
    ) async throws {
        var rng = SplitMix64(seed: seed &+ UInt64(w))
        var mine: [ArticleID] = []
        var bodies: [ArticleID: String] = [:]
        let giveUp = Date().addingTimeInterval(120)
        for step in 0..<steps {
            let now = Timestamp.canonical(Date())
            let change: Change
            if let id = mine.randomElement(using: &rng), rng.next() % 3 == 0, let head = ledger.withLock({ $0.heads[id] }) {
                var edit = Change(
                    articleID: id, baseRevision: head, set: .init(body: "Writer \(w) rewrote this at step \(step).\n"),
                    author: "admin", replicaID: UUID(), createdAt: now)
                edit.previous.body = bodies[id]
                change = edit
            } else {
                change = Change(
                    articleID: ArticleID.generate(at: now, using: &rng), baseRevision: nil,
                    set: .init(title: "Writer \(w), step \(step)", body: "Writer \(w) wrote this at step \(step).\n"),
                    author: "admin", replicaID: UUID(), createdAt: now)
                mine.append(change.articleID)
                ledger.withLock { _ = $0.creates.insert(change.articleID) }
            }
            bodies[change.articleID] = change.set.body
            let result = try await push(change, servers: ports, first: Int(rng.next() % UInt64(ports.count)), token: token, ledger: ledger, giveUp: giveUp)
            #expect(result.status == .applied, "writer \(w) step \(step): \(result)")
            try await Task.sleep(for: .milliseconds(Int64(pause.lowerBound) + Int64(rng.next() % UInt64(pause.count))))
        }
    }

    /// The archive as the readers should end up seeing it, read from the database itself.
    static func truth(_ archive: PostgresArchive) async throws -> [ArticleID: RevisionID] {
        let articles = try await archive.articles(ArticleQuery(limit: 100_000)).articles
        return Dictionary(uniqueKeysWithValues: articles.map { ($0.id, $0.headRevision) })
    }

    /// The checker's half for the writers: every acknowledged change is in the archive, once.
    static func checkWriters(_ ledger: Ledger, archive: PostgresArchive) async throws {
        let applied = try await archive.appliedChangeIDs()
        #expect(Set(ledger.acknowledged.keys).isSubset(of: applied), "every acknowledged change is in the archive")
        #expect(ledger.acknowledged.values.allSatisfy { $0.status == .applied }, "\(ledger.acknowledged.values.filter { $0.status != .applied })")
        let truth = try await truth(archive)
        #expect(Set(truth.keys) == ledger.creates, "one article per create: \(truth.count) for \(ledger.creates.count)")
        // Each article's head is what its last acknowledged change made: none lost, none applied twice.
        let wrong = ledger.heads.filter { truth[$0.key] != $0.value }
        #expect(wrong.isEmpty, "\(wrong.count) articles whose head is not the last acknowledged one")
        let revisions = try await archive.read { db in try db.value(Int64.self, "SELECT COUNT(*) FROM revisions") ?? 0 }
        #expect(revisions == Int64(ledger.acknowledged.count), "\(revisions) revisions for \(ledger.acknowledged.count) acknowledged changes")
    }

    @Test func writersAndReadersOnThreeServersLoseSkipAndDoubleNothing() async throws {
        let url = try TestPostgres.newDatabase()
        let deployment = try await Deployment.start(3, on: url)
        defer { deployment.stop() }
        let (ports, token) = (deployment.ports, deployment.token)
        let archive = try await PostgresArchive.open(url)
        defer { archive.close() }
        let ledger = Locked(Ledger())
        let writing = Locked(true)

        // Readers pull from every server in turn, cursor by cursor, with random pauses; each keeps
        // the newest head it saw of each article.
        let readers = (0..<3).map { r in
            Task {
                var rng = SplitMix64(seed: Self.seed &+ 100 &+ UInt64(r))
                var cursor: Int64 = 0
                var seen: [ArticleID: (seq: Int64, head: RevisionID)] = [:]
                var pulls = 0
                while true {
                    let done = !writing.withLock { $0 }
                    let api = ServerAPI(baseURL: "http://127.0.0.1:\(ports[(r + pulls) % 3])", token: token)
                    pulls += 1
                    let page = try await api.pull(since: cursor, limit: 20)
                    #expect(page.nextCursor >= cursor, "a cursor never goes back")
                    for pulled in page.articles where pulled.seq >= seen[pulled.article.id]?.seq ?? 0 {
                        seen[pulled.article.id] = (pulled.seq, pulled.article.headRevision)
                    }
                    cursor = page.nextCursor
                    if done && !page.hasMore { break }
                    if !page.hasMore { try await Task.sleep(for: .milliseconds(Int64(rng.next() % 30))) }
                }
                return seen.mapValues(\.head)
            }
        }

        // The adversary: a writer's transaction on a fourth connection that takes an event number
        // and stays open while the servers' writers wait to commit after it.
        let adversary = Task {
            try await Task.sleep(for: .milliseconds(300))
            try await archive.write { db in
                try PostgresArchive.takeWriterLock(db)
                _ = try PostgresArchive.event(db, kind: "note", article: nil, revision: nil, actor: "admin", at: Date())
                usleep(1_000_000)
            }
        }

        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<6 {
                group.addTask { try await Self.write(writer: w, steps: 30, ports: ports, token: token, ledger: ledger) }
            }
            try await group.waitForAll()
        }
        try await adversary.value
        writing.withLock { $0 = false }

        let ledgered = ledger.withLock { $0 }
        #expect(ledgered.failures.isEmpty, "no push failed with three servers up: \(ledgered.failures)")
        try await Self.checkWriters(ledgered, archive: archive)
        let truth = try await Self.truth(archive)
        for (r, reader) in readers.enumerated() {
            let seen = try await reader.value
            let missing = truth.filter { seen[$0.key] != $0.value }
            #expect(missing.isEmpty, "reader \(r) missed or holds stale heads of \(missing.count) of \(truth.count) articles: its cursor skipped")
        }
    }

    @Test func aServerKilledUnderLoadLosesAndDoublesNothing() async throws {
        let url = try TestPostgres.newDatabase()
        let deployment = try await Deployment.start(3, on: url)
        defer { deployment.stop() }
        let (servers, ports, token) = (deployment.servers, deployment.ports, deployment.token)
        let ledger = Locked(Ledger())

        let killer = Task {
            try await Task.sleep(for: .milliseconds(400))
            servers[1].kill()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<6 {
                group.addTask { try await Self.write(writer: w, steps: 30, ports: ports, token: token, ledger: ledger, pause: 5...25) }
            }
            try await group.waitForAll()
        }
        try await killer.value
        #expect(!servers[1].process.isRunning)
        #expect(servers[0].process.isRunning && servers[2].process.isRunning)

        let archive = try await PostgresArchive.open(url)
        defer { archive.close() }
        let ledgered = ledger.withLock { $0 }
        #expect(ledgered.failures["unreachable", default: 0] > 0, "the clients met the killed server: \(ledgered.failures)")
        try await Self.checkWriters(ledgered, archive: archive)
    }

    @Test func theDatabaseRestartedUnderLoadLosesNothingAndTheServersCarryOn() async throws {
        let cluster = try PostgresCluster.start()
        let url = try cluster.newDatabase()
        let deployment = try await Deployment.start(2, on: url)
        defer { deployment.stop() }
        let (servers, ports, token) = (deployment.servers, deployment.ports, deployment.token)
        let ledger = Locked(Ledger())
        let health = Locked<[Int]>([])

        let restart = Task {
            try await Task.sleep(for: .milliseconds(500))
            try cluster.stop()
            // While it is down the servers say so, and stay up.
            async let first = HTTP.request("GET", URL(string: "http://127.0.0.1:\(ports[0])/healthz")!)
            async let second = HTTP.request("GET", URL(string: "http://127.0.0.1:\(ports[1])/healthz")!)
            let statuses = try await [first.status, second.status]
            health.withLock { $0 = statuses }
            try await Task.sleep(for: .milliseconds(500))
            try cluster.startAgain()
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask { try await Self.write(writer: w, steps: 40, ports: ports, token: token, ledger: ledger, pause: 10...40) }
            }
            try await group.waitForAll()
        }
        try await restart.value

        #expect(health.withLock { $0 } == [503, 503], "health answers 503 while the database is down")
        #expect(servers.allSatisfy { $0.process.isRunning }, "no server exited")
        let ledgered = ledger.withLock { $0 }
        #expect(ledgered.failures["503", default: 0] > 0, "pushes heard 503 during the restart: \(ledgered.failures)")
        #expect(Set(ledgered.failures.keys).isSubset(of: ["503"]), "nothing but 503 while the database was away: \(ledgered.failures)")
        for port in ports {
            let reply = try await HTTP.request("GET", URL(string: "http://127.0.0.1:\(port)/healthz")!)
            #expect(reply.status == 200, "server on \(port) reconnected by itself: \(reply.text)")
        }
        let archive = try await PostgresArchive.open(url)
        defer { archive.close() }
        try await Self.checkWriters(ledgered, archive: archive)
        try cluster.stop()
    }

    /// An office outgrows its one server: the archive moves into PostgreSQL with
    /// `galley-server copy-to-postgres`, and a laptop that synced before goes on syncing, with
    /// the session it had, from the cursor it had (no pull from the start).
    @Test func aWorkspaceSyncsOnAcrossTheMoveToPostgreSQL() async throws {
        let server = try ServerProcess.start(environment: ["GALLEY_ADMIN_PASSWORD": Self.password])
        let desk = try GalleyApp.initialize(at: Scratch.path("move-desk"), server: "http://127.0.0.1:\(server.port)")
        _ = try await desk.login(user: "admin", password: Self.password)
        for n in 0..<20 { _ = try desk.newArticle(title: "Артыкул \(n)", body: "Тэкст \(n), з націскам мо́ва 🇧🇾.\n") }
        try await desk.syncOK()

        // While the server runs on the archive, the copy is refused and touches nothing.
        let database = try TestPostgres.newDatabase()
        let environment = ["GALLEY_DATA_DIR": server.dataDir.path]
        let running = try runGalley(["copy-to-postgres", database], in: server.dataDir, environment: environment, program: "galley-server")
        #expect(running.status == 1 && running.stderr.contains("Another galley-server (pid \(server.process.processIdentifier))"), "\(running)")
        #expect(!running.stderr.contains("USAGE"), "a refusal, not a usage error: \(running)")
        #expect(try TestPostgres.psqlValue(URLComponents(string: database)!, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'") == "0")
        #expect(server.terminate() == 0)

        let copy = try runGalley(["copy-to-postgres", database], in: server.dataDir, environment: environment, program: "galley-server")
        #expect(copy.status == 0 && copy.stdout.contains("Verified"), "\(copy)")
        let again = try runGalley(["copy-to-postgres", database], in: server.dataDir, environment: environment, program: "galley-server")
        #expect(again.status == 1 && again.stderr.contains("already holds an archive") && again.stderr.contains("Nothing was written"), "\(again)")

        // A server started on the old archive by mistake refuses, naming where it went.
        #expect {
            try ServerProcess.start(dataDir: server.dataDir, port: server.port).stop()
        } throws: { error in
            "\(error)".contains("was copied to postgres://postgres@127.0.0.1")
        }

        // The same address, now on PostgreSQL; the laptop is told nothing.
        let moved = try ServerProcess.start(dataDir: server.dataDir, port: server.port, environment: ["GALLEY_DATABASE_URL": database])
        defer { moved.stop() }
        let health = try await HTTP.request("GET", moved.url("/healthz"))
        #expect(health.text.contains("postgresql"), "\(health.text)")
        let after = try desk.newArticle(title: "Пасля пераезду", body: "Новы тэкст.\n")
        let report = try await desk.syncOK()
        #expect(!report.epochReset, "the same archive: no pull from the start")
        #expect(report.applied == 1 && report.pulledArticles <= 1, "\(report)")
        let archive = try await PostgresArchive.open(database)
        defer { archive.close() }
        #expect(try await archive.article(after.id) != nil)
        #expect(try await archive.articles(ArticleQuery(limit: 100)).articles.count == 21)
    }
}
