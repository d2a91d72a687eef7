import Foundation
import GalleyCore
import GalleyStore
import GalleyTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GalleyServer

/// A browser on the desk: keeps the cookies the server sets (by name; the test checks their
/// paths itself) and posts forms as a page would.
final class DeskBrowser: @unchecked Sendable {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    /// Every Set-Cookie line the last answer carried.
    var lastSetCookies: [String] = []

    init(_ client: any TestClientProtocol) { self.client = client }

    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ uri: String, form: [(String, String)]? = nil, contentType: String? = nil, headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        var headers: HTTPFields = [.accept: "text/html"]
        headers.append(contentsOf: extra)
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        var body: ByteBuffer?
        if let form {
            headers[.contentType] = contentType ?? "application/x-www-form-urlencoded"
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            let encoded = form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&")
            body = ByteBuffer(string: encoded)
        }
        let response = try await client.executeRequest(uri: uri, method: method, headers: headers, body: body)
        lastSetCookies = response.headers[values: .setCookie]
        for line in lastSetCookies {
            let pair = line.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let (name, value) = (String(pair[0]), pair.count > 1 ? String(pair[1]) : "")
            if value.isEmpty || line.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return Reply(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
    }

    /// The value of a page's hidden `csrf` field.
    static func formToken(_ page: Reply) -> String? {
        guard let range = page.text.range(of: #"name="csrf" value="([^"]*)""#, options: .regularExpression) else { return nil }
        return page.text[range].split(separator: "\"").dropFirst(3).first.map(String.init)
    }

    /// Signs in through the sign-in page; returns the answer to the form's post.
    @discardableResult
    func signIn(_ name: String, password: String? = nil) async throws -> Reply {
        let page = try await request(.get, "/desk/login")
        let token = try #require(Self.formToken(page), "no form token on the sign-in page: \(page.text)")
        return try await request(.post, "/desk/login", form: [("name", name), ("password", password ?? "password-\(name)"), ("csrf", token)])
    }
}

/// The editors' desk: signing in and out with a cookie, forms that only the desk's own page
/// can post, and a queue that shows each role what it may see.
@Suite struct DeskTests {
    @Test(arguments: Backend.all) func anEditorSignsInAndSeesWhatWaitsForReview(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            let draft = Make.create("Мінск <і> Пекін", body: "Абзац.\n", by: "anna", at: fixture.environment.now)
            let other = Make.create("Boris's own", body: "Text.\n", by: "boris", at: fixture.environment.now)
            _ = try await client.push([draft], token: anna)
            _ = try await client.push([other], token: boris)
            #expect(try await client.call(.post, "/v1/articles/\(draft.articleID)/transitions", token: anna, json: ["kind": "submit"]).status == .ok)
            #expect(try await client.call(.post, "/v1/articles/\(draft.articleID)/notes", token: anna, json: ["text": "Sources in the footnotes."]).status == .created)

            let browser = DeskBrowser(client)
            let before = try await browser.request(.get, "/desk")
            #expect(before.status == .seeOther && before.headers[.location] == "/desk/login")
            let page = try await browser.request(.get, "/desk/login")
            #expect(page.status == .ok && page.text.contains("<label for=\"password\">"))
            let loginCookie = try #require(browser.lastSetCookies.first { $0.hasPrefix("galley_desk_login=") })
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/desk/login"] { #expect(loginCookie.contains(attribute), "\(loginCookie)") }

            let signedIn = try await browser.signIn("erik")
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/desk")
            let session = try #require(browser.lastSetCookies.first { $0.hasPrefix("galley_desk=") })
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/desk", "Max-Age=\(12 * 3600)"] { #expect(session.contains(attribute), "\(session)") }
            #expect(!session.contains("Secure"), "an http server's cookie cannot be Secure: \(session)")
            #expect(browser.cookies["galley_desk_login"] == nil, "the sign-in form's token outlived the sign-in")

            let queue = try await browser.request(.get, "/desk")
            #expect(queue.status == .ok && queue.headers[.cacheControl] == "no-store")
            let policy = queue.headers[.contentSecurityPolicy] ?? ""
            #expect(policy.contains("img-src 'self' data:;") && !policy.contains("https:"), "a draft's remote image would tell its server who read it: \(policy)")
            let waiting = try #require(queue.text.range(of: "Waiting for review").map { String(queue.text[$0.lowerBound...]) })
            let section = String(waiting.prefix(while: { $0 != "§" }).components(separatedBy: "</section>")[0])
            #expect(section.contains("Мінск &lt;і&gt; Пекін") && section.contains("<td data-label=\"Author\">anna</td>") && section.contains("1 note"), "\(section)")
            #expect(!queue.text.contains("Мінск <і>"), "the title reached the page unescaped")
            #expect(!queue.text.contains("Boris's own"), "a draft nobody submitted is in the review queue")
            #expect(queue.text.contains("erik (editor)") && DeskBrowser.formToken(queue) != nil)

            // An analyst sees their own articles, not another's.
            let analyst = DeskBrowser(client)
            try await analyst.signIn("boris")
            let own = try await analyst.request(.get, "/desk")
            #expect(own.status == .ok && own.text.contains("Your articles") && own.text.contains("<td data-label=\"Author\">boris</td>"), "\(own.text)")
            #expect(!own.text.contains("Пекін") && !own.text.contains("Review queue"))
        }
    }

    @Test(arguments: Backend.all) func signingInIsRefusedAsTheAPIRefusesIt(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend) { $0.loginAttemptsPerMinute = 3 }
        try await fixture.app().test(.router) { client in
            let browser = DeskBrowser(client)
            let wrong = try await browser.signIn("erik", password: "not the password")
            #expect(wrong.status == .unauthorized && wrong.text.contains("Wrong user name or password.") && wrong.text.contains("value=\"erik\""))
            #expect(browser.cookies["galley_desk"] == nil)

            // A post without the sign-in page's token, or with another's: refused, nobody signed in.
            let stranger = DeskBrowser(client)
            let bare = try await stranger.request(.post, "/desk/login", form: [("name", "erik"), ("password", "password-erik")])
            #expect(bare.status == .forbidden && stranger.cookies["galley_desk"] == nil)
            _ = try await stranger.request(.get, "/desk/login")
            let forged = try await stranger.request(.post, "/desk/login", form: [("name", "erik"), ("password", "password-erik"), ("csrf", "guessed")])
            #expect(forged.status == .forbidden && stranger.cookies["galley_desk"] == nil)
            let json = try await stranger.request(.post, "/desk/login", form: [], contentType: "application/json")
            #expect(json.status == .badRequest)

            // The API's throttle counts desk attempts too: two more wrong, then even the right one waits.
            for _ in 0..<2 { try await browser.signIn("erik", password: "still wrong") }
            let throttled = try await browser.signIn("erik")
            #expect(throttled.status == .tooManyRequests && throttled.headers[.retryAfter] != nil && browser.cookies["galley_desk"] == nil)
            #expect(try await client.call(.post, "/v1/sessions", json: ["name": "erik", "password": "password-erik"]).status == .tooManyRequests)

            // A disabled account does not sign in.
            let admin = try await client.login("admin")
            #expect(try await client.call(.post, "/v1/users/boris/disable", token: admin).status == .ok)
            let disabled = try await DeskBrowser(client).signIn("boris")
            #expect(disabled.status == .unauthorized && disabled.text.contains("disabled"))
        }
    }

