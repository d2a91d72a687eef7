import AsyncHTTPClient
import Foundation
import GalleyCore
import GalleyStore
import NIOCore
import NIOHTTP1

/// The client's view of galley-server's HTTP API (Schemas/openapi.yaml).
public struct ServerAPI: Sendable {
    public let baseURL: String
    public var token: String?
    let client: HTTPClient

    /// One client for the process, which gives up connecting after 10 seconds (or
    /// `GALLEY_CONNECT_TIMEOUT`): an offline laptop should hear "cannot reach the server" soon,
    /// not after minutes of retries; a slow train connection still gets its chance.
    public static let sharedClient: HTTPClient = {
        let seconds = ProcessInfo.processInfo.environment["GALLEY_CONNECT_TIMEOUT"].flatMap(Int64.init) ?? 10
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(max(1, seconds)), read: .seconds(120))
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(baseURL: String, token: String?, client: HTTPClient = ServerAPI.sharedClient) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.token = token
        self.client = client
    }

    public struct Session: Decodable, Sendable {
        public var token: String
        public var expiresAt: Date
        public var user: User
        public struct User: Decodable, Sendable {
            public var name: String
            public var role: Role
        }
    }

    public func login(name: String, password: String) async throws -> Session {
        try await send(.POST, "/v1/sessions", json: ["name": name, "password": password], as: Session.self, authenticated: false)
    }

    public func logout() async throws {
        _ = try await raw(.DELETE, "/v1/sessions/current", body: nil)
    }

    public func push(_ changes: [Change]) async throws -> [PushResult] {
        struct Body: Encodable { let changes: [Change] }
        struct Reply: Decodable { let results: [PushResult] }
        let data = try GalleyJSON.encoder().encode(Body(changes: changes))
        return try await send(.POST, "/v1/sync/push", body: data, as: Reply.self).results
    }

    public func pull(since cursor: Int64, limit: Int) async throws -> PullPage {
        try await send(.GET, "/v1/sync/pull?since=\(cursor)&limit=\(limit)", body: nil, as: PullPage.self)
    }

    /// One article as the server has it.
    public func article(_ id: ArticleID) async throws -> Article {
        try await send(.GET, "/v1/articles/\(id)", body: nil, as: Article.self)
    }

    /// One revision of an article (it checks that its content hashes to its id on decoding).
    public func revision(_ id: RevisionID, of article: ArticleID) async throws -> Revision {
        try await send(.GET, "/v1/articles/\(article)/revisions/\(id.hex)", body: nil, as: Revision.self)
    }

    /// An image the server holds (`/media/<name>`), as bytes.
    public func media(_ name: String) async throws -> Data {
        try await raw(.GET, "/media/\(name)", body: nil, authenticated: false)
    }

    /// Uploads an image; the server stores it under the same content address.
    public func uploadMedia(_ bytes: [UInt8]) async throws {
        _ = try await raw(.POST, "/v1/media", body: Data(bytes), contentType: "application/octet-stream")
    }

    /// The archive's epoch (from /healthz, which needs no login).
    public func epoch() async throws -> String {
        struct Health: Decodable { let epoch: String }
        return try await send(.GET, "/healthz", body: nil, as: Health.self, authenticated: false).epoch
    }

    /// The names of the users who may be named as authors.
    public func authors() async throws -> [String] {
        try await send(.GET, "/v1/authors", body: nil, as: [String].self)
    }

    public func categories() async throws -> [Category] {
        try await send(.GET, "/v1/categories", body: nil, as: [Category].self)
    }

    // MARK: Plumbing

    func send<T: Decodable>(_ method: HTTPMethod, _ path: String, json: [String: String], as type: T.Type, authenticated: Bool = true) async throws -> T {
        try await send(method, path, body: try JSONSerialization.data(withJSONObject: json), as: type, authenticated: authenticated)
    }

    func send<T: Decodable>(_ method: HTTPMethod, _ path: String, body: Data?, as type: T.Type, authenticated: Bool = true) async throws -> T {
        let data = try await raw(method, path, body: body, authenticated: authenticated)
        do {
            return try GalleyJSON.decoder().decode(T.self, from: data)
        } catch {
            throw ClientError.protocolMismatch("The server's answer to \(path) is not what this client understands (\(error)). Is \(baseURL) a Galley server of a matching version?")
        }
    }

    func raw(_ method: HTTPMethod, _ path: String, body: Data?, authenticated: Bool = true, contentType: String = "application/json") async throws -> Data {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if authenticated {
            guard let token else { throw ClientError.notLoggedIn("Not logged in; run `galley login`.") }
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: .now() + .seconds(120))
        } catch {
            throw ClientError.unreachable("Cannot reach the server at \(baseURL) (\(Self.describe(error))); your changes stay in the outbox. Try `galley sync` again when online.")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw ClientError.unreachable("The connection to \(baseURL) broke off (\(Self.describe(error))); nothing was lost. Run `galley sync` again.")
        }
        let data = Data(buffer.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            let problem = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            let code = problem?["code"] as? String ?? "http_\(response.status.code)"
            let detail = problem?["detail"] as? String ?? "The server answered \(response.status.code) \(response.status.reasonPhrase)."
            // A refused login is the login's own answer; anything else refused for want of one says what to do.
            if response.status.code == 401 { throw ClientError.notLoggedIn(path == "/v1/sessions" ? detail : "\(detail) Run `galley login`.") }
            throw GalleyError(GalleyError.Code(rawValue: code), detail)
        }
        return data
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectTimeout") { return "connection timed out" }
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("deadlineExceeded") || text.contains("timeout") { return "timed out" }
        return text.count > 120 ? String(text.prefix(120)) + "…" : text
    }
}

/// Failures of the client itself, each with its exit status (documented in `galley --help`).
public enum ClientError: Error, CustomStringConvertible, Sendable {
    /// Exit 4.
    case unreachable(String)
    /// Exit 4.
    case notLoggedIn(String)
    /// Exit 1.
    case noWorkspace(String)
    case protocolMismatch(String)
    case usage(String)

    public var description: String {
        switch self {
        case .unreachable(let m), .notLoggedIn(let m), .noWorkspace(let m), .protocolMismatch(let m), .usage(let m): m
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .unreachable, .notLoggedIn: 4
        case .usage: 2
        case .noWorkspace, .protocolMismatch: 1
        }
    }
}
