import Foundation
import GalleyTestSupport
import GalleyCore
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GalleyServer

/// Bad input gets a clear 4xx problem with a stable code, never a 500, and writes nothing.
@Suite struct BadInputTests {
    @Test(arguments: Backend.all) func eachBadInputHasItsStatusAndCodeAndWritesNothing(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let create = Make.create("Base", body: "Body.\n", by: "anna", at: fixture.environment.now)
            _ = try await client.push([create], token: anna)
            let before = try await fixture.footprint()

            struct Bad {
                let name: String
                let method: HTTPRequest.Method
                let path: String
                let raw: Data?
                let token: String?
                let status: Int
                let code: String
                var field: String? = nil
            }
            let huge = Data("{\"changes\":[\"".utf8) + Data(repeating: 0x61, count: 9 << 20) + Data("\"]}".utf8)
            let change = try String(decoding: GalleyJSON.encoder().encode(Make.create("X", body: "y", by: "anna", at: fixture.environment.now)), as: UTF8.self)
            let wrongType = change.replacingOccurrences(of: "\"title\":\"X\"", with: "\"title\":42")
            let cases = [
                Bad(name: "too large", method: .post, path: "/v1/sync/push", raw: huge, token: anna, status: 413, code: "too_large"),
                Bad(name: "not JSON", method: .post, path: "/v1/sync/push", raw: Data("{changes: [".utf8), token: anna, status: 400, code: "malformed"),
                Bad(name: "invalid UTF-8", method: .post, path: "/v1/sync/push", raw: Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D]), token: anna, status: 400, code: "malformed"),
                Bad(name: "wrong type", method: .post, path: "/v1/sync/push", raw: Data("{\"changes\":[\(wrongType)]}".utf8), token: anna, status: 400, code: "malformed", field: "changes[0].set.title"),
                Bad(name: "unknown field", method: .post, path: "/v1/sync/push", raw: Data("{\"chunks\":[]}".utf8), token: anna, status: 400, code: "malformed", field: "chunks"),
                Bad(name: "a key twice", method: .post, path: "/v1/sync/push", raw: Data("{\"changes\":[],\"changes\":[]}".utf8), token: anna, status: 400, code: "malformed", field: "changes"),
                Bad(name: "a key twice, once escaped", method: .post, path: "/v1/sync/push", raw: Data(#"{"changes":[{"author":"anna","\u0061uthor":"boris"}]}"#.utf8), token: anna, status: 400, code: "malformed", field: "author"),
                Bad(name: "missing field", method: .post, path: "/v1/sync/push", raw: Data("{}".utf8), token: anna, status: 400, code: "malformed", field: "changes"),
                Bad(name: "empty body", method: .post, path: "/v1/articles/\(create.articleID)/notes", raw: nil, token: anna, status: 400, code: "malformed"),
                Bad(name: "unknown article", method: .get, path: "/v1/articles/0193a5f2-7c4e-7a10-9b3d-5e6f70812345", raw: nil, token: anna, status: 404, code: "not_found"),
                Bad(name: "not an id", method: .get, path: "/v1/articles/abc", raw: nil, token: anna, status: 404, code: "not_found"),
                Bad(name: "unknown revision", method: .get, path: "/v1/articles/\(create.articleID)/revisions/\(String(repeating: "0", count: 64))", raw: nil, token: anna, status: 404, code: "not_found"),
                Bad(name: "no token", method: .get, path: "/v1/articles", raw: nil, token: nil, status: 401, code: "unauthorized"),
                Bad(name: "tampered token", method: .get, path: "/v1/articles", raw: nil, token: anna + "x", status: 401, code: "unauthorized"),
                Bad(name: "wrong role", method: .get, path: "/v1/audit", raw: nil, token: anna, status: 403, code: "not_allowed"),
                Bad(name: "bad query", method: .get, path: "/v1/search?q=%22unbalanced", raw: nil, token: anna, status: 400, code: "bad_query"),
                Bad(name: "limit out of range", method: .get, path: "/v1/sync/pull?limit=100000", raw: nil, token: anna, status: 400, code: "malformed", field: "limit"),
                Bad(name: "unknown state", method: .get, path: "/v1/articles?state=lost", raw: nil, token: anna, status: 400, code: "malformed", field: "state"),
                Bad(name: "unknown command", method: .post, path: "/v1/articles/\(create.articleID)/transitions", raw: Data("{\"kind\":\"teleport\"}".utf8), token: anna, status: 400, code: "malformed"),
                Bad(name: "analyst publishes", method: .post, path: "/v1/articles/\(create.articleID)/transitions", raw: Data("{\"kind\":\"publish\"}".utf8), token: anna, status: 403, code: "not_allowed"),
                Bad(name: "wrong method", method: .put, path: "/v1/articles", raw: nil, token: anna, status: 405, code: "method_not_allowed"),
                Bad(name: "wrong method, templated path", method: .delete, path: "/v1/articles/\(create.articleID)/notes", raw: nil, token: anna, status: 405, code: "method_not_allowed"),
                Bad(name: "no such address", method: .get, path: "/v1/articles/\(create.articleID)/nothing", raw: nil, token: anna, status: 404, code: "not_found"),
            ]
            for bad in cases {
                let reply = try await client.call(bad.method, bad.path, token: bad.token, raw: bad.raw)
                #expect(Int(reply.status.code) == bad.status, "\(bad.name): \(reply.status.code) \(reply.text.prefix(200))")
                #expect(reply.code == bad.code, "\(bad.name): code \(reply.code ?? "none")")
                #expect(reply.headers[.contentType] == "application/problem+json", "\(bad.name)")
                #expect(!(reply.json["detail"] as? String ?? "").isEmpty, "\(bad.name): no message")
                if let field = bad.field { #expect(reply.json["field"] as? String == field, "\(bad.name): field \(reply.json["field"] ?? "none")") }
                if bad.status == 405 {
                    let allow = reply.headers[.allow] ?? ""
                    #expect(!allow.isEmpty && !allow.contains(bad.method.rawValue), "\(bad.name): Allow \(allow)")
                }
            }
            // The refused publish is audited, which is the point of the audit log; nothing else was written.
            let after = try await fixture.footprint()
            #expect(after[0] == before[0], "no event was written by any bad request")
            #expect(after[1] == before[1] + 1, "only the refused publish reached the audit log")
        }
    }