    @Test(arguments: Backend.all) func formsThatChangeSomethingNeedTheSessionsOwnToken(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let erik = DeskBrowser(client)
            try await erik.signIn("erik")
            let anna = DeskBrowser(client)
            try await anna.signIn("anna")
            let annasToken = try #require(DeskBrowser.formToken(try await anna.request(.get, "/desk")))
            let erikSession = try #require(erik.cookies["galley_desk"])

            for token in [nil, "", annasToken, String(repeating: "0", count: 64)] {
                let form = token.map { [("csrf", $0)] } ?? []
                let forged = try await erik.request(.post, "/desk/logout", form: form)
                #expect(forged.status == .forbidden, "a logout with form token \(token ?? "none"): \(forged.status)")
                #expect(try await erik.request(.get, "/desk").status == .ok, "the forged post ended the session")
            }
            let own = try #require(DeskBrowser.formToken(try await erik.request(.get, "/desk")))
            let out = try await erik.request(.post, "/desk/logout", form: [("csrf", own)])
            #expect(out.status == .seeOther && out.headers[.location] == "/desk/login" && erik.cookies["galley_desk"] == nil)

            // The old cookie, sent again, signs nobody in; the sign-in page says so and removes it.
            erik.cookies["galley_desk"] = erikSession
            #expect(try await erik.request(.get, "/desk").status == .seeOther)
            let page = try await erik.request(.get, "/desk/login")
            #expect(page.status == .ok && page.text.contains("Your session ended") && erik.cookies["galley_desk"] == nil)
        }
    }

    /// The desk's cookie signs in the desk and nothing else: the API takes only bearer tokens, so
    /// a page of another site that makes a browser call the API gets nowhere.
    @Test(arguments: Backend.all) func theCookieSignsInOnlyTheDesk(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let erik = DeskBrowser(client)
            try await erik.signIn("erik")
            let session = try #require(erik.cookies["galley_desk"])
            let me = try await client.call(.get, "/v1/me", headers: [.cookie: "galley_desk=\(session)"])
            #expect(me.status == .unauthorized)
            let queue = try await client.call(.get, "/v1/review-queue", headers: [.cookie: "galley_desk=\(session)"])
            #expect(queue.status == .unauthorized)
            // Nor is the cookie's value a bearer token: a desk cookie copied off a shared laptop
            // does not open the API.
            let asBearer = try await client.call(.get, "/v1/me", token: session)
            #expect(asBearer.status == .unauthorized && asBearer.text.contains("desk's sign-in, not an API token"), "\(asBearer.text)")
            // And the other way: a bearer token is no desk session, sent either way.
            let token = try await client.login("erik")
            let desk = try await client.call(.get, "/desk", token: token)
            #expect(desk.status == .seeOther && desk.headers[.location] == "/desk/login")
            let planted = try await client.call(.get, "/desk", headers: [.cookie: "galley_desk=\(token)"])
            #expect(planted.status == .seeOther && planted.headers[.location] == "/desk/login")
            #expect(try await client.call(.get, "/v1/me", token: token).status == .ok)
        }
    }

    /// A note someone else wrote is unread in the queue until the reader opens the article; the
    /// review page marks it new once. One's own notes are never unread.
    @Test(arguments: Backend.all) func notesOthersWroteAreUnreadUntilTheArticleIsOpened(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let (draft, anna) = try await client.submittedDraft(fixture, title: "Нататкі", body: "Абзац.\n")
            for text in ["Першая 📎", "Другая"] {
                #expect(try await client.call(.post, "/v1/articles/\(draft.articleID)/notes", token: anna, json: ["text": text]).status == .created)
            }
            let erik = DeskBrowser(client)
            try await erik.signIn("erik")
            let address = "/desk/articles/\(draft.articleID)"
            #expect(try await erik.request(.get, "/desk").text.contains("2 notes, 2 unread"))
            #expect(try await erik.request(.head, address).status == .ok)
            #expect(try await erik.request(.get, "/desk").text.contains("2 notes, 2 unread"), "a HEAD request marked notes read")
            var page = try await erik.request(.get, address)
            #expect(page.text.contains("Notes (2, 2 new to you)") && page.text.components(separatedBy: "class=\"flag new\"").count == 3, "\(page.text)")
            #expect(try await erik.request(.get, "/desk").text.contains("2 notes</span>"), "opening the article did not mark its notes read")
            page = try await erik.request(.get, address)
            #expect(page.text.contains("Notes (2)") && !page.text.contains("class=\"flag new\""))

            // The editor's reply is unread for the author, not for the editor.
            let token = try #require(DeskBrowser.formToken(page))
            #expect(try await erik.request(.post, address + "/notes", form: [("csrf", token), ("text", "Дзякуй")]).status == .seeOther)
            #expect(try await erik.request(.get, "/desk").text.contains("3 notes</span>"))
            let annaOnDesk = DeskBrowser(client)
            try await annaOnDesk.signIn("anna")
            #expect(try await annaOnDesk.request(.get, "/desk").text.contains("3 notes, 1 unread"))
            page = try await annaOnDesk.request(.get, address)
            #expect(page.text.contains("Notes (3, 1 new to you)"))
            // Another editor has read nothing yet.
            let other = DeskBrowser(client)
            try await other.signIn("admin")
            #expect(try await other.request(.get, "/desk").text.contains("3 notes, 3 unread"))
        }
    }

    /// A long queue shows who waited longest first and pages on, with the true count: once it
    /// showed the 200 that changed last and left out the oldest without a word.
    @Test(arguments: Backend.all) func aLongQueueShowsTheOldestFirstAndPagesOn(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let count = DeskController.queuePage + 5
            let drafts = (1...count).map { Make.create(String(format: "Нумар %03d", $0), body: "Тэкст.\n", by: "anna", at: fixture.environment.now) }
            _ = try await client.push(drafts, token: anna)
            for draft in drafts {
                #expect(try await client.call(.post, "/v1/articles/\(draft.articleID)/transitions", token: anna, json: ["kind": "submit"]).status == .ok)
            }
            let erik = DeskBrowser(client)
            try await erik.signIn("erik")
            let first = try await erik.request(.get, "/desk")
            #expect(first.text.contains("Waiting for review <span class=\"count\">(\(count))</span>") && first.text.contains("Showing \(DeskController.queuePage) here."))
            let order = ["Нумар 001", "Нумар 002", "Нумар 200"].compactMap { first.text.range(of: $0)?.lowerBound }
            #expect(order.count == 3 && order == order.sorted(), "the oldest are not first")
            #expect(!first.text.contains("Нумар 201"))
            let next = try #require(first.text.range(of: #"href="(/desk\?waiting=[0-9]+#waiting)""#, options: .regularExpression).map { String(first.text[$0].dropFirst(6).dropLast()) })
            let second = try await erik.request(.get, next)
            #expect(second.status == .ok && second.text.contains("Нумар 201") && second.text.contains("Нумар 205") && !second.text.contains("Нумар 200<"))
            #expect(try await erik.request(.get, "/desk?waiting=-1").status == .badRequest)
        }
    }

    /// An edit voids an approval and clears the article's approved revision; the review page
    /// still shows what changed since the text that was approved.
    @Test(arguments: Backend.all) func anApprovalVoidedByAnEditIsStillComparedWith(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let (draft, anna) = try await client.submittedDraft(fixture, title: "Адобрана", body: "Першы сказ.\n")
            let erik = DeskBrowser(client)
            try await erik.signIn("erik")
            let address = "/desk/articles/\(draft.articleID)"
            var page = try await erik.request(.get, address)
            let approvedAt = try await client.article(draft.articleID, token: anna).headRevision
            let token = try #require(DeskBrowser.formToken(page))
            #expect(try await erik.request(.post, address + "/approve", form: [("csrf", token), ("revision", approvedAt.hex)]).status == .seeOther)

            let head = try await client.article(draft.articleID, token: anna)
            let edit = Make.edit(head, by: "anna", at: fixture.environment.now) { $0.replacingOccurrences(of: "Першы сказ.", with: "Першы сказ, зменены.") }
            _ = try await client.push([edit], token: anna)
            #expect(try await client.article(draft.articleID, token: anna).workflowStatus.approvedRevision == nil, "the edit did not void the approval")
            page = try await erik.request(.get, address)
            #expect(page.text.contains("Since the last approval (voided by later edits) (\(approvedAt.short))"), "\(page.text)")
            #expect(page.text.contains("зменены"))
        }
    }

    @Test(arguments: Backend.all) func disablingAUserEndsTheirDeskSession(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let erik = DeskBrowser(client)
            try await erik.signIn("erik")
            #expect(try await erik.request(.get, "/desk").status == .ok)
            let admin = try await client.login("admin")
            #expect(try await client.call(.post, "/v1/users/erik/disable", token: admin).status == .ok)
            #expect(try await erik.request(.get, "/desk").status == .seeOther)
            let page = try await erik.request(.get, "/desk/login")
            #expect(page.text.contains("Your session ended") && erik.cookies["galley_desk"] == nil)
            let again = try await erik.signIn("erik")
            #expect(again.status == .unauthorized && again.text.contains("disabled") && erik.cookies["galley_desk"] == nil)
        }
    }

    @Test func anHTTPSServersCookiesAreSecure() async throws {
        let fixture = try await ServerFixture { $0.publicURL = "https://analysis.example.org" }
        try await fixture.app().test(.router) { client in
            let browser = DeskBrowser(client)
            try await browser.request(.get, "/desk/login")
            #expect(browser.lastSetCookies.allSatisfy { $0.contains("Secure") }, "\(browser.lastSetCookies)")
            try await browser.signIn("erik")
            #expect(!browser.lastSetCookies.isEmpty && browser.lastSetCookies.allSatisfy { $0.contains("Secure") }, "\(browser.lastSetCookies)")
        }
    }

    /// The review loop on the desk: the page shows the head's short id, the article as its public
    /// page will, and the words that changed since the approved text; notes, request changes,
    /// approve the revision shown, publish; the public page then shows exactly that text.
    @Test(arguments: Backend.all) func anEditorReviewsApprovesAndPublishesFromTheDesk(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let (draft, anna) = try await client.submittedDraft(fixture, title: "Мінск і Пекін", body: "Супрацоўніцтва расце.\n\nДругі абзац.\n")

            let erik = DeskBrowser(client)
            try await erik.signIn("erik")
            let address = "/desk/articles/\(draft.articleID)"
            var page = try await erik.request(.get, address)
            var head = try await client.article(draft.articleID, token: anna)
            #expect(page.status == .ok && page.text.contains("<code>\(head.headRevision.short)</code>"))
            #expect(page.text.contains("<div class=\"body\">") && page.text.contains("<p>Супрацоўніцтва расце.</p>"), "the preview is not the public page's article")
            #expect(page.text.contains("value=\"\(head.headRevision.hex)\""), "the approve form does not carry the revision shown")

            // A note, then changes requested (a note is required).
            let token = try #require(DeskBrowser.formToken(page))
            #expect(try await erik.request(.post, address + "/notes", form: [("csrf", token), ("text", "Цытата без крыніцы <b>?</b>")]).status == .seeOther)
            let empty = try await erik.request(.post, address + "/request-changes", form: [("csrf", token), ("message", "  ")])
            #expect(empty.status == .badRequest && empty.text.contains("Say what should change"))
            #expect(try await erik.request(.post, address + "/request-changes", form: [("csrf", token), ("message", "Add the source.")]).status == .seeOther)
            let detail = try await client.call(.get, "/v1/articles/\(draft.articleID)", token: anna)
            #expect((detail.json["notes"] as? [[String: Any]])?.compactMap { $0["text"] as? String }.contains("Цытата без крыніцы <b>?</b>") == true)
            #expect(try await client.article(draft.articleID, token: anna).workflowStatus.state == .changesRequested)

            // The analyst edits and resubmits; the editor approves what the page showed and publishes.
            head = try await client.article(draft.articleID, token: anna)
            let edit = Make.edit(head, by: "anna", at: fixture.environment.now) { $0.replacingOccurrences(of: "Другі абзац.", with: "Другі абзац, з крыніцай.") }
            _ = try await client.push([edit], token: anna)
            #expect(try await client.call(.post, "/v1/articles/\(draft.articleID)/transitions", token: anna, json: ["kind": "submit"]).status == .ok)
            page = try await erik.request(.get, address)
            #expect(page.text.contains("Since changes were requested") && page.text.contains(", з крыніцай<span class=\"sr\">]</span></ins>"), "\(page.text)")
            head = try await client.article(draft.articleID, token: anna)
            let approved = try await erik.request(.post, address + "/approve", form: [("csrf", token), ("revision", head.headRevision.hex)])
            #expect(approved.status == .seeOther && approved.headers[.location] == address + "?done=approved")
            page = try await erik.request(.get, address + "?done=approved")
            #expect(page.text.contains("Approved. Publishing it is the next step."))
            let publishedNow = try await erik.request(.post, address + "/publish", form: [("csrf", token), ("at", "2020-01-01T10:00")])
            #expect(publishedNow.status == .seeOther && publishedNow.headers[.location] == address + "?done=published", "a time already past publishes now, and says so")
            let live = try await client.call(.get, "/articles/\(head.content.slug)")
            #expect(live.status == .ok && live.text.contains("Другі абзац, з крыніцай."))
            let audit = try await client.call(.get, "/v1/audit", token: try await client.login("admin"))
            #expect(audit.text.contains("erik"))

            // Later edits show against the published text, word by word.
            let published = try await client.article(draft.articleID, token: anna)
            let fix = Make.edit(published, by: "anna", at: fixture.environment.now) { $0.replacingOccurrences(of: "расце", with: "хутка расце") }
            _ = try await client.push([fix], token: anna)
            let queue = try await erik.request(.get, "/desk")
            #expect(queue.text.contains("submitted (correction to a live article)"), "\(queue.text)")
            page = try await erik.request(.get, address)
            #expect(page.text.contains("Since the published revision") && page.text.contains("хутка <span class=\"sr\">]</span></ins>"), "\(page.text)")
        }
    }

    /// The editor opens the review page; the analyst pushes an edit; the editor presses approve:
    /// refused, the change shown, nothing approved.
    @Test(arguments: Backend.all) func aStaleApprovalIsRefusedAndShowsWhatChanged(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let (draft, anna) = try await client.submittedDraft(fixture)
            let erik = DeskBrowser(client)
            try await erik.signIn("erik")
            let address = "/desk/articles/\(draft.articleID)"
            let page = try await erik.request(.get, address)
            let shown = try await client.article(draft.articleID, token: anna)
            let token = try #require(DeskBrowser.formToken(page))

            let edit = Make.edit(shown, by: "anna", at: fixture.environment.now) { $0.replacingOccurrences(of: "fell", with: "fell by a third") }
            _ = try await client.push([edit], token: anna)
            let before = try await fixture.footprint()
            let refused = try await erik.request(.post, address + "/approve", form: [("csrf", token), ("revision", shown.headRevision.hex)])
            #expect(refused.status == .conflict && refused.text.contains("Not approved") && refused.text.contains("by a third<span class=\"sr\">]</span></ins>"), "\(refused.text)")
            let after = try await fixture.footprint()
            #expect(after[0] == before[0] && after[1] == before[1] + 1, "the refused approval wrote an event, or is not in the audit log: \(before) -> \(after)")
            let now = try await client.article(draft.articleID, token: anna)
            #expect(now.workflowStatus.approvedRevision == nil && now.workflowStatus.state == .submitted)
        }
    }

    /// An analyst signed in sees their article's state and notes and can reply, has no approve
    /// or publish controls, and a forged approve from them is refused (403) with nothing written.
    @Test(arguments: Backend.all) func anAnalystRepliesButCannotApproveEvenByAForgedPost(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let (draft, annaToken) = try await client.submittedDraft(fixture)
            let address = "/desk/articles/\(draft.articleID)"
            let anna = DeskBrowser(client)
            try await anna.signIn("anna")
            let page = try await anna.request(.get, address)
            #expect(page.status == .ok && !page.text.contains("/approve") && !page.text.contains("/publish") && page.text.contains("/notes"))
            let token = try #require(DeskBrowser.formToken(page))
            #expect(try await anna.request(.post, address + "/notes", form: [("csrf", token), ("text", "Source added.")]).status == .seeOther)
            let head = try await client.article(draft.articleID, token: annaToken)
            let before = try await fixture.footprint()
            for action in ["approve", "publish"] {
                let forged = try await anna.request(.post, address + "/" + action, form: [("csrf", token), ("revision", head.headRevision.hex), ("at", "")])
                #expect(forged.status == .forbidden, "\(action) by an analyst: \(forged.status)")
            }
            // No event; the refused attempts are in the audit log, as the API's are.
            let after = try await fixture.footprint()
            #expect(after[0] == before[0] && after[1] == before[1] + 2, "\(before) -> \(after)")
            let still = try await client.article(draft.articleID, token: annaToken)
            #expect(still.workflowStatus.state == .submitted && still.workflowStatus.approvedRevision == nil)
            // Another analyst does not see the article at all.
            let boris = DeskBrowser(client)
            try await boris.signIn("boris")
            let unseen = try await boris.request(.get, address)
            #expect(unseen.status == .notFound && unseen.text.contains("Back to the desk"), "\(unseen.text)")
            let token2 = try #require(DeskBrowser.formToken(try await boris.request(.get, "/desk")))
            #expect(try await boris.request(.post, address + "/notes", form: [("csrf", token2), ("text", "Hi")]).status == .notFound)
        }
    }
}

