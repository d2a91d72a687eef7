import Foundation
import GalleyTestSupport
import GalleyCore
import GalleyPostgres
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import GalleyServer

/// A server over an in-memory archive with a controllable clock and four users:
/// admin, editor `erik`, analysts `anna` and `boris`. Passwords are `password-<name>`.
final class ServerFixture: Sendable {
    let archive: any ArchiveStore
    let environment: ServerEnvironment
    let time: TestClock

    /// - Parameter backend: which archive; the tests that take it run on each.
    init(_ backend: Backend = .sqlite, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        var config = ServerConfiguration()
        config.bcryptCost = 4
        config.dataDir = Scratch.path("galley-test").path
        configure(&config)
        archive = try await backend.open()
        let time = TestClock(Timestamp.canonical(Date(timeIntervalSince1970: 1_800_000_000)))
        self.time = time
        environment = ServerEnvironment(
            archive: archive, media: (archive as? PostgresArchive).map(PostgresMediaStore.init), configuration: config, clock: { time.now })
        for (name, role) in [("admin", Role.admin), ("erik", .editor), ("anna", .analyst), ("boris", .analyst)] {
            let hash = await Passwords.hash("password-\(name)", cost: 4)
            try await archive.createUser(StoredUser(name: name, role: role, passwordHash: hash, createdAt: environment.now), by: "test")
        }
        for (slug, name) in [("politics", "Politics"), ("economy", "Economy"), ("trends", "Trends")] {
            try await archive.addCategory(Category(slug: slug, name: name), by: "admin", at: environment.now)
        }
    }

    func advance(_ seconds: TimeInterval) { time.advance(seconds) }

    /// The app without its background scheduler: tests publish on schedule with `tick()` on the fixture's clock.
    func app() throws -> some ApplicationProtocol { try buildApplication(environment: environment, logger: Logger.test, scheduling: false) }

    /// What the archive holds that a failed request must not have changed.
    func footprint() async throws -> [Int64] {
        [try await archive.latestSequence(), Int64(try await archive.audit(limit: 10_000, before: nil).count)]
    }
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let value: Mutex<Date>
    init(_ start: Date) { value = Mutex(start) }
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A decoded reply.
struct Reply {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: Data

    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    var array: [Any] { (try? JSONSerialization.jsonObject(with: body)) as? [Any] ?? [] }
    var code: String? { json["code"] as? String }
    var text: String { String(decoding: body, as: UTF8.self) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try GalleyJSON.decoder().decode(T.self, from: body) }
}

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: Any? = nil, raw: Data? = nil, headers extra: HTTPFields = [:]) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        } else if let raw {
            headers[.contentType] = "application/json"
            body = ByteBuffer(bytes: raw)
        }
        let response = try await executeRequest(uri: uri, method: method, headers: headers, body: body)
        return Reply(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
    }

    func call<T: Encodable>(_ method: HTTPRequest.Method, _ uri: String, token: String?, encodable: T) async throws -> Reply {
        try await call(method, uri, token: token, raw: try GalleyJSON.encoder().encode(encodable))
    }

    func login(_ name: String, _ password: String? = nil) async throws -> String {
        let reply = try await call(.post, "/v1/sessions", json: ["name": name, "password": password ?? "password-\(name)"])
        #expect(reply.status == .created, "login \(name): \(reply.text)")
        return reply.json["token"] as? String ?? ""
    }

    func push(_ changes: [Change], token: String) async throws -> [PushResult] {
        let reply = try await call(.post, "/v1/sync/push", token: token, encodable: PushBody(changes: changes))
        #expect(reply.status == .ok, "push: \(reply.text)")
        return try reply.decode(PushResults.self).results
    }

    func pullAll(token: String, since: Int64 = 0, limit: Int = 100) async throws -> (PullPage, [PullPage]) {
        var cursor = since
        var pages: [PullPage] = []
        while true {
            let reply = try await call(.get, "/v1/sync/pull?since=\(cursor)&limit=\(limit)", token: token)
            #expect(reply.status == .ok, "pull: \(reply.text)")
            let page = try reply.decode(PullPage.self)
            pages.append(page)
            cursor = page.nextCursor
            if !page.hasMore { break }
        }
        var merged = pages[0]
        for p in pages.dropFirst() {
            merged.articles += p.articles
            merged.conflicts += p.conflicts
            merged.notes += p.notes
            merged.nextCursor = p.nextCursor
        }
        return (merged, pages)
    }

    func article(_ id: ArticleID, token: String) async throws -> Article {
        let reply = try await call(.get, "/v1/articles/\(id)", token: token)
        #expect(reply.status == .ok, "get article: \(reply.text)")
        return try reply.decode(Article.self)
    }
}

struct PushBody: Encodable { let changes: [Change] }
struct PushResults: Decodable { let results: [PushResult] }

/// Making changes as a replica would.
enum Make {
    static let replica = UUID()

    static func create(_ title: String, body: String, by author: String, category: String = "politics", tags: [String] = [], at time: Date) -> Change {
        Change(
            articleID: ArticleID.generate(at: time), baseRevision: nil,
            set: .init(title: title, lead: "Lead of \(title).", body: body, category: category), tags: SetEdit(add: tags),
            author: author, replicaID: replica, createdAt: time)
    }

    static func edit(_ article: Article, by author: String, at time: Date, _ field: ContentField = .body, _ transform: (String) -> String) -> Change {
        var change = Change(articleID: article.id, baseRevision: article.headRevision, author: author, replicaID: replica, createdAt: time)
        change.set(field, to: transform(article.content[text: field]), from: article.content)
        return change
    }
}