    @Test func tokensExpireDieWithDisabledUsersAndLogoutAndGuessingIsThrottled() async throws {
        let fixture = try await ServerFixture { $0.tokenTTLDays = 1; $0.loginAttemptsPerMinute = 3 }
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            #expect(try await client.call(.get, "/v1/me", token: anna).status == .ok)
            fixture.advance(86_400 + 1)
            let expired = try await client.call(.get, "/v1/me", token: anna)
            #expect(expired.status == .unauthorized && expired.code == "token_expired")

            let boris = try await client.login("boris")
            let admin = try await client.login("admin")
            #expect(try await client.call(.post, "/v1/users/boris/disable", token: admin).status == .ok)
            #expect(try await client.call(.get, "/v1/me", token: boris).status == .unauthorized)
            let relogin = try await client.call(.post, "/v1/sessions", json: ["name": "boris", "password": "password-boris"])
            #expect(relogin.status == .unauthorized && relogin.code == "user_disabled")

            let erik = try await client.login("erik")
            #expect(try await client.call(.delete, "/v1/sessions/current", token: erik).status == .noContent)
            #expect(try await client.call(.get, "/v1/me", token: erik).status == .unauthorized)

            for _ in 0..<3 {
                let wrong = try await client.call(.post, "/v1/sessions", json: ["name": "erik", "password": "guess"])
                #expect(wrong.status == .unauthorized && wrong.code == "wrong_credentials")
            }
            let throttled = try await client.call(.post, "/v1/sessions", json: ["name": "erik", "password": "password-erik"])
            #expect(throttled.status == .tooManyRequests && throttled.code == "too_many_attempts")
            #expect(Int(throttled.headers[.retryAfter] ?? "") ?? 0 > 0)
            fixture.advance(61)
            _ = try await client.login("erik")
        }
    }

    /// The structure scan that refuses a key twice in one object: strings that look like JSON,
    /// escapes, and the same key in sibling objects are no repetition.
    @Test func aKeyTwiceInOneObjectIsFoundAndOnlyThat() {
        #expect(JSONKeys.repeated(in: Data(#"{"role":"admin","role":"analyst"}"#.utf8)) == "role")
        #expect(JSONKeys.repeated(in: Data(#"{"role":"admin","r\u006fle":"analyst"}"#.utf8)) == "role")
        #expect(JSONKeys.repeated(in: Data(#"{"a":{"b":1,"c":{"b":2}},"b":[{"x":1},{"x":2}]}"#.utf8)) == nil)
        #expect(JSONKeys.repeated(in: Data(#"{"a":"{\"a\":1, \"a\":2}","b":"]}","c":1}"#.utf8)) == nil)
        #expect(JSONKeys.repeated(in: Data(#"{"a":1,"b":{"k":1},"a":2}"#.utf8)) == "a")
        #expect(JSONKeys.repeated(in: Data(#"{"тэкст":1,"тэкст":2}"#.utf8)) == "тэкст")
        #expect(JSONKeys.repeated(in: Data(#"[{"a":1,"a""#.utf8)) == "a", "a truncated body is the decoder's to refuse; the scan still reads it")
    }

    /// An admin gives a user another role through the API: it holds at once in the user's open
    /// session, is audited, and is refused for one's own account, an unknown user or role, and
    /// anything but exactly `{"role": …}`.
    @Test(arguments: Backend.all) func anAdminChangesARoleThroughTheAPI(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let boris = try await client.login("boris")
            let admin = try await client.login("admin")
            #expect(try await client.call(.get, "/v1/review-queue", token: boris).status == .forbidden)
            let changed = try await client.call(.put, "/v1/users/boris/role", token: admin, json: ["role": "editor"])
            #expect(changed.status == .ok && changed.json["role"] as? String == "editor")
            #expect(try await client.call(.get, "/v1/review-queue", token: boris).status == .ok, "the new role did not hold in the open session")
            #expect(try await fixture.archive.audit(limit: 10, before: nil).contains { $0.action == "user_role" && $0.detail == "boris: analyst → editor" && $0.actor == "admin" })
            // Adding a user is the admin's act in the audit log too, not the system's.
            #expect(try await client.call(.post, "/v1/users", token: admin, json: ["name": "olga", "role": "admin", "password": "a long enough password"]).status == .created)
            #expect(try await fixture.archive.audit(limit: 10, before: nil).contains { $0.action == "user_add" && $0.detail == "olga (admin)" && $0.actor == "admin" })

            let before = try await fixture.footprint()
            #expect(try await client.call(.put, "/v1/users/boris/role", token: admin, json: ["role": "editor"]).status == .ok, "the role it has is no error")
            let own = try await client.call(.put, "/v1/users/admin/role", token: admin, json: ["role": "analyst"])
            #expect(own.status == .conflict && own.text.contains("your own role"))
            #expect(try await client.call(.put, "/v1/users/nobody/role", token: admin, json: ["role": "editor"]).status == .notFound)
            let twice = try await client.call(.put, "/v1/users/anna/role", token: admin, raw: Data(#"{"role":"admin","role":"analyst"}"#.utf8))
            #expect(twice.status == .badRequest && twice.text.contains("twice"), "\(twice.text)")
            for body in [["role": "owner"], ["role": "admin", "name": "anna"], [:]] as [[String: Any]] {
                let bad = try await client.call(.put, "/v1/users/anna/role", token: admin, json: body)
                #expect(bad.status == .badRequest, "\(body): \(bad.status)")
            }
            #expect(try await client.call(.put, "/v1/users/anna/role", token: boris, json: ["role": "admin"]).status == .forbidden)
            #expect(try await fixture.footprint() == before, "a refused or empty role change wrote something")
            #expect(try await fixture.archive.user(named: "anna")?.role == .analyst)
        }
    }

    @Test(arguments: Backend.all) func theServerSetsTheAuthorFromTheToken(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let boris = try await client.login("boris")
            // Boris claims to be Anna.
            let forged = Make.create("Forged", body: "x\n", by: "anna", at: fixture.environment.now)
            _ = try await client.push([forged], token: boris)
            let article = try await client.article(forged.articleID, token: boris)
            #expect(article.authors == ["boris"])
            let revisions = try await fixture.archive.revisions(of: forged.articleID)
            #expect(revisions.allSatisfy { $0.author == "boris" })
        }
    }
}
