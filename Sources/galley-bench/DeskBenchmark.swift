import AsyncHTTPClient
import ArgumentParser
import Foundation
import GalleyCore
import GalleyStore
import NIOCore
import NIOHTTP1

/// `galley-bench desk`: how long the editors' desk takes to answer, as an editor's browser asks
/// it (signed in by its cookie), on a large published archive with articles waiting for review.
struct DeskBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "desk", abstract: "Latency of the editors' desk pages (queue, review page, audit log) on a large archive.")
    @Option var articles = 100_000
    @Option(help: "Articles waiting for review: edits of published articles, each submitted.") var waiting = 50
    @Option var requests = 200
    @Option var seed: UInt64 = 1
    @Option(help: "Keep the prepared archive in this folder, and reuse it if it is there (the waiting edits are added to it).") var keep: String?

    func run() async throws {
        let dataDir = try await BenchServer.publishedArchive(articles: articles, seed: seed, keep: keep)
        defer { if keep == nil { try? FileManager.default.removeItem(at: dataDir) } }

        // Edits of published articles, submitted: each review page compares with the live text.
        let archive = try SQLiteArchive(path: dataDir.appendingPathComponent("archive.sqlite").path)
        let editor = ChangeApplier.Actor(name: "bench", role: .editor)
        let now = Timestamp.canonical(Date())
        let published = try await archive.latestPublished(PublishedQuery(limit: waiting, offset: 0))
        guard !published.isEmpty else { throw ValidationError("the archive has no published article") }
        var reviewed: [ArticleID] = []
        for item in published {
            guard let article = try await archive.article(item.id) else { continue }
            var edit = Change(articleID: article.id, baseRevision: article.headRevision, author: "bench", replicaID: UUID(), createdAt: now)
            edit.set(.body, to: article.content.body.replacingOccurrences(of: ".", with: ", as the desk shows.", options: [], range: article.content.body.range(of: ".")), from: article.content)
            let edited = try await archive.apply([edit], by: editor, at: now)[0]
            guard let head = edited.headRevision, edited.status != .rejected else {
                throw ValidationError("the bench's edit was refused: \(edited.error?.message ?? "\(edited.status)")")
            }
            // An edit of a published article goes back to review by itself.
            if try await archive.article(article.id)?.workflowStatus.state == .submitted {
                reviewed.append(article.id)
                continue
            }
            var submit = Change(articleID: article.id, baseRevision: head, author: "bench", replicaID: UUID(), createdAt: now)
            submit.command = .submit
            let submitted = try await archive.apply([submit], by: editor, at: now)[0]
            guard submitted.status != .rejected else { throw ValidationError("the bench's submit was refused: \(submitted.error?.message ?? "")") }
            reviewed.append(article.id)
        }
        let total = try await archive.latestSequence()
        guard !reviewed.isEmpty else { throw ValidationError("no article could be put up for review") }

        let server = try BenchServer(dataDir: dataDir)
        defer { _ = server.stop() }
        var configuration = HTTPClient.Configuration()
        // The desk's answers to forms are redirects the bench reads itself (their cookies).
        configuration.redirectConfiguration = .disallow
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let rows: [(String, [Double])]
        do {
            rows = try await Self.measure(http, base: server.url, reviewed: reviewed, requests: requests)
            try await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw error
        }

        print("desk pages on a published archive of \(articles) articles (\(total) events), \(reviewed.count) waiting for review; \(requests) requests each, one at a time, release build")
        print("")
        print("| page | p50 ms | p99 ms | max ms |")
        print("|---|---|---|---|")
        for (name, times) in rows {
            print(String(format: "| %@ | %.1f | %.1f | %.1f |", name, Bench.percentile(times, 0.5), Bench.percentile(times, 0.99), times.max() ?? 0))
        }
        print("")
        print("Target: each page ≤ 50 ms p99 on 100,000 articles.")
    }

    /// Each page `requests` times, one at a time, after five that warm the server.
    static func measure(_ http: HTTPClient, base: String, reviewed: [ArticleID], requests: Int) async throws -> [(String, [Double])] {
        let cookie = try await signIn(http, base: base, name: "admin", password: BenchServer.password)
        var rows: [(String, [Double])] = []
        for (name, path) in [
            ("queue (/desk)", { (_: Int) in "/desk" }),
            ("review page", { (i: Int) in "/desk/articles/\(reviewed[i % reviewed.count])" }),
            ("audit log", { (_: Int) in "/desk/admin/audit" }),
        ] as [(String, (Int) -> String)] {
            var times: [Double] = []
            for i in 0..<(requests + 5) {
                var request = HTTPClientRequest(url: base + path(i))
                request.headers.add(name: "Cookie", value: cookie)
                request.headers.add(name: "Accept", value: "text/html")
                let start = Bench.now()
                let response = try await http.execute(request, timeout: .seconds(30))
                let body = try await response.body.collect(upTo: 16 << 20)
                guard response.status == .ok, body.readableBytes > 0 else { throw ValidationError("\(path(i)) answered \(response.status)") }
                // The first few warm the server's caches, as any page that is visited is warm.
                if i >= 5 { times.append(Double(Bench.now() - start) / 1e6) }
            }
            rows.append((name, times))
        }
        return rows
    }

    /// Signs in through the desk's own form, as a browser does; returns the Cookie header.
    static func signIn(_ http: HTTPClient, base: String, name: String, password: String) async throws -> String {
        let page = try await http.execute(HTTPClientRequest(url: base + "/desk/login"), timeout: .seconds(30))
        let html = String(buffer: try await page.body.collect(upTo: 1 << 20))
        guard let loginCookie = page.headers["Set-Cookie"].first?.split(separator: ";").first.map(String.init),
            let token = html.firstMatch(of: /name="csrf" value="([^"]*)"/)?.1
        else { throw ValidationError("the sign-in page has no form token") }
        var post = HTTPClientRequest(url: base + "/desk/login")
        post.method = .POST
        post.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        post.headers.add(name: "Cookie", value: loginCookie)
        let form = "name=\(name)&password=\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&csrf=\(token)"
        post.body = .bytes(ByteBuffer(string: form))
        let signedIn = try await http.execute(post, timeout: .seconds(30))
        guard signedIn.status == .seeOther,
            let session = signedIn.headers["Set-Cookie"].first(where: { $0.hasPrefix("galley_desk=") })?.split(separator: ";").first
        else { throw ValidationError("signing in on the desk failed: \(signedIn.status)") }
        return String(session)
    }
}
