import ArgumentParser
import GalleyClient
import Foundation
import GRDB
import GalleyCore
import GalleyPostgres
import GalleyStore

/// `galley-bench initial-sync`: a new laptop pulls the whole archive with the real `galley sync`
/// from a real `galley-server`, against the floor (the same rows and their FTS5 index inserted
/// straight into SQLite in one transaction) and `git clone` of the same articles as files. An
/// editor's first sync starts from the server's prepared replica; it is measured beside the same
/// sync page by page (a copy of the archive behind a server that makes none), as an analyst's is.
struct InitialSyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "initial-sync", abstract: "galley sync into an empty workspace, against SQLite's floor and git clone.")
    @Option var articles = 20_000
    @Option var runs = 3
    @Option var seed: UInt64 = 1
    @Option(help: "Also sync from a server on PostgreSQL: a server URL (postgres://user@host:port/any); a new database is made there.") var database: String?
    @Option(help: "Another galley binary whose first sync by pages is measured beside this build's, in the same runs (for example one built with --static-swift-stdlib).") var alsoGalley: String?
    @Flag var json = false

    /// One `galley sync` (by `galley`, this build's unless given) into a new workspace; checks
    /// it holds every article, and whether it started from a prepared replica as `snapshot`
    /// says it should.
    func syncOnce(_ server: BenchServer, snapshot: Bool = false, galley: String = Bench.binary("galley")) throws -> Bench.Measured {
        let ws = try server.workspace()
        defer { try? FileManager.default.removeItem(at: ws) }
        let output = ws.appendingPathComponent("sync-report.json")
        let m = try Bench.measured(galley, ["sync", "--json"], environment: ["NO_COLOR": "1", "GALLEY_WORKSPACE": ws.path], stdout: output.path)
        guard m.status == 0 else { throw ValidationError("galley sync failed with status \(m.status)") }
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any]
        guard (report?["fromSnapshot"] as? Bool ?? false) == snapshot else {
            throw ValidationError(snapshot ? "the first sync did not start from the prepared replica (\(report?["snapshotUnused"] as? String ?? "the server gave none"))" : "the first sync started from a prepared replica")
        }
        let replica = try ClientReplica(path: ws.appendingPathComponent(".galley/replica.sqlite").path)
        let count = try replica.counts().articles
        guard count == articles else { throw ValidationError("the workspace has \(count) articles, not \(articles)") }
        guard try replica.integrityCheck() == "ok" else { throw ValidationError("the workspace's replica fails its integrity check") }
        guard try !replica.search("the").articles.isEmpty || !replica.search("і").articles.isEmpty else {
            throw ValidationError("the workspace's full-text index finds nothing")
        }
        return m
    }

    /// Waits until `server` hands out a prepared replica; how long that took from now.
    static func waitForSnapshot(_ server: BenchServer) async throws -> Double {
        let start = Bench.now()
        var api = ServerAPI(baseURL: server.url, token: nil)
        api.token = try await api.login(name: "bench", password: BenchServer.password).token
        let folder = Bench.temporary("snapshot")
        let file = folder.appendingPathComponent("replica.sqlite")
        defer { try? FileManager.default.removeItem(at: folder) }
        while try await !api.downloadSnapshot(schema: ClientReplica.schemaVersion, to: file) {
            guard Double(Bench.now() - start) / 1e9 < 1800 else { throw ValidationError("the server made no prepared replica in 30 minutes") }
            try await Task.sleep(for: .milliseconds(250))
        }
        return Double(Bench.now() - start) / 1e6
    }

    func run() async throws {
        Bench.note("preparing an archive of \(articles) articles")
        let dataDir = try await BenchServer.prepare(articles: articles, seed: seed)
        defer { if ProcessInfo.processInfo.environment["GALLEY_BENCH_KEEP"] == nil { try? FileManager.default.removeItem(at: dataDir) } }
        let rows = try Self.rows(dataDir)
        let bytes = rows.reduce(0) { $0 + $1.title.utf8.count + $1.lead.utf8.count + $1.body.utf8.count + $1.tags.utf8.count }

        // The same archive twice: one server makes prepared replicas, the other (on a copy, one
        // server per data dir) does not.
        let pagesDir = Bench.temporary("archive-pages")
        try FileManager.default.copyItem(at: dataDir, to: pagesDir)
        defer { try? FileManager.default.removeItem(at: pagesDir) }
        let server = try BenchServer(dataDir: dataDir, snapshots: true)
        Bench.note("waiting for the server's prepared replica")
        let preparation = try await Self.waitForSnapshot(server)
        let pagesServer = try BenchServer(dataDir: pagesDir)
        var place: BenchPlace?
        if let database { place = try await BenchPlace.postgres(copying: dataDir, server: database) }
        let postgres = try place.map { try BenchServer($0) }
        var sync: [Double] = []
        var pages: [Double] = []
        var fromPostgres: [Double] = []
        var rss: [Int] = []
        var pagesRSS: [Int] = []
        var otherPages: [Double] = []
        var otherPagesRSS: [Int] = []
        // Side by side: each run syncs from one server, then from the other.
        for k in 0..<runs {
            Bench.note("galley sync, run \(k + 1) of \(runs)")
            let m = try syncOnce(server, snapshot: true)
            sync.append(m.milliseconds)
            rss.append(m.maxRSSKiB)
            let p = try syncOnce(pagesServer)
            pages.append(p.milliseconds)
            pagesRSS.append(p.maxRSSKiB)
            if let alsoGalley {
                let o = try syncOnce(pagesServer, galley: alsoGalley)
                otherPages.append(o.milliseconds)
                otherPagesRSS.append(o.maxRSSKiB)
            }
            if let postgres { fromPostgres.append(try syncOnce(postgres).milliseconds) }
        }
        _ = server.stop()
        _ = pagesServer.stop()
        _ = postgres?.stop()
        await place?.remove()

        Bench.note("the floor: SQLite inserts")
        let floor = try Bench.measure(runs: runs, warmup: false) { try Self.floor(rows) }
        Bench.note("git clone")
        let git = try Self.gitClone(rows, runs: runs)

        let median = Bench.median(sync)
        let pagesMedian = Bench.median(pages)
        let results: [String: Any] = [
            "machine": Bench.machine, "articles": articles, "bytes": bytes, "runs": runs,
            "snapshotPreparationMs": preparation, "pagesSyncMedianMs": pagesMedian, "pagesClientPeakRSSMiB": Double(pagesRSS.max() ?? 0) / 1024,
            "pagesRatioToFloor": pagesMedian / Bench.median(floor),
            "galleySyncMedianMs": median, "articlesPerSecond": Double(articles) / (median / 1000), "megabytesPerSecond": Double(bytes) / 1_048_576 / (median / 1000),
            "clientPeakRSSMiB": Double(rss.max() ?? 0) / 1024, "floorMedianMs": Bench.median(floor), "gitCloneMedianMs": git.map(Bench.median) ?? NSNull(),
            "ratioToFloor": median / Bench.median(floor), "ratioToGit": git.map { median / Bench.median($0) } ?? NSNull(),
            "postgresSyncMedianMs": fromPostgres.isEmpty ? NSNull() : Bench.median(fromPostgres),
            "otherPagesSyncMedianMs": otherPages.isEmpty ? NSNull() : Bench.median(otherPages),
            "otherPagesClientPeakRSSMiB": otherPagesRSS.isEmpty ? NSNull() : Double(otherPagesRSS.max() ?? 0) / 1024,
        ]
        if json { return print(Bench.json(results)) }
        print("initial-sync on \(Bench.machine): \(articles) articles, \(String(format: "%.1f", Double(bytes) / 1_048_576)) MiB of text; median (min–max) of \(runs) runs\n")
        print(Bench.table(["measure", "time", "notes"], [
            ["galley sync (empty workspace), an editor: from the prepared replica", Bench.summary(sync), String(format: "%.0f articles/s, %.1f MB/s, client peak RSS %.0f MiB (target ≤ 64)", Double(articles) / (median / 1000), Double(bytes) / 1_000_000 / (median / 1000), Double(rss.max() ?? 0) / 1024)],
            ["galley sync (empty workspace), page by page (as an analyst's)", Bench.summary(pages), String(format: "%.0f articles/s, client peak RSS %.0f MiB; / floor = %.2f", Double(articles) / (pagesMedian / 1000), Double(pagesRSS.max() ?? 0) / 1024, pagesMedian / Bench.median(floor))],
            otherPages.isEmpty ? nil : ["the same, page by page, by the other build", Bench.summary(otherPages),
                String(format: "client peak RSS %.0f MiB (target ≤ 64)", Double(otherPagesRSS.max() ?? 0) / 1024)],
            ["the server making the prepared replica (once, in the background)", String(format: "%.0f ms", preparation), "from its start until it hands the replica out"],
            ["floor: rows + FTS5 into SQLite, one transaction", Bench.summary(floor), String(format: "galley / floor = %.2f (target ≤ 1.3)", median / Bench.median(floor))],
            fromPostgres.isEmpty ? nil : ["galley sync from a server on PostgreSQL", Bench.summary(fromPostgres),
                String(format: "PostgreSQL / SQLite = %.2f", Bench.median(fromPostgres) / median)],
            ["git clone (git daemon, 127.0.0.1)", git.map(Bench.summary) ?? "git not found", git.map { String(format: "galley / git = %.2f (target ≤ 0.5)", median / Bench.median($0)) } ?? "–"],
        ].compactMap { $0 }))
    }

    struct Row {
        var id: String, title: String, lead: String, body: String, tags: String
    }

    static func rows(_ dataDir: URL) throws -> [Row] {
        let db = try DatabaseQueue(path: dataDir.appendingPathComponent("archive.sqlite").path)
        defer { try? db.close() }
        return try db.read { db in
            try GRDB.Row.fetchAll(db, sql: "SELECT id, title, lead, body, tags FROM articles ORDER BY num").map {
                Row(id: $0["id"], title: $0["title"], lead: $0["lead"], body: $0["body"], tags: $0["tags"])
            }
        }
    }

    /// The least any client could do: the same rows and their full-text index, one transaction.
    static func floor(_ rows: [Row]) throws {
        let dir = Bench.temporary("floor")
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = try DatabaseQueue(path: dir.appendingPathComponent("floor.sqlite").path)
        try db.write { db in
            try db.execute(sql: """
                CREATE TABLE articles (num INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT, lead TEXT, body TEXT, tags TEXT);
                CREATE VIRTUAL TABLE articles_fts USING fts5(title, lead, body, tags, content='articles', content_rowid='num', tokenize="unicode61 remove_diacritics 2");
                """)
            // Index rows written by a statement of their own: a trigger would put each in a
            // statement savepoint, at which FTS5 flushes (four times slower; Galley avoids it too).
            let statement = try db.makeStatement(sql: "INSERT INTO articles (id, title, lead, body, tags) VALUES (?, ?, ?, ?, ?)")
            let index = try db.makeStatement(sql: "INSERT INTO articles_fts (rowid, title, lead, body, tags) VALUES (?, ?, ?, ?, ?)")
            for r in rows {
                try statement.execute(arguments: [r.id, r.title, r.lead, r.body, r.tags])
                try index.execute(arguments: [db.lastInsertedRowID, r.title, r.lead, r.body, r.tags])
            }
        }
        try db.close()
    }

    /// `git clone` of the same articles as Markdown files, from `git daemon` on loopback.
    static func gitClone(_ rows: [Row], runs: Int) throws -> [Double]? {
        guard let git = Bench.which("git") else { return nil }
        let dir = Bench.temporary("git")
        defer { try? FileManager.default.removeItem(at: dir) }
        let repo = dir.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        for r in rows {
            let text = "---\ntitle: \(r.title)\ntags: \(r.tags)\n---\n\(r.lead)\n\n\(r.body)"
            try Data(text.utf8).write(to: repo.appendingPathComponent("\(r.id).md"))
        }
        let env = ["GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"]
        for args in [["-C", repo.path, "init", "-q"], ["-C", repo.path, "add", "-A"], ["-C", repo.path, "commit", "-qm", "archive"]] {
            _ = try Bench.measured(git, args, environment: env)
        }
        let port = Bench.freePort()
        let daemon = try Bench.spawn(git, ["daemon", "--reuseaddr", "--export-all", "--base-path=\(dir.path)", "--listen=127.0.0.1", "--port=\(port)"])
        defer {
            kill(-daemon, SIGTERM)
            _ = Bench.wait(daemon)
        }
        try Bench.waitForPort(port)
        var times: [Double] = []
        for k in 0..<runs {
            let target = dir.appendingPathComponent("clone-\(k)").path
            let m = try Bench.measured(git, ["clone", "-q", "git://127.0.0.1:\(port)/archive", target])
            guard m.status == 0 else { return nil }
            times.append(m.milliseconds)
        }
        return times
    }
}
