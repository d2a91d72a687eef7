import Foundation
import GalleyTestSupport
import GalleyCore
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GalleyServer

/// Every route, asked by nobody, by the article's author (analyst `anna`), by another analyst
/// (`boris`), by an editor and by an admin, each on a fresh archive, against a table of the
/// expected answers. `200:applied` means HTTP 200 and that push result.
@Suite struct AuthorizationMatrixTests {
    static let callers = ["anonymous", "anna", "boris", "erik", "admin"]

    /// method, path (with {id} = Anna's submitted draft, {pid} = her published article,
    /// {rev} = the draft's head), then the expected outcome for each caller in order.
    static let table: [(String, String, [String])] = [
        ("get", "/healthz", ["200", "200", "200", "200", "200"]),
        ("get", "/metrics", ["200", "200", "200", "200", "200"]),
        ("get", "/openapi.yaml", ["200", "200", "200", "200", "200"]),
        ("post", "/v1/sessions", ["401", "201", "201", "201", "201"]),
        ("delete", "/v1/sessions/current", ["401", "204", "204", "204", "204"]),
        ("get", "/v1/me", ["401", "200", "200", "200", "200"]),
        ("get", "/v1/users", ["401", "403", "403", "403", "200"]),
        ("post", "/v1/users", ["401", "403", "403", "403", "201"]),
        ("post", "/v1/users/{name}/disable", ["401", "403", "403", "403", "200"]),
        ("post", "/v1/users/{name}/enable", ["401", "403", "403", "403", "200"]),
        ("put", "/v1/users/{name}/role", ["401", "403", "403", "403", "200"]),
        ("post", "/v1/sync/push", ["401", "200:applied", "200:rejected", "200:applied", "200:applied"]),
        ("get", "/v1/sync/pull", ["401", "200", "200", "200", "200"]),
        // Asked without the replica schema it is for (SnapshotSyncTests ask with it).
        ("get", "/v1/sync/snapshot", ["401", "400", "400", "400", "400"]),
        ("get", "/v1/articles", ["401", "200", "200", "200", "200"]),
        ("get", "/v1/articles/{id}", ["401", "200", "404", "200", "200"]),
        ("get", "/v1/articles/{pid}", ["401", "200", "200", "200", "200"]),
        ("get", "/v1/articles/{id}/revisions", ["401", "200", "404", "200", "200"]),
        ("get", "/v1/articles/{pid}/revisions", ["401", "200", "404", "200", "200"]),
        ("get", "/v1/articles/{id}/revisions/{revision}", ["401", "200", "404", "200", "200"]),
        ("get", "/v1/articles/{id}/diff", ["401", "200", "404", "200", "200"]),
        ("post", "/v1/articles/{id}/transitions", ["401", "403", "404", "200", "200"]),
        ("post", "/v1/articles/{pid}/transitions", ["401", "403", "403", "200", "200"]),
        ("post", "/v1/articles/{id}/notes", ["401", "201", "404", "201", "201"]),
        ("post", "/v1/articles/{pid}/notes", ["401", "201", "403", "201", "201"]),
        ("get", "/v1/review-queue", ["401", "403", "403", "200", "200"]),
        ("get", "/v1/search", ["401", "200", "200", "200", "200"]),
        ("get", "/v1/categories", ["401", "200", "200", "200", "200"]),
        ("get", "/v1/authors", ["401", "200", "200", "200", "200"]),
        ("post", "/v1/categories", ["401", "403", "403", "403", "201"]),
        ("get", "/v1/audit", ["401", "403", "403", "403", "200"]),
        ("post", "/v1/media", ["401", "201", "201", "201", "201"]),
        ("get", "/media/{name}", ["404", "404", "404", "404", "404"]),
        ("get", "/", ["200", "200", "200", "200", "200"]),
        ("get", "/articles/{slug}", ["200", "200", "200", "200", "200"]),
        ("get", "/articles/{draftslug}", ["404", "404", "404", "404", "404"]),
        ("get", "/categories/{slug}", ["200", "200", "200", "200", "200"]),
        ("get", "/categories/{slug}/feed.atom", ["200", "200", "200", "200", "200"]),
        ("get", "/tags/{tag}", ["200", "200", "200", "200", "200"]),
        ("get", "/search", ["200", "200", "200", "200", "200"]),
        ("get", "/feed.atom", ["200", "200", "200", "200", "200"]),
        ("get", "/style.css", ["200", "200", "200", "200", "200"]),
        // The desk: each caller signed in by the desk's cookie (anonymous: none), forms posted
        // with the session's token.
        ("get", "/desk", ["303", "200", "200", "200", "200"]),
        ("get", "/desk/login", ["200", "303", "303", "303", "303"]),
        ("post", "/desk/login", ["401", "303", "303", "303", "303"]),
        ("post", "/desk/logout", ["303", "303", "303", "303", "303"]),
        ("get", "/desk/desk.css", ["200", "200", "200", "200", "200"]),
        ("get", "/desk/articles/{id}", ["303", "200", "404", "200", "200"]),
        ("post", "/desk/articles/{id}/approve", ["303", "403", "404", "303", "303"]),
        ("post", "/desk/articles/{id}/request-changes", ["303", "403", "404", "303", "303"]),
        ("post", "/desk/articles/{id}/publish", ["303", "403", "404", "409", "409"]),
        ("post", "/desk/articles/{pid}/retract", ["303", "403", "404", "303", "303"]),
        ("post", "/desk/articles/{id}/notes", ["303", "303", "404", "303", "303"]),
        ("get", "/desk/admin", ["303", "403", "403", "403", "200"]),
        ("post", "/desk/admin/users", ["303", "403", "403", "403", "303"]),
        ("post", "/desk/admin/users/{name}/disable", ["303", "403", "403", "403", "303"]),
        ("post", "/desk/admin/users/{name}/enable", ["303", "403", "403", "403", "303"]),
        ("post", "/desk/admin/users/{name}/role", ["303", "403", "403", "403", "303"]),
        ("post", "/desk/admin/categories", ["303", "403", "403", "403", "303"]),
        ("get", "/desk/admin/audit", ["303", "403", "403", "403", "200"]),
    ]

