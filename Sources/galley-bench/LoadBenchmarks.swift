import ArgumentParser
import AsyncHTTPClient
import Foundation
import GRDB
import GalleyClient
import GalleyCore
import GalleyPostgres
import GalleyStore
import Synchronization
import NIOCore

/// `galley-bench incremental-sync`: one article changes on the server; how long does the
/// everyday `galley sync` take with a small and a large archive?
struct IncrementalSyncBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "incremental-sync", abstract: "galley sync after one change, small archive against large; git pull alongside.")
    @Option var small = 200
    @Option var articles = 100_000
    @Option var runs = 7
    @Option var seed: UInt64 = 1
    @Flag var json = false

    func run() async throws {
        // Both archives are served at once and the runs alternate between them, so that the
        // machine's drift (it is shared) falls on both sizes alike.
        struct Setup {
            let size: Int
            let dataDir: URL
            let server: BenchServer
            let workspace: URL
            var api: ServerAPI
            let ids: [ArticleID]
            var times: [Double] = []
        }
        var setups: [Setup] = []
        defer {
            for s in setups {
                _ = s.server.stop()
                try? FileManager.default.removeItem(at: s.dataDir)
                try? FileManager.default.removeItem(at: s.workspace)
            }
        }
        for size in [small, articles] {
            Bench.note("archive of \(size) articles")
            let dataDir = try await BenchServer.prepare(articles: size, seed: seed)
            let server = try BenchServer(dataDir: dataDir)
            let ws = try server.workspace()
            guard try server.sync(ws).status == 0 else { throw ValidationError("the first sync failed") }
            var api = ServerAPI(baseURL: server.url, token: nil)
            api.token = try await api.login(name: "bench", password: BenchServer.password).token
            let ids = try InitialSyncBenchmark.rows(dataDir).map(\.id).compactMap(ArticleID.init)
            setups.append(Setup(size: size, dataDir: dataDir, server: server, workspace: ws, api: api, ids: ids))
        }
        var rng = SplitMix64(seed: seed)
        for k in 0..<runs {
            for i in setups.indices {
                let id = setups[i].ids[Int(rng.next() % UInt64(setups[i].ids.count))]
                let article = try await setups[i].api.article(id)
                var change = Change(articleID: id, baseRevision: article.headRevision, author: "bench", replicaID: UUID(), createdAt: Date())
                change.set(.body, to: article.content.body + "\nEdit \(k).\n", from: article.content)
                _ = try await setups[i].api.push([change])
                let m = try setups[i].server.sync(setups[i].workspace)
                guard m.status == 0 else { throw ValidationError("galley sync failed") }
                setups[i].times.append(m.milliseconds)
            }
        }
        var rows: [[String]] = []
        var results: [String: Any] = ["machine": Bench.machine, "runs": runs]
        var medians: [Int: Double] = [:]
        for s in setups {
            let git = try Self.gitPull(try InitialSyncBenchmark.rows(s.dataDir), runs: runs)
            medians[s.size] = Bench.median(s.times)
            rows.append(["\(s.size) articles", Bench.summary(s.times), git.map(Bench.summary) ?? "git not found"])
            results["galley\(s.size)MedianMs"] = Bench.median(s.times)
            results["gitPull\(s.size)MedianMs"] = git.map(Bench.median) ?? NSNull()
        }
        let ratio = (medians[articles] ?? 0) / (medians[small] ?? 1)
        results["ratioLargeToSmall"] = ratio
        if json { return print(Bench.json(results)) }
        print("incremental-sync on \(Bench.machine): one article changed, then `galley sync`; median (min–max) of \(runs) runs, the sizes alternating\n")
        print(Bench.table(["archive", "galley sync", "git pull of one changed file"], rows))
        print(String(format: "\nratio %d / %d articles: %.2f (target ≤ 1.1); large-archive sync %.0f ms (target < 30 ms)", articles, small, ratio, medians[articles] ?? 0))
    }

    /// `git pull` of one changed file in a clone of the same articles.
    static func gitPull(_ rows: [InitialSyncBenchmark.Row], runs: Int) throws -> [Double]? {
        guard let git = Bench.which("git") else { return nil }
        let dir = Bench.temporary("gitpull")
        defer { try? FileManager.default.removeItem(at: dir) }
        let origin = dir.appendingPathComponent("origin")
        try FileManager.default.createDirectory(at: origin, withIntermediateDirectories: true)
        for r in rows { try Data("\(r.title)\n\n\(r.body)".utf8).write(to: origin.appendingPathComponent("\(r.id).md")) }
        let env = ["GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@x"]
        for args in [["-C", origin.path, "init", "-q"], ["-C", origin.path, "add", "-A"], ["-C", origin.path, "commit", "-qm", "all"],
                     ["clone", "-q", origin.path, dir.appendingPathComponent("clone").path]] {
            _ = try Bench.measured(git, args, environment: env)
        }
        var times: [Double] = []
        for k in 0..<runs {
            let file = origin.appendingPathComponent("\(rows[k % rows.count].id).md")
            try (try String(contentsOf: file, encoding: .utf8) + "\nEdit \(k).\n").write(to: file, atomically: true, encoding: .utf8)
            _ = try Bench.measured(git, ["-C", origin.path, "commit", "-qam", "edit \(k)"], environment: env)
            let m = try Bench.measured(git, ["-C", dir.appendingPathComponent("clone").path, "pull", "-q", "--ff-only"], environment: env)
            times.append(m.milliseconds)
        }
        return times
    }
}