extension DeskTests {
    /// Two people edit one paragraph from the same text; Galley merges their words, and the
    /// review page says where, before the diff.
    @Test(arguments: Backend.all) func theReviewPageNamesTheParagraphsGalleyMergedWordByWord(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let erikToken = try await client.login("erik")
            let draft = Make.create("Trade", body: "Paragraph one about Minsk.\n\nParagraph two about trade.\n", by: "anna", at: fixture.environment.now)
            _ = try await client.push([draft], token: anna)
            let base = try await client.article(draft.articleID, token: anna)
            let his = Make.edit(base, by: "erik", at: fixture.environment.now) { $0.replacingOccurrences(of: "about trade", with: "about potash trade") }
            let hers = Make.edit(base, by: "anna", at: fixture.environment.now) { $0.replacingOccurrences(of: "Paragraph two", with: "The second paragraph") }
            #expect(try await client.push([his], token: erikToken)[0].status == .applied)
            #expect(try await client.push([hers], token: anna)[0].status == .merged)
            _ = try await client.call(.post, "/v1/articles/\(draft.articleID)/transitions", token: anna, json: ["kind": "submit"])
            let erik = DeskBrowser(client)
            try await erik.signIn("erik")
            let page = try await erik.request(.get, "/desk/articles/\(draft.articleID)")
            let merges = try #require(page.text.range(of: "Merged by Galley").map { String(page.text[$0.lowerBound...].prefix(600)) }, "\(page.text)")
            #expect(merges.contains("paragraph 2"), "\(merges)")
            #expect(page.text.contains("The second paragraph about potash trade."))
        }
    }
}

