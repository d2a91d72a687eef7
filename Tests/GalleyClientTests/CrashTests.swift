import Foundation
import GalleyClient
import GalleyCore
import GalleyPostgres
import GalleyStore
import GalleyTestSupport
import Synchronization
import Testing

/// Faults that lose nothing: the server killed (SIGKILL) again and again under a push load, and
/// `galley sync` killed in the middle of pushing and pulling. CI-sized; set GALLEY_CRASH_KILLS
/// for a longer run.
@Suite(.serialized) struct CrashTests {
    static let kills = ProcessInfo.processInfo.environment["GALLEY_CRASH_KILLS"].flatMap(Int.init) ?? 10

    @Test(arguments: Backend.all) func theServerKilledUnderLoadLosesNoAcknowledgedChangeAndAppliesNoneTwice(backend: Backend) async throws {
        // On PostgreSQL the archive outlives each killed server in the database; on SQLite, in the data dir.
        let database = backend == .postgres ? ["GALLEY_DATABASE_URL": try TestPostgres.newDatabase()] : [:]
        let first = try ServerProcess.start(environment: database.merging(["GALLEY_ADMIN_PASSWORD": "crash-password-1"]) { $1 })
        let dataDir = first.dataDir
        let port = first.port
        let current = Locked<ServerProcess?>(first)
        let url = "http://127.0.0.1:\(port)"
        var api = ServerAPI(baseURL: url, token: nil)
        api.token = try await api.login(name: "admin", password: "crash-password-1").token
        let token = api.token

        // Clients push until every change is acknowledged, retrying whatever failed.
        let clients = 4
        let perClient = 12 + Self.kills
        let acknowledged = Locked<[ChangeID: ChangeApplier.Status]>([:])
        let made = Locked<[ChangeID]>([])
        let workers = (0..<clients).map { c in
            Task {
                let api = ServerAPI(baseURL: url, token: token)
                var rng = SplitMix64(seed: UInt64(c) + 1)
                for n in 0..<perClient {
                    let change = Change(
                        articleID: ArticleID.generate(at: Date(), using: &rng), baseRevision: nil,
                        set: .init(title: "Client \(c) article \(n)", body: "Words of client \(c), article \(n).\n"),
                        author: "admin", replicaID: UUID(), createdAt: Timestamp.canonical(Date()))
                    made.withLock { $0.append(change.id) }
                    while true {
                        if let result = try? await api.push([change]).first {
                            acknowledged.withLock { $0[result.changeID] = result.status }
                            break
                        }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
        }
        // Meanwhile: kill the server at random moments and start it again on the same data dir.
        var killed = 0
        var rng = SplitMix64(seed: 42)
        while killed < Self.kills {
            try await Task.sleep(for: .milliseconds(40 + Int64(rng.next() % 120)))
            current.withLock { $0?.kill() }
            killed += 1
            let restarted = try ServerProcess.start(dataDir: dataDir, port: port, environment: database)
            current.withLock { $0 = restarted }
        }
        for w in workers { try await w.value }
        current.withLock { $0?.stop() }

        let archive: any ArchiveStore
        if let url = database["GALLEY_DATABASE_URL"] {
            archive = try await PostgresArchive.open(url)
        } else {
            let sqlite = try SQLiteArchive(path: dataDir.appendingPathComponent("archive.sqlite").path)
            #expect(try await sqlite.integrityCheck() == "ok")
            archive = sqlite
        }
        let applied = try await archive.appliedChangeIDs()
        let all = made.withLock { $0 }
        #expect(all.count == clients * perClient)
        #expect(Set(all).isSubset(of: applied), "every change the clients made reached the archive")
        // Every change was acknowledged as applied, also when the answer came to a retry after a
        // crash (a replay gets the first answer, never "rejected" or a second application).
        let answers = acknowledged.withLock { $0 }
        #expect(Set(answers.keys) == Set(all), "every change heard an answer")
        #expect(answers.values.allSatisfy { $0 == .applied }, "\(answers.values.filter { $0 != .applied })")
        // Applied once each: one article per create, never two.
        let articles = try await archive.articles(ArticleQuery(limit: 10_000)).articles
        #expect(articles.count == all.count, "\(articles.count) articles for \(all.count) creates")
        #expect(Set(articles.map(\.content.title)).count == articles.count, "no change applied twice")
        // A pull from the start sees every article: the sequence has no hole a pull would trip on.
        var cursor: Int64 = 0
        var seen = 0
        while true {
            let page = try await archive.pull(since: cursor, limit: 50, maxBytes: 1 << 20, viewer: .init(name: "admin", role: .admin))
            seen += page.articles.count
            cursor = page.nextCursor
            if !page.hasMore { break }
        }
        #expect(seen == all.count)
        print("crash test (\(backend)): \(killed) SIGKILLs survived, \(all.count) changes checked")
    }

    @Test func syncKilledWhilePushingAndPullingCompletesLaterWithNothingLostOrDoubled() async throws {
        let server = try ServerProcess.start(environment: ["GALLEY_ADMIN_PASSWORD": "crash-password-1"])
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)"
        // Something to pull: 300 articles written by another workspace.
        let writer = try GalleyApp.initialize(at: Scratch.path("crash-writer"), server: url)
        _ = try await writer.login(user: "admin", password: "crash-password-1")
        for n in 0..<300 { _ = try writer.newArticle(title: "Pulled article \(n)", body: String(repeating: "Words to pull. ", count: 200) + "\n") }
        try await writer.syncOK()

        // Something to push: 60 drafts made offline in the workspace under test.
        let dir = Scratch.path("crash-desk")
        let desk = try GalleyApp.initialize(at: dir, server: url)
        _ = try await desk.login(user: "admin", password: "crash-password-1")
        var made: [ArticleID] = []
        for n in 0..<60 { made.append(try desk.newArticle(title: "Offline draft \(n)", body: "Draft \(n).\n").id) }

        // `galley sync` killed at random moments, ten times.
        var rng = SplitMix64(seed: 7)
        for _ in 0..<Self.kills {
            let process = Process()
            process.executableURL = ServerProcess.binary("galley")
            process.arguments = ["sync"]
            var env = ProcessInfo.processInfo.environment
            env["GALLEY_WORKSPACE"] = dir.path
            env["NO_COLOR"] = "1"
            process.environment = env
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .milliseconds(20 + Int64(rng.next() % 250)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(try desk.replica.integrityCheck() == "ok")
        }
        let result = try runGalley(["sync"], in: dir, environment: ["GALLEY_WORKSPACE": dir.path])
        #expect(result.status == 0, "\(result)")
        #expect(try desk.replica.integrityCheck() == "ok")
        #expect(try desk.status().outbox == 0, "the outbox was sent")
        // Nothing lost, nothing twice: every draft on the server once, every pulled article here once.
        let archive = try SQLiteArchive(path: server.dataDir.appendingPathComponent("archive.sqlite").path)
        let titles = try await archive.articles(ArticleQuery(limit: 10_000)).articles.map(\.content.title)
        #expect(titles.count == 360 && Set(titles).count == 360)
        let local = try desk.replica.list(limit: 10_000).map(\.content.title)
        #expect(local.count == 360 && Set(local).count == 360)
        for id in made { #expect(try await archive.article(id) != nil) }
    }
}