/// `galley-bench push-load`: many people push at once, on the embedded archive and, given
/// `--database`, on PostgreSQL behind one or several servers, side by side in one run.
struct PushLoadBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push-load", abstract: "Concurrent pushes: throughput, latency, pull lag, and a check that nothing was lost or applied twice.")
    @Option(help: "How many people push at once, as a list: 50,200 runs both, side by side.") var clients = "50"
    @Option(help: "Changes per client, pushed as fast as answered (a burst); without it, the load lasts --duration.") var changes: Int?
    @Option(help: "Seconds each run lasts: clients push until then (a sustained load, not a burst).") var duration: Double = 30
    @Option(help: "Repetitions, each on a fresh archive and servers; the table gives the median and the spread.") var runs = 5
    @Option(help: "Also run on PostgreSQL: a server URL (postgres://user@host:port/any); each run gets a new database there.") var database: String?
    @Option(help: "How many galley-servers share the PostgreSQL archive, as a list: 1,2,3.") var servers = "1"
    @Option var seed: UInt64 = 1
    @Flag var json = false

    struct RunResult {
        var changesPerSecond: Double
        var commands: Int
        var notes: Int
        var p50: Double
        var p99: Double
        var errors: Int
        var acknowledged: Int
        var foundExactlyOnce: Int
        var merged: Int
        var conflicts: Int
        var rejected: Int
        var seconds: Double
        var pullLagP50: Double
        var pullLagP99: Double
        var lagSamples: Int
        var serverRSSKiB: Int
        /// The server's resident memory once the load began, and when it ended.
        var serverRSSStartKiB: Int
        var serverRSSEndKiB: Int
        /// Once a second, while the load lasted.
        var serverRSSSamplesKiB: [Int]
    }

    /// One line of the table: an archive, how many servers share it, how many people push.
    struct Setup: Hashable {
        var postgres: Bool
        var servers: Int
        var clients: Int
        var name: String { (postgres ? "PostgreSQL, \(servers) server\(servers == 1 ? "" : "s")" : "SQLite, 1 server") + ", \(clients) clients" }
    }

    static func counts(_ list: String) -> [Int]? {
        let counts = list.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ ($0 ?? 0) >= 1 }) else { return nil }
        return counts.compactMap { $0 }
    }

    func validate() throws {
        guard let counts = Self.counts(servers) else { throw ValidationError("--servers takes a list of counts, such as 1,2,3.") }
        guard Self.counts(clients) != nil else { throw ValidationError("--clients takes a list of counts, such as 50,200.") }
        if database == nil && counts != [1] { throw ValidationError("Several servers share a PostgreSQL archive: give --database postgres://… as well.") }
        if let database, !DatabaseURL.isPostgres(database) { throw ValidationError("--database takes a postgres:// URL.") }
        guard duration > 0 else { throw ValidationError("--duration takes a number of seconds above 0.") }
        if let changes, changes < 1 { throw ValidationError("--changes takes a count of at least 1.") }
    }

    func run() async throws {
        var setups: [Setup] = []
        for people in Self.counts(clients) ?? [50] {
            setups.append(Setup(postgres: false, servers: 1, clients: people))
            if database != nil { setups += (Self.counts(servers) ?? [1]).map { Setup(postgres: true, servers: $0, clients: people) } }
        }
        var results: [Setup: [RunResult]] = [:]
        // Runs interleave the setups, so that a slow minute of a shared machine hurts each alike.
        for r in 0..<max(1, runs) {
            for setup in setups {
                let load = changes.map { "\($0) changes each" } ?? String(format: "%.0f s", duration)
                Bench.note("run \(r + 1) of \(runs), \(setup.name): \(load)")
                results[setup, default: []].append(try await once(setup, seed: seed &+ UInt64(r) &* 1000))
            }
        }
        func spread(_ xs: [Double], _ format: String) -> String {
            String(format: "\(format) (\(format)–\(format))", Bench.median(xs), xs.min() ?? .nan, xs.max() ?? .nan)
        }
        var summaries: [[String: Any]] = []
        var rows: [[String]] = []
        for setup in setups {
            let runs = results[setup] ?? []
            let throughput = runs.map(\.changesPerSecond)
            let acknowledged = runs.reduce(0) { $0 + $1.acknowledged }
            let found = runs.reduce(0) { $0 + $1.foundExactlyOnce }
            let errors = runs.reduce(0) { $0 + $1.errors }
            // Memory of the run that peaked highest: where it began, its peak, where it ended.
            let memory = runs.max { $0.serverRSSKiB < $1.serverRSSKiB }
            let rss = memory?.serverRSSKiB ?? 0
            func mib(_ kib: Int?) -> Double { Double(kib ?? 0) / 1024 }
            summaries.append([
                "setup": setup.name, "backend": setup.postgres ? "postgresql" : "sqlite", "servers": setup.servers, "clients": setup.clients, "runs": runs.count,
                "commands": runs.reduce(0) { $0 + $1.commands }, "notes": runs.reduce(0) { $0 + $1.notes },
                "seconds": Bench.median(runs.map(\.seconds)),
                "changesPerSecond": Bench.median(throughput), "changesPerSecondMin": throughput.min() ?? 0, "changesPerSecondMax": throughput.max() ?? 0,
                "p50Ms": Bench.median(runs.map(\.p50)), "p99Ms": Bench.median(runs.map(\.p99)), "p99MsMax": runs.map(\.p99).max() ?? 0,
                "pullLagP50Ms": Bench.median(runs.map(\.pullLagP50)), "pullLagP99Ms": Bench.median(runs.map(\.pullLagP99)),
                "errors": errors, "merged": runs.reduce(0) { $0 + $1.merged }, "conflicts": runs.reduce(0) { $0 + $1.conflicts },
                "rejected": runs.reduce(0) { $0 + $1.rejected }, "acknowledged": acknowledged, "foundExactlyOnce": found, "lost": acknowledged - found,
                "serverPeakRSSMiB": mib(rss), "serverStartRSSMiB": mib(memory?.serverRSSStartKiB), "serverEndRSSMiB": mib(memory?.serverRSSEndKiB),
            ])
            rows.append([
                setup.name, spread(throughput, "%.0f"), spread(runs.map(\.p50), "%.1f"), spread(runs.map(\.p99), "%.1f"),
                spread(runs.map(\.pullLagP99), "%.1f"), "\(errors)", "\(acknowledged) / \(found)",
                "\(runs.reduce(0) { $0 + $1.merged }) / \(runs.reduce(0) { $0 + $1.conflicts }) / \(runs.reduce(0) { $0 + $1.rejected })",
                String(format: "%.0f / %.0f / %.0f MiB", mib(memory?.serverRSSStartKiB), mib(rss), mib(memory?.serverRSSEndKiB)),
            ])
        }
        if json { return print(Bench.json(["machine": Bench.machine, "clients": clients, "changesPerClient": changes ?? 0, "durationSeconds": changes == nil ? duration : 0, "setups": summaries])) }
        let load = changes.map { "\($0) changes each, as fast as answered" } ?? String(format: "pushing for %.0f s", duration)
        print("push-load on \(Bench.machine): \(load) (new articles, edits of their own and of 100 shared articles, each edit read first; every sixth step a workflow command or a note), one reader pulling throughout; median (min–max) of \(max(1, runs)) runs\n")
        print(Bench.table(
            ["archive", "changes/s", "p50 ms", "p99 ms", "pull lag p99 ms", "errors", "acknowledged / in the archive once", "merged / conflicts / refused", "server RSS start / peak / end"],
            rows))
        // A soak: how the memory went, at every tenth of the run that peaked highest.
        for setup in setups {
            guard let samples = results[setup]?.max(by: { $0.serverRSSKiB < $1.serverRSSKiB })?.serverRSSSamplesKiB, samples.count >= 100 else { continue }
            let tenths = (0...10).map { samples[min(samples.count - 1, $0 * (samples.count - 1) / 10)] / 1024 }
            print("\(setup.name): server RSS at every tenth of the run, MiB: \(tenths.map(String.init).joined(separator: " "))")
        }
        // The many-clients case against the fewest, per archive.
        let counts = Self.counts(clients) ?? [50]
        if counts.count > 1, let few = counts.min(), let many = counts.max() {
            for setup in setups where setup.clients == many {
                var base = setup
                base.clients = few
                let ratio = Bench.median(results[setup]?.map(\.changesPerSecond) ?? []) / Bench.median(results[base]?.map(\.changesPerSecond) ?? [])
                print(String(format: "%@: %d clients give %.0f%% of the throughput at %d (target ≥ 80%%)", base.name.components(separatedBy: ",").dropLast().joined(separator: ","), many, ratio * 100, few))
            }
        }
        print("Targets: SQLite ≥ 3,000 changes/s at 50 clients over ≥ 30 s, p99 ≤ 100 ms, at 200 clients ≥ 80% of that, server RSS flat over a 10-minute soak; PostgreSQL with 2 servers ≥ 1,500 changes/s, p99 ≤ 150 ms, pull lag p99 ≤ 100 ms; nothing lost or doubled.")
    }

    func once(_ setup: Setup, seed: UInt64) async throws -> RunResult {
        let dataDir = try await BenchServer.prepare(articles: 100, seed: seed)
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let shared = try InitialSyncBenchmark.rows(dataDir).map(\.id).compactMap(ArticleID.init)
        let place = setup.postgres ? try await BenchPlace.postgres(copying: dataDir, server: database!) : .sqlite(dataDir)
        var servers: [BenchServer] = []
        for _ in 0..<setup.servers { servers.append(try BenchServer(place)) }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(30), concurrentHTTP1ConnectionsPerHostSoftLimit: setup.clients)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)

        // Each client keeps to one server, as a load balancer's sticky sessions would.
        var apis: [ServerAPI] = []
        for c in 0..<setup.clients {
            var api = ServerAPI(baseURL: servers[c % servers.count].url, token: nil, client: http)
            api.token = try await api.login(name: "bench", password: BenchServer.password).token
            apis.append(api)
        }
        let lag = PullLag()
        let readerURL = servers[servers.count - 1].url
        let reader = Task {
            var api = ServerAPI(baseURL: readerURL, token: nil, client: http)
            api.token = try await api.login(name: "bench", password: BenchServer.password).token
            return try await lag.follow(api)
        }
        // The first server's resident memory, once a second while the load lasts.
        let serverPID = servers[0].pid
        let memory = Task {
            var samples: [Int] = []
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                if let kib = Bench.residentKiB(of: serverPID) { samples.append(kib) }
            }
            return samples
        }
        let start = Bench.now()
        let deadline = changes == nil ? Date().addingTimeInterval(duration) : nil
        let outcomes = try await withThrowingTaskGroup(of: ClientOutcome.self) { group in
            for (index, api) in apis.enumerated() {
                let seed = seed &+ UInt64(index)
                let count = changes ?? 0
                group.addTask { try await Self.client(api, shared: shared, changes: count, until: deadline, seed: seed, lag: lag) }
            }
            var all: [ClientOutcome] = []
            for try await o in group { all.append(o) }
            return all
        }
        let wall = Double(Bench.now() - start) / 1_000_000_000
        lag.stop()
        memory.cancel()
        let rssSamples = await memory.value
        try await reader.value
        try await http.shutdown()
        let serverRSS = servers.compactMap { $0.stop() }.max()

        // Every acknowledged change is in the archive, once (a change id is the key of what was applied).
        let acknowledged = outcomes.flatMap(\.acknowledged)
        let archive = try await place.open()
        let applied = try await archive.appliedChangeIDs()
        BenchPlace.close(archive)
        await place.remove()
        let found = acknowledged.filter(applied.contains).count
        let latencies = outcomes.flatMap(\.latencies)
        let lags = lag.lags()
        return RunResult(
            changesPerSecond: Double(latencies.count) / wall, commands: outcomes.reduce(0) { $0 + $1.commands }, notes: outcomes.reduce(0) { $0 + $1.notes }, p50: Bench.percentile(latencies, 0.5), p99: Bench.percentile(latencies, 0.99),
            errors: outcomes.reduce(0) { $0 + $1.errors }, acknowledged: acknowledged.count, foundExactlyOnce: found,
            merged: outcomes.reduce(0) { $0 + $1.merged }, conflicts: outcomes.reduce(0) { $0 + $1.conflicts },
            rejected: outcomes.reduce(0) { $0 + $1.rejected }, seconds: wall,
            pullLagP50: Bench.percentile(lags, 0.5), pullLagP99: Bench.percentile(lags, 0.99), lagSamples: lags.count,
            serverRSSKiB: serverRSS ?? 0, serverRSSStartKiB: rssSamples.first ?? 0, serverRSSEndKiB: rssSamples.last ?? 0,
            serverRSSSamplesKiB: rssSamples)
    }

    struct ClientOutcome: Sendable {
        var latencies: [Double] = []
        var acknowledged: [ChangeID] = []
        var errors = 0
        var merged = 0
        var conflicts = 0
        var rejected = 0
        var commands = 0
        var notes = 0
    }

    /// How long after a push was acknowledged a reader, pulling all the while, first saw it:
    /// the acknowledged head revisions against the heads the reader's pulls brought.
    final class PullLag: Sendable {
        private struct State {
            var acknowledged: [RevisionID: UInt64] = [:]
            var seen: [RevisionID: UInt64] = [:]
            var running = true
        }
        private let state = Mutex(State())

        func acknowledged(_ head: RevisionID) {
            let now = Bench.now()
            state.withLock { $0.acknowledged[head] = now }
        }

        func stop() { state.withLock { $0.running = false } }

        /// Pulls from the end of the archive on, until stopped.
        func follow(_ api: ServerAPI) async throws {
            var cursor = try await api.pull(since: 0, limit: 500).nextCursor
            while state.withLock({ $0.running }) {
                let page = try await api.pull(since: cursor, limit: 500)
                let now = Bench.now()
                state.withLock { state in
                    for pulled in page.articles where state.seen[pulled.article.headRevision] == nil { state.seen[pulled.article.headRevision] = now }
                }
                cursor = page.nextCursor
                if !page.hasMore { try await Task.sleep(for: .milliseconds(5)) }
            }
        }

        /// Milliseconds; a head seen before its push's answer arrived counts as no lag.
        func lags() -> [Double] {
            state.withLock { state in
                state.acknowledged.compactMap { head, at in state.seen[head].map { $0 > at ? Double($0 - at) / 1_000_000 : 0 } }
            }
        }
    }

    /// One person: a third new articles, a third edits of their own, a sixth edits of shared
    /// articles and a sixth workflow steps (their articles go draft → submitted → approved →
    /// published, one step each time; then notes), `changes` of them or until `deadline`.
    static func client(_ api: ServerAPI, shared: [ArticleID], changes: Int, until deadline: Date?, seed: UInt64, lag: PullLag) async throws -> ClientOutcome {
        var outcome = ClientOutcome()
        var data = BenchData(seed: seed)
        var mine: [ArticleID] = []
        var k = 0
        while deadline.map({ Date() < $0 }) ?? (k < changes) {
            defer { k += 1 }
            var change: Change
            if k % 6 == 5 {
                // What an editor does: read the article, then take its next step.
                let id = mine.isEmpty ? shared[Int(data.rng.next() % UInt64(shared.count))] : mine[Int(data.rng.next() % UInt64(mine.count))]
                guard let article = try? await api.article(id) else {
                    outcome.errors += 1
                    continue
                }
                change = Change(articleID: id, baseRevision: article.headRevision, author: "bench", replicaID: UUID(), createdAt: Date())
                switch article.state {
                case .draft: change.command = .submit
                case .submitted: change.command = .approve(revision: article.headRevision)
                case .approved: change.command = .publish(at: nil)
                default: change.note = .init(text: "Seen, \(seed)-\(k): the second paragraph needs a source.")
                }
                if change.command != nil { outcome.commands += 1 } else { outcome.notes += 1 }
            } else if k % 3 == 2 || (k % 3 == 1 && !mine.isEmpty) {
                let pool = k % 3 == 2 ? shared : mine
                let id = pool[Int(data.rng.next() % UInt64(pool.count))]
                guard let article = try? await api.article(id) else {
                    outcome.errors += 1
                    continue
                }
                var paragraphs = article.content.body.components(separatedBy: "\n\n")
                let p = Int(data.rng.next() % UInt64(max(paragraphs.count - 1, 1)))
                paragraphs[p] += " Edit \(seed)-\(k)."
                change = Change(articleID: id, baseRevision: article.headRevision, author: "bench", replicaID: UUID(), createdAt: Date())
                change.set(.body, to: paragraphs.joined(separator: "\n\n"), from: article.content)
            } else {
                change = data.create(Int(seed) * 100_000 + k, author: "bench", at: Date())
                mine.append(change.articleID)
            }
            let start = Bench.now()
            do {
                let result = try await api.push([change])
                outcome.latencies.append(Double(Bench.now() - start) / 1_000_000)
                outcome.acknowledged.append(change.id)
                if let head = result.first?.headRevision { lag.acknowledged(head) }
                switch result.first?.status {
                case .merged: outcome.merged += 1
                case .conflict: outcome.conflicts += 1
                case .rejected: outcome.rejected += 1
                default: break
                }
            } catch {
                outcome.errors += 1
            }
        }
        return outcome
    }
}

