import AsyncHTTPClient
import Foundation
import GalleyCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The client's view of galley-server's HTTP API (Schemas/openapi.yaml).
package struct ServerAPI: Sendable {
    package let baseURL: String
    package var token: String?
    let client: HTTPClient

    /// One client for the process, which gives up connecting after 10 seconds (or
    /// `GALLEY_CONNECT_TIMEOUT`): an offline laptop should hear "cannot reach the server" soon,
    /// not after minutes of retries; a slow train connection still gets its chance. A connection
    /// refused or a name that does not resolve is an answer, not a slow network: it is not
    /// tried again (AsyncHTTPClient would retry it for the whole connect timeout, so a `galley
    /// sync` with the laptop offline took 10 s to say so); the next `galley sync` tries anew.
    package static let sharedClient: HTTPClient = {
        let seconds = ProcessInfo.processInfo.environment["GALLEY_CONNECT_TIMEOUT"].flatMap(Int64.init) ?? 10
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(max(1, seconds)), read: .seconds(120))
        configuration.connectionPool = .init(idleTimeout: .seconds(30))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    package init(baseURL: String, token: String?, client: HTTPClient = ServerAPI.sharedClient) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.token = token
        self.client = client
    }

    package func login(name: String, password: String) async throws -> SessionReply {
        let data = try GalleyJSON.encoder().encode(LoginRequest(name: name, password: password))
        return try await send(.POST, "/v1/sessions", body: data, as: SessionReply.self, authenticated: false)
    }

    package func logout() async throws {
        _ = try await raw(.DELETE, "/v1/sessions/current", body: nil)
    }

    package func push(_ changes: [Change]) async throws -> [PushResult] {
        let data = try GalleyJSON.encoder().encode(PushRequest(changes: changes))
        return try await send(.POST, "/v1/sync/push", body: data, as: PushReply.self).results
    }

    package func pull(since cursor: Int64, limit: Int) async throws -> PullPage {
        try await send(.GET, "/v1/sync/pull?since=\(cursor)&limit=\(limit)", body: nil, as: PullPage.self)
    }

    /// Downloads the server's prepared replica (a SQLite file) for this replica schema into
    /// `file`, streamed to disk and never whole in memory. False when the server has none for
    /// this user and schema (or is too old to make them): then the sync pulls page by page.
    package func downloadSnapshot(schema: String, to file: URL) async throws -> Bool {
        guard let token else { throw ClientError.notLoggedIn("Not logged in; run `galley login`.") }
        let query = schema.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        var request = HTTPClientRequest(url: baseURL + "/v1/sync/snapshot?schema=" + query)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: .now() + .hours(2))
        } catch {
            throw ClientError.unreachable("Cannot reach the server at \(baseURL) (\(Self.describe(error))). Your changes stay in the outbox; try `galley sync` again when online.")
        }
        guard response.status == .ok else {
            let data = Data(((try? await response.body.collect(upTo: 1 << 20)) ?? ByteBuffer()).readableBytesView)
            if response.status == .notFound { return false }
            let problem = Self.problem(in: data, status: Int(response.status.code), reason: response.status.reasonPhrase)
            if problem.code.status == 401 { throw ClientError.notLoggedIn("\(problem.message) Run `galley login`.") }
            throw problem
        }
        guard FileManager.default.createFile(atPath: file.path, contents: nil), let handle = FileHandle(forWritingAtPath: file.path) else {
            throw ClientError.protocolMismatch("Cannot write \(file.path) to keep the server's prepared replica in; check that the workspace's .galley folder is writable.")
        }
        defer { try? handle.close() }
        do {
            for try await buffer in response.body { try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: $0) } }
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw ClientError.unreachable("The connection to \(baseURL) broke off (\(Self.describe(error))); nothing was lost. Run `galley sync` again.")
        }
        return true
    }

    /// One article as the server has it.
    package func article(_ id: ArticleID) async throws -> Article {
        try await send(.GET, "/v1/articles/\(id)", body: nil, as: Article.self)
    }

    /// One revision of an article (it checks that its content hashes to its id on decoding).
    package func revision(_ id: RevisionID, of article: ArticleID) async throws -> Revision {
        try await send(.GET, "/v1/articles/\(article)/revisions/\(id.hex)", body: nil, as: Revision.self)
    }

    /// An image the server holds (`/media/<name>`), as bytes.
    package func media(_ name: String) async throws -> Data {
        try await raw(.GET, "/media/\(name)", body: nil, authenticated: false)
    }

    /// Uploads an image; the server stores it under the same content address.
    package func uploadMedia(_ bytes: [UInt8]) async throws {
        _ = try await raw(.POST, "/v1/media", body: Data(bytes), contentType: "application/octet-stream")
    }

    /// The archive's epoch (from /healthz, which needs no login).
    package func epoch() async throws -> String {
        struct Health: Decodable { let epoch: String }
        return try await send(.GET, "/healthz", body: nil, as: Health.self, authenticated: false).epoch
    }

    /// The names of the users who may be named as authors.
    package func authors() async throws -> [String] {
        try await send(.GET, "/v1/authors", body: nil, as: [String].self)
    }

    package func categories() async throws -> [Category] {
        try await send(.GET, "/v1/categories", body: nil, as: [Category].self)
    }

    // MARK: Plumbing

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
            let retry = path == "/v1/sessions" ? "Try `galley login` again when online." : "Your changes stay in the outbox; try `galley sync` again when online."
            throw ClientError.unreachable("Cannot reach the server at \(baseURL) (\(Self.describe(error))). \(retry)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw ClientError.unreachable("The connection to \(baseURL) broke off (\(Self.describe(error))); nothing was lost. Run `galley sync` again.")
        }
        let data = Data(buffer.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            let problem = Self.problem(in: data, status: Int(response.status.code), reason: response.status.reasonPhrase)
            // A refused login is the login's own answer; anything else refused for want of one says what to do.
            if problem.code.status == 401 {
                throw ClientError.notLoggedIn(path == "/v1/sessions" ? problem.message : "\(problem.message) Run `galley login`.")
            }
            throw problem
        }
        return data
    }

    /// The problem document of a refusal; an answer that is not one (a proxy's page, say) is
    /// described by its status.
    static func problem(in data: Data, status: Int, reason: String) -> GalleyError {
        if let problem = try? GalleyJSON.decoder().decode(GalleyError.self, from: data) { return problem }
        return GalleyError(.unrecognized(status: status), "The server answered \(status) \(reason).")
    }

    /// A transport failure in a few words, by its type: AsyncHTTPClient's own errors, and NIO's
    /// for a connection that could not be made.
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError:
            if error == .connectTimeout { return "connection timed out" }
            if error == .deadlineExceeded || error == .readTimeout || error == .writeTimeout { return "timed out" }
            if error == .remoteConnectionClosed { return "the server closed the connection" }
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return describe(first.error) }
            if error.dnsAError != nil || error.dnsAAAAError != nil { return "the name \(error.host) could not be resolved" }
        case let error as IOError:
            return error.errnoCode == ECONNREFUSED ? "connection refused" : String(cString: strerror(error.errnoCode))
        case ChannelError.connectTimeout:
            return "connection timed out"
        default:
            break
        }
        let text = String(describing: error)
        return text.count > 120 ? String(text.prefix(120)) + "…" : text
    }
}

/// Failures of the client itself, each with its exit status (documented in `galley --help`).
package enum ClientError: Error, CustomStringConvertible, Sendable {
    /// Exit 4.
    case unreachable(String)
    /// Exit 4.
    case notLoggedIn(String)
    /// Exit 1.
    case noWorkspace(String)
    case protocolMismatch(String)
    case usage(String)

    package var description: String {
        switch self {
        case .unreachable(let m), .notLoggedIn(let m), .noWorkspace(let m), .protocolMismatch(let m), .usage(let m): m
        }
    }

    package var exitCode: Int32 {
        switch self {
        case .unreachable, .notLoggedIn: 4
        case .usage: 2
        case .noWorkspace, .protocolMismatch: 1
        }
    }
}