/// What an attack on the desk found, each kept fixed.
@Suite struct DeskAttackTests {
    /// An approved article, and erik signed in on the desk with the form token of its page.
    static func approved(_ fixture: ServerFixture, _ client: some TestClientProtocol) async throws -> (ArticleID, DeskBrowser, String) {
        let (draft, anna) = try await client.submittedDraft(fixture)
        let erikToken = try await client.login("erik")
        let head = try await client.article(draft.articleID, token: anna).headRevision
        #expect(try await client.call(.post, "/v1/articles/\(draft.articleID)/transitions", token: erikToken, json: ["kind": "approve", "revision": head.hex]).status == .ok)
        let erik = DeskBrowser(client)
        try await erik.signIn("erik")
        let token = try #require(DeskBrowser.formToken(try await erik.request(.get, "/desk/articles/\(draft.articleID)")))
        return (draft.articleID, erik, token)
    }

    /// A year past 9999 was stored and broke every client's pull; now no path can store it.
    @Test(arguments: Backend.all) func aPublishingTimeNoClientCanReadIsRefused(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let (id, erik, token) = try await Self.approved(fixture, client)
            let before = try await fixture.footprint()
            for at in ["99999-01-01T00:00", "9999-12-31T23:59", "2026-1-3T4:5", "١٢٣٤-01-01T10:00", "2200-01-01T00:00", "2027-02-30T10:00", "tomorrow"] {
                let reply = try await erik.request(.post, "/desk/articles/\(id)/publish", form: [("csrf", token), ("at", at)])
                #expect(reply.status == .badRequest, "publish at \(at): \(reply.status)")
            }
            #expect(try await fixture.footprint()[0] == before[0], "a refused time wrote an event")
            #expect(try await fixture.archive.article(id)?.workflowStatus.state == .approved)
            // The rule is the workflow's: a server-made change cannot pass it either.
            let far = Date(timeIntervalSince1970: 300_000_000_000)
            let editor = ChangeApplier.Actor(name: "erik", role: .editor)
            let article = try #require(try await fixture.archive.article(id))
            let change = ServerRequest.transition(.publish(at: far)).change(on: article, id: ChangeID(), by: "erik", from: .api, at: fixture.environment.now)
            let result = try await fixture.archive.apply([change], by: editor, at: fixture.environment.now)[0]
            #expect(result.status == .rejected && result.error?.code == .fieldInvalid, "\(result)")
        }
    }

    @Test func formsAreReadStrictly() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app().test(.router) { client in
            let (id, erik, token) = try await Self.approved(fixture, client)
            let address = "/desk/articles/\(id)/notes"
            let notesBefore = try await fixture.archive.notes(of: id).count
            for body in ["csrf=\(token)&text=%FF%FE", "csrf=\(token)&text=%ED%A0%80", "csrf=\(token)&text=a&text=b", "csrf=\(token)&text=100%"] {
                var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded", .accept: "text/html"]
                headers[.cookie] = erik.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
                let reply = try await client.executeRequest(uri: address, method: .post, headers: headers, body: ByteBuffer(string: body))
                #expect(reply.status == .badRequest, "\(body): \(reply.status)")
            }
            let wrongType = try await erik.request(.post, address, form: [("csrf", token), ("text", "x")], contentType: "application/x-www-form-urlencodedEVIL")
            #expect(wrongType.status == .badRequest)
            #expect(try await fixture.archive.notes(of: id).count == notesBefore)
        }
    }

    /// A page of a sibling subdomain can plant cookies for the desk's host, the sign-in form's
    /// double-submit token among them, and post forms with them: browsers name such a post
    /// same-site, and the desk takes forms from its own origin only.
    @Test func formsPostedFromAnotherSiteAreRefused() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app().test(.router) { client in
            let (id, erik, token) = try await Self.approved(fixture, client)
            let notesBefore = try await fixture.archive.notes(of: id).count
            for site in ["same-site", "cross-site", "Cross-Site"] {
                let note = try await erik.request(.post, "/desk/articles/\(id)/notes", form: [("csrf", token), ("text", "x")], headers: [DeskController.secFetchSite: site])
                #expect(note.status == .forbidden && note.text.contains("another site"), "\(site): \(note.status)")
            }
            #expect(try await fixture.archive.notes(of: id).count == notesBefore)
            #expect(try await erik.request(.post, "/desk/articles/\(id)/notes", form: [("csrf", token), ("text", "ok")], headers: [DeskController.secFetchSite: "same-origin"]).status == .seeOther)

            // Sign-in with a planted form token, from a sibling: no session.
            let victim = DeskBrowser(client)
            victim.cookies["galley_desk_login"] = "planted"
            let tossed = try await victim.request(
                .post, "/desk/login", form: [("name", "erik"), ("password", "password-erik"), ("csrf", "planted")], headers: [DeskController.secFetchSite: "same-site"])
            #expect(tossed.status == .forbidden && victim.cookies["galley_desk"] == nil)
        }
    }

    @Test func aStaleApprovalOnTheDeskIsInTheAuditLogAsTheAPIsIs() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app().test(.router) { client in
            let (draft, _) = try await client.submittedDraft(fixture)
            let erik = DeskBrowser(client)
            try await erik.signIn("erik")
            let address = "/desk/articles/\(draft.articleID)"
            let token = try #require(DeskBrowser.formToken(try await erik.request(.get, address)))
            let audited = try await fixture.archive.audit(limit: 1000, before: nil).count
            let refused = try await erik.request(.post, address + "/approve", form: [("csrf", token), ("revision", String(repeating: "0", count: 64))])
            #expect(refused.status == .conflict && refused.text.contains("Not approved") && refused.text.contains("is no revision of this article"), "\(refused.text)")
            #expect(try await fixture.archive.audit(limit: 1000, before: nil).count == audited + 1)
            // Sent back, the article offers no approval the rules would refuse.
            _ = try await erik.request(.post, address + "/request-changes", form: [("csrf", token), ("message", "Sources.")])
            #expect(!(try await erik.request(.get, address)).text.contains("/approve\""))
        }
    }
}