/// `galley-bench search`: full-text queries and "similar articles" on a large published archive.
struct SearchBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "FTS5 query latency and the similar-articles computation on a large archive.")
    @Option var articles = 100_000
    @Option var queries = 200
    @Option var seed: UInt64 = 1
    @Option(help: "Keep the prepared archive in this folder, and reuse it if it is there.") var keep: String?
    @Option(help: "Also search the same archive on PostgreSQL: a server URL (postgres://user@host:port/any); a new database is made there.") var database: String?
    @Flag var json = false

    func run() async throws {
        let dataDir = try await BenchServer.publishedArchive(articles: articles, seed: seed, keep: keep)
        defer { if keep == nil { try? FileManager.default.removeItem(at: dataDir) } }
        let archive = try SQLiteArchive(path: dataDir.appendingPathComponent("archive.sqlite").path)
        let db = try DatabaseQueue(path: dataDir.appendingPathComponent("archive.sqlite").path)
        // Terms that occur in between 0.1% and 10% of articles: what people search for.
        let terms = try await db.read { db in
            try String.fetchAll(db, sql: "SELECT term FROM published_vocab WHERE doc BETWEEN ? AND ? AND length(term) > 3 ORDER BY term",
                                arguments: [max(2, articles / 1000), max(3, articles / 10)])
        }
        let ids = try await db.read { db in try String.fetchAll(db, sql: "SELECT id FROM published_articles").compactMap(ArticleID.init) }
        try db.close()
        guard !terms.isEmpty else { throw ValidationError("the archive has no searchable terms") }
        var rng = SplitMix64(seed: seed)
        func term() -> String { terms[Int(rng.next() % UInt64(terms.count))] }

        // Each query is asked of each archive in turn, so that both meet the same moments.
        var targets: [(name: String, archive: any ArchiveStore, similar: (ArticleID) async throws -> Duration)] = [
            ("SQLite (FTS5)", archive, { try await archive.recomputeSimilar(for: $0) })
        ]
        var place: BenchPlace?
        if let database {
            Bench.note("copying the archive into PostgreSQL")
            place = try await BenchPlace.postgres(copying: dataDir, server: database)
            let postgres = try await PostgresArchive.open(place!.database!)
            targets.append(("PostgreSQL (tsvector)", postgres, { try await postgres.recomputeSimilar(for: $0) }))
        }
        var one = Array(repeating: [Double](), count: targets.count)
        var three = one
        var similar = one
        for _ in 0..<queries {
            let q1 = term()
            let q3 = [term(), term(), term()].joined(separator: " ")
            for (t, target) in targets.enumerated() {
                var start = Bench.now()
                _ = try await target.archive.searchPublished(q1, limit: 20, offset: 0)
                one[t].append(Double(Bench.now() - start) / 1e6)
                start = Bench.now()
                _ = try await target.archive.searchPublished(q3, limit: 20, offset: 0)
                three[t].append(Double(Bench.now() - start) / 1e6)
            }
        }
        for _ in 0..<min(queries, ids.count) {
            let id = ids[Int(rng.next() % UInt64(ids.count))]
            for (t, target) in targets.enumerated() {
                let took = try await target.similar(id)
                similar[t].append(Double(took.components.seconds) * 1000 + Double(took.components.attoseconds) / 1e15)
            }
        }
        for target in targets { BenchPlace.close(target.archive) }
        await place?.remove()
        func ms(_ xs: [Double], _ p: Double) -> String { String(format: "%.2f ms", Bench.percentile(xs, p)) }
        var results: [String: Any] = ["machine": Bench.machine, "articles": articles, "queries": queries]
        var rows: [[String]] = []
        for (t, target) in targets.enumerated() {
            let key = t == 0 ? "" : "postgres"
            for (name, xs) in [("oneWord", one[t]), ("threeWord", three[t]), ("similar", similar[t])] {
                let base = key.isEmpty ? name : key + name.prefix(1).uppercased() + name.dropFirst()
                results[base + "P50Ms"] = Bench.percentile(xs, 0.5)
                results[base + "P99Ms"] = Bench.percentile(xs, 0.99)
            }
            rows += [
                ["\(target.name): one-word query (top 20)", ms(one[t], 0.5), ms(one[t], 0.99), "p50 ≤ 5 ms, p99 ≤ 20 ms"],
                ["\(target.name): three-word query", ms(three[t], 0.5), ms(three[t], 0.99), "p50 ≤ 5 ms, p99 ≤ 20 ms"],
                ["\(target.name): similar articles for one article", ms(similar[t], 0.5), ms(similar[t], 0.99), "≤ 20 ms"],
            ]
        }
        if json { return print(Bench.json(results)) }
        print("search on \(Bench.machine): \(articles) published articles, \(queries) queries of each kind\n")
        print(Bench.table(["measure", "p50", "p99", "target"], rows))
    }
}