    struct Case: CustomTestStringConvertible, Sendable {
        let method: String
        let path: String
        let caller: String
        let expected: String
        var testDescription: String { "\(method.uppercased()) \(path) as \(caller)" }
    }

    static var cases: [Case] {
        table.flatMap { method, path, outcomes in
            zip(callers, outcomes).map { Case(method: method, path: path, caller: $0, expected: $1) }
        }
    }

    @Test(arguments: Backend.all) func theTableCoversEveryRoute(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        let routed = Set(try routeTable(fixture.environment).map { "\($0.method) \($0.path)" })
        let covered = Set(Self.table.map {
            "\($0.0) \($0.1.replacingOccurrences(of: "{pid}", with: "{id}").replacingOccurrences(of: "{draftslug}", with: "{slug}"))"
        })
        #expect(routed == covered, "uncovered: \(routed.subtracting(covered).sorted()); unknown: \(covered.subtracting(routed).sorted())")
    }

    @Test(arguments: cases)
    func answer(_ c: Case) async throws {
        let fixture = try await ServerFixture()
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let erik = try await client.login("erik")
            // Anna's submitted draft, and her published article.
            let draft = Make.create("Minsk and Beijing", body: "Paragraph.\n", by: "anna", at: fixture.environment.now)
            let live = Make.create("Potash exports", body: "Potash paragraph.\n", by: "anna", tags: ["china"], at: fixture.environment.now)
            _ = try await client.push([draft, live], token: anna)
            for id in [draft.articleID, live.articleID] {
                _ = try await client.call(.post, "/v1/articles/\(id)/transitions", token: anna, json: ["kind": "submit"])
            }
            let liveHead = try await client.article(live.articleID, token: erik).headRevision
            _ = try await client.call(.post, "/v1/articles/\(live.articleID)/transitions", token: erik, json: ["kind": "approve", "revision": liveHead.hex])
            let published = try await client.call(.post, "/v1/articles/\(live.articleID)/transitions", token: erik, json: ["kind": "publish"])
            #expect(published.status == .ok)
            let head = try await client.article(draft.articleID, token: erik)

            let token: String? = c.caller == "anonymous" ? nil : try await client.login(c.caller)
            let path = c.path.replacingOccurrences(of: "{id}", with: draft.articleID.description)
                .replacingOccurrences(of: "{pid}", with: live.articleID.description)
                .replacingOccurrences(of: "{revision}", with: head.headRevision.hex)
                .replacingOccurrences(of: "{name}", with: c.path.hasPrefix("/media") ? "\(String(repeating: "a", count: 64)).png" : "boris")
                .replacingOccurrences(of: "{draftslug}", with: head.content.slug)
                .replacingOccurrences(of: "/categories/{slug}", with: "/categories/politics")
                .replacingOccurrences(of: "{slug}", with: "potash-exports")
                .replacingOccurrences(of: "{tag}", with: "china")
            let target = c.path.contains("{pid}") ? try await client.article(live.articleID, token: erik) : head
            let method = HTTPRequest.Method(rawValue: c.method.uppercased())!
            let reply: Reply
            let desk = DeskBrowser(client)
            // Signed in on the desk first, except to sign in (the post of its form is the sign-in).
            if c.path.hasPrefix("/desk"), c.caller != "anonymous", (c.method, c.path) != ("post", "/desk/login") {
                #expect(try await desk.signIn(c.caller).status == .seeOther)
            }
            switch (c.method, c.path) {
            case ("get", let p) where p.hasPrefix("/desk"):
                reply = try await desk.request(.get, path)
            case ("post", "/desk/login"):
                let page = try await desk.request(.get, path)
                let name = c.caller == "anonymous" ? "nobody" : c.caller
                reply = try await desk.request(.post, path, form: [("name", name), ("password", "password-\(name)"), ("csrf", DeskBrowser.formToken(page) ?? "")])
            case ("post", let p) where p.hasPrefix("/desk/admin/"):
                let page = try await desk.request(.get, "/desk")
                reply = try await desk.request(.post, path, form: [
                    ("csrf", DeskBrowser.formToken(page) ?? ""), ("name", "society"), ("role", "analyst"), ("password", "a long enough password"),
                    ("slug", "society"),
                ])
            case ("post", let p) where p.hasPrefix("/desk/articles/"):
                let page = try await desk.request(.get, "/desk")
                reply = try await desk.request(.post, path, form: [
                    ("csrf", DeskBrowser.formToken(page) ?? ""), ("revision", target.headRevision.hex), ("message", "The figures were wrong."),
                    ("text", "Please cite the source."), ("at", ""),
                ])
            case ("post", "/desk/logout"):
                let page = try await desk.request(.get, "/desk")
                reply = try await desk.request(.post, path, form: [("csrf", DeskBrowser.formToken(page) ?? "")])
            case ("post", "/v1/sessions"):
                let name = c.caller == "anonymous" ? "nobody" : c.caller
                reply = try await client.call(.post, path, json: ["name": name, "password": "password-\(name)"])
            case ("post", "/v1/users"):
                reply = try await client.call(.post, path, token: token, json: ["name": "newcomer", "role": "analyst", "password": "a long enough password"])
            case ("post", "/v1/sync/push"):
                let edit = Make.edit(target, by: c.caller, at: fixture.environment.now) { $0 + "\nMore.\n" }
                reply = try await client.call(.post, path, token: token, encodable: PushBody(changes: [edit]))
            case ("post", let p) where p.hasSuffix("/transitions"):
                let command: [String: Any] = c.path.contains("{pid}")
                    ? ["kind": "retract", "message": "The figures were wrong."]
                    : ["kind": "approve", "revision": target.headRevision.hex]
                reply = try await client.call(.post, path, token: token, json: command)
            case ("post", let p) where p.hasSuffix("/notes"):
                reply = try await client.call(.post, path, token: token, json: ["text": "Please cite the source."])
            case ("put", "/v1/users/{name}/role"):
                reply = try await client.call(.put, path, token: token, json: ["role": "editor"])
            case ("post", "/v1/categories"):
                reply = try await client.call(.post, path, token: token, json: ["slug": "society", "name": "Society"])
            case ("get", "/v1/search"), ("get", "/search"):
                reply = try await client.call(.get, path + "?q=minsk", token: token)
            case ("post", "/v1/media"):
                var headers = HTTPFields()
                if let token { headers[.authorization] = "Bearer \(token)" }
                let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3]
                let response = try await client.executeRequest(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: png))
                reply = Reply(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
            default:
                reply = try await client.call(method, path, token: token)
            }
            let parts = c.expected.split(separator: ":").map(String.init)
            #expect(String(reply.status.code) == parts[0], "\(c.testDescription): \(reply.status.code) \(reply.text.prefix(300))")
            if reply.status.code >= 400, c.path.hasPrefix("/desk") {
                // The desk answers a person: a page that says what went wrong.
                #expect(reply.headers[.contentType] == "text/html; charset=utf-8")
            } else if reply.status.code >= 400 {
                #expect(reply.headers[.contentType] == "application/problem+json")
                #expect(reply.code != nil && !(reply.json["detail"] as? String ?? "").isEmpty)
            }
            if parts.count > 1 {
                let results = try reply.decode(PushResults.self).results
                #expect(results.first?.status.rawValue == parts[1], "\(c.testDescription): \(results)")
            }
        }
    }
}