/// The admin's desk pages: users, categories, the audit log; nobody else's.
@Suite struct DeskAdminTests {
    @Test(arguments: Backend.all) func anAdminManagesUsersAndCategoriesAndReadsTheAuditLog(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let admin = DeskBrowser(client)
            try await admin.signIn("admin")
            var page = try await admin.request(.get, "/desk/admin")
            #expect(page.status == .ok && page.text.contains("<td data-label=\"Name\">boris</td>"))
            let token = try #require(DeskBrowser.formToken(page))

            let added = try await admin.request(.post, "/desk/admin/users", form: [("csrf", token), ("name", "olga"), ("role", "editor"), ("password", "olga's long password")])
            #expect(added.status == .seeOther && added.headers[.location] == "/desk/admin?done=user")
            let names = try await fixture.archive.users().map(\.name)
            let olga = try #require(try await fixture.archive.user(named: "olga"), "no user olga; users: \(names)")
            #expect(olga.role == .editor && olga.disabled == false)
            let short = try await admin.request(.post, "/desk/admin/users", form: [("csrf", token), ("name", "pavel"), ("role", "analyst"), ("password", "short")])
            #expect(short.status == .badRequest && short.text.contains("class=\"error\""), "\(short.status)")
            #expect(try await fixture.archive.user(named: "pavel") == nil)
            let badRole = try await admin.request(.post, "/desk/admin/users", form: [("csrf", token), ("name", "pavel"), ("role", "owner"), ("password", "a long enough one")])
            #expect(badRole.status == .badRequest && badRole.text.contains("Choose a role"))

            // Disabling ends the user's desk session at once.
            let boris = DeskBrowser(client)
            try await boris.signIn("boris")
            #expect(try await admin.request(.post, "/desk/admin/users/boris/disable", form: [("csrf", token)]).status == .seeOther)
            #expect(try await boris.request(.get, "/desk").status == .seeOther)
            #expect(try await fixture.archive.user(named: "boris")?.disabled == true)
            #expect(try await admin.request(.post, "/desk/admin/users/boris/enable", form: [("csrf", token)]).status == .seeOther)
            #expect(try await fixture.archive.user(named: "boris")?.disabled == false)
            let own = try await admin.request(.post, "/desk/admin/users/admin/disable", form: [("csrf", token)])
            #expect(own.status == .conflict && own.text.contains("cannot disable your own account"))
            #expect(try await admin.request(.post, "/desk/admin/users/nobody/disable", form: [("csrf", token)]).status == .notFound)

            // A new role holds at once in the user's open session (the disable above ended the last one).
            try await boris.signIn("boris")
            #expect(try await boris.request(.get, "/desk").text.contains("Your articles"))
            #expect(try await admin.request(.post, "/desk/admin/users/boris/role", form: [("csrf", token), ("role", "editor")]).status == .seeOther)
            #expect(try await fixture.archive.user(named: "boris")?.role == .editor)
            #expect(try await boris.request(.get, "/desk").text.contains("Review queue"))
            let ownRole = try await admin.request(.post, "/desk/admin/users/admin/role", form: [("csrf", token), ("role", "analyst")])
            #expect(ownRole.status == .conflict)
            #expect(try await fixture.archive.user(named: "admin")?.role == .admin)
            #expect(try await admin.request(.post, "/desk/admin/users/boris/role", form: [("csrf", token), ("role", "owner")]).status == .badRequest)
            #expect(try await fixture.archive.audit(limit: 5, before: nil).contains { $0.action == "user_role" && $0.detail == "boris: analyst → editor" })

            let category = try await admin.request(.post, "/desk/admin/categories", form: [("csrf", token), ("slug", "грамадства"), ("name", "Грамадства")])
            #expect(category.status == .seeOther, "\(category.text)")
            page = try await admin.request(.get, "/desk/admin")
            #expect(page.text.contains("Грамадства"))

            // The audit log, filtered.
            let audit = try await admin.request(.get, "/desk/admin/audit?actor=admin&action=disable")
            #expect(audit.status == .ok && audit.text.contains("<td data-label=\"Who\">admin</td>"), "\(audit.text)")
            #expect(!audit.text.contains("Action\">enable"), "the filter let an enable through")
            let none = try await admin.request(.get, "/desk/admin/audit?actor=nobody-at-all")
            #expect(none.text.contains("No entry matches."))
        }
    }

    @Test func onlyAdminsOpenTheAdminPagesAndAForgedPostChangesNothing() async throws {
        let fixture = try await ServerFixture()
        try await fixture.app().test(.router) { client in
            let erik = DeskBrowser(client)
            try await erik.signIn("erik")
            let token = try #require(DeskBrowser.formToken(try await erik.request(.get, "/desk")))
            for path in ["/desk/admin", "/desk/admin/audit"] {
                let page = try await erik.request(.get, path)
                #expect(page.status == .forbidden && page.text.contains("for admins"), "\(path): \(page.status)")
            }
            let forged = try await erik.request(.post, "/desk/admin/users", form: [("csrf", token), ("name", "mole"), ("role", "admin"), ("password", "a long enough one")])
            #expect(forged.status == .forbidden)
            #expect(try await fixture.archive.user(named: "mole") == nil)
            #expect(try await erik.request(.post, "/desk/admin/users/anna/disable", form: [("csrf", token)]).status == .forbidden)
            #expect(try await fixture.archive.user(named: "anna")?.disabled == false)
            // And an admin's own forms need the admin's token.
            let admin = DeskBrowser(client)
            try await admin.signIn("admin")
            #expect(try await admin.request(.post, "/desk/admin/users/anna/disable", form: [("csrf", token)]).status == .forbidden)
            #expect(try await fixture.archive.user(named: "anna")?.disabled == false)
        }
    }
}

extension TestClientProtocol {
    /// Anna's draft ("Potash" unless named), pushed and submitted; with her token.
    func submittedDraft(_ fixture: ServerFixture, title: String = "Potash", body: String = "Exports fell.\n") async throws -> (draft: Change, anna: String) {
        let anna = try await login("anna")
        let draft = Make.create(title, body: body, by: "anna", at: fixture.environment.now)
        _ = try await push([draft], token: anna)
        #expect(try await call(.post, "/v1/articles/\(draft.articleID)/transitions", token: anna, json: ["kind": "submit"]).status == .ok)
        return (draft, anna)
    }
}