/// `galley-bench store-apply`: the archive's own cost per change, in process, no HTTP: the
/// floor under push-load.
struct StoreApplyBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store-apply", abstract: "Changes applied straight to the archive, one transaction each (the floor under push-load).")
    @Option var changes = 1000
    @Option var seed: UInt64 = 1
    @Option(help: "Also apply them to the same archive on PostgreSQL: a server URL (postgres://user@host:port/any); a new database is made there.") var database: String?

    func run() async throws {
        let dataDir = try await BenchServer.prepare(articles: 100, seed: seed)
        defer { try? FileManager.default.removeItem(at: dataDir) }
        var places = [BenchPlace.sqlite(dataDir)]
        if let database { places.append(try await BenchPlace.postgres(copying: dataDir, server: database)) }
        for place in places {
            let archive = try await place.open()
            defer { BenchPlace.close(archive) }
            if let postgres = archive as? PostgresArchive {
                let n = 2000
                let (bridged, direct) = try await postgres.roundTrips(n)
                print(String(format: "PostgreSQL round trip (SELECT 1, %d in a row): %.3f ms through the change log's synchronous bridge, %.3f ms with async/await on one connection",
                             n, Double(bridged.components.attoseconds) / 1e15 / Double(n) + Double(bridged.components.seconds) * 1000 / Double(n),
                             Double(direct.components.attoseconds) / 1e15 / Double(n) + Double(direct.components.seconds) * 1000 / Double(n)))
            }
            var data = BenchData(seed: seed &+ 9)
            let actor = ChangeApplier.Actor(name: "bench", role: .editor)
            let creates = (0..<changes).map { data.create(100_000 + $0, author: "bench", at: Date()) }
            var start = Bench.now()
            for c in creates { _ = try await archive.apply([c], by: actor, at: Date()) }
            let createMs = Double(Bench.now() - start) / 1e6
            var edits: [Change] = []
            for c in creates.prefix(changes) {
                guard let a = try await archive.article(c.articleID) else { continue }
                var e = Change(articleID: a.id, baseRevision: a.headRevision, author: "bench", replicaID: UUID(), createdAt: Date())
                e.set(.body, to: a.content.body + "\nMore.\n", from: a.content)
                edits.append(e)
            }
            start = Bench.now()
            for e in edits { _ = try await archive.apply([e], by: actor, at: Date()) }
            let editMs = Double(Bench.now() - start) / 1e6
            print(String(format: "store-apply on %@, %@: %d creates in %.0f ms (%.0f/s), %d edits in %.0f ms (%.0f/s), one transaction each",
                         place.backend, Bench.machine, changes, createMs, Double(changes) / createMs * 1000, edits.count, editMs, Double(edits.count) / editMs * 1000))
        }
        for place in places { await place.remove() }
    }
}
