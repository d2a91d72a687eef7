import Foundation
import GalleyCore
import GalleyStore
import GalleyTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOHTTP1
import Testing

@testable import GalleyServer

/// What an attacker's and a new user's first hour with the restructured server turned up: each
/// case here answered wrongly once.
@Suite struct EdgeOfTheProtocolTests {
    /// A bad token matters where a user is needed, and there it is refused with its reason and
    /// the scheme that would do; the public site, health and logging in do not care.
    @Test(arguments: Backend.all) func credentialsAreCheckedWhereAUserIsNeededOnly(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            for header in ["Bearer garbage", "Basic YTpi"] {
                let auth: HTTPFields = [.authorization: header]
                for path in ["/", "/healthz", "/feed.atom"] {
                    let reply = try await client.call(.get, path, headers: auth)
                    #expect(reply.status == .ok, "\(header) on \(path): \(reply.status)")
                }
                let login = try await client.call(.post, "/v1/sessions", json: ["name": "anna", "password": "password-anna"], headers: auth)
                #expect(login.status == .created, "an old token must not stand in the way of logging in: \(login.text)")
                let refused = try await client.call(.get, "/v1/articles", headers: auth)
                #expect(refused.status == .unauthorized && refused.headers[.wwwAuthenticate] == "Bearer", "\(refused.status) \(refused.headers)")
                #expect(refused.code == "unauthorized" && (refused.json["detail"] as? String)?.contains(header.hasPrefix("Basic") ? "Bearer" : "not valid") == true, "\(refused.text)")
            }
        }
    }

    @Test(arguments: Backend.all) func headIsAnsweredWhereverGetIs(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            for path in ["/healthz", "/", "/feed.atom", "/style.css"] {
                let reply = try await client.call(.head, path)
                #expect(reply.status == .ok && reply.body.isEmpty, "HEAD \(path): \(reply.status), \(reply.body.count) bytes")
                let get = try await client.call(.get, path)
                #expect(reply.headers[.contentLength] == String(get.body.count), "HEAD \(path) says the GET's length: \(reply.headers[.contentLength] ?? "none"), GET has \(get.body.count)")
            }
            #expect(try await client.call(.head, "/articles/nothing-here").status == .notFound)
        }
    }

    /// Each workflow command takes its own fields: an approval's "message" would be dropped
    /// without a word, a revision sent with "publish" ignored.
    @Test func aCommandWithAnotherKindsFieldIsRefused() throws {
        let revision = String(repeating: "a", count: 64)
        for body in [
            #"{"kind":"approve","revision":"\#(revision)","message":"lgtm"}"#, #"{"kind":"publish","revision":"\#(revision)"}"#,
            #"{"kind":"submit","at":"2027-01-01T00:00:00Z"}"#, #"{"kind":"request_changes","message":"m","revision":"\#(revision)"}"#,
        ] {
            #expect(throws: DecodingError.self, "\(body)") { try GalleyJSON.decoder().decode(WorkflowCommand.self, from: Data(body.utf8)) }
        }
        for body in [#"{"kind":"approve","revision":"\#(revision)"}"#, #"{"kind":"publish","at":"2027-01-01T00:00:00.000Z"}"#, #"{"kind":"retract","message":"m"}"#] {
            #expect(throws: Never.self, "\(body)") { try GalleyJSON.decoder().decode(WorkflowCommand.self, from: Data(body.utf8)) }
        }
    }

    @Test func aBodyThatIsNotHTTPIsTheClientsFault() {
        let problem = ProblemMiddleware<GalleyRequestContext>.problem(for: HTTPParserError.invalidChunkSize, logger: Logger.test)
        #expect(problem.code == .badRequest && problem.code.status == 400, "\(problem)")
    }

    @Test func namesThatAreOnlyDotsAreRefused() {
        for name in [".", "..", "..."] {
            #expect(throws: GalleyError.self, "\(name)") { try AccountRules.checkNewUserName(name) }
        }
        #expect(throws: Never.self) { try AccountRules.checkNewUserName("a.b") }
    }

    /// Twenty uploads of one image at once: each is answered as stored, and no half-written copy
    /// is left beside it.
    @Test func concurrentUploadsOfOneImageAllSucceed() async throws {
        let folder = Scratch.path("media-race")
        let media = FolderMediaStore(folder: folder)
        let bytes = Array("GIF89a".utf8) + (0..<400_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let kind = try #require(ImageKind(sniffing: bytes))
        let name = ImageKind.mediaName(for: bytes, kind: kind)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { try await media.store(bytes, as: name) } }
            try await group.waitForAll()
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(files == [name], "\(files)")
        #expect(try await media.load(name).map(Array.init) == bytes)
    }
}
