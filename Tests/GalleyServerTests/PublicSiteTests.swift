import Foundation
import GalleyTestSupport
import GalleyCore
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import GalleyServer

/// The public site as readers get it from the server.
@Suite struct PublicSiteTests {
    /// Creates, submits, approves and publishes an article; returns it.
    static func publish(_ client: some TestClientProtocol, _ environment: ServerEnvironment, title: String, body: String, category: String = "politics", tags: [String] = [], at: Date? = nil) async throws -> Article {
        let anna = try await client.login("anna")
        let erik = try await client.login("erik")
        let create = Make.create(title, body: body, by: "anna", category: category, tags: tags, at: environment.now)
        _ = try await client.push([create], token: anna)
        _ = try await client.call(.post, "/v1/articles/\(create.articleID)/transitions", token: anna, json: ["kind": "submit"])
        let head = try await client.article(create.articleID, token: erik).headRevision
        _ = try await client.call(.post, "/v1/articles/\(create.articleID)/transitions", token: erik, json: ["kind": "approve", "revision": head.hex])
        var publish: [String: Any] = ["kind": "publish"]
        if let at { publish["at"] = Timestamp.format(at) }
        let reply = try await client.call(.post, "/v1/articles/\(create.articleID)/transitions", token: erik, json: publish)
        #expect(reply.status == .ok, "\(reply.text)")
        return try await client.article(create.articleID, token: erik)
    }

    @Test(arguments: Backend.all) func anArticlePageHasItsPartsInOrderAndSimilarArticles(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let main = try await Self.publish(client, fixture.environment, title: "Minsk hopes to boost cooperation with Beijing",
                                              body: "Sino-Belarusian cooperation in military and technical spheres: Polonaise rockets and satellites.\n", tags: ["china"])
            _ = try await Self.publish(client, fixture.environment, title: "Polonaise rockets and Chinese satellites", body: "The Polonaise rocket system and the satellite programme with China.\n", tags: ["china"])
            _ = try await Self.publish(client, fixture.environment, title: "Potash prices", body: "Potash exports and prices in Europe.\n", category: "economy", tags: ["trade"])
            _ = try await Self.publish(client, fixture.environment, title: "A trend piece", body: "Trends.\n", category: "trends")
            let page = try await client.call(.get, "/articles/\(main.content.slug)")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let html = page.text
            let order = ["<h1>Minsk hopes to boost cooperation with Beijing</h1>", "Politics", "<time datetime=", "Lead of Minsk hopes", "Sino-Belarusian cooperation",
                         "Similar articles", "Polonaise rockets and Chinese satellites", "Recent trends", "A trend piece"]
            var cursor = html.startIndex
            for piece in order {
                guard let r = html.range(of: piece, range: cursor..<html.endIndex) else {
                    Issue.record("'\(piece)' missing or out of order")
                    continue
                }
                cursor = r.upperBound
            }
            #expect(html.contains("<link rel=\"canonical\""))
            #expect(page.headers[.contentSecurityPolicy]?.contains("script-src 'none'") == true)
            #expect(page.headers[.xContentTypeOptions] == "nosniff")
            #expect(page.headers.contains { $0.name.canonicalName == "referrer-policy" })
            let home = try await client.call(.get, "/")
            #expect(home.text.contains("Potash prices") && home.text.contains("href=\"/feed.atom\""))
        }
    }

    @Test(arguments: Backend.all) func anUnpublishedHeadNeverAppearsAnywherePublic(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let live = try await Self.publish(client, fixture.environment, title: "Published title", body: "The published words.\n", tags: ["china"])
            // An edit under review, and a draft that was never published.
            let anna = try await client.login("anna")
            let edit = Make.edit(live, by: "anna", at: fixture.environment.now) { _ in "SECRETHEADWORDS in the head.\n" }
            _ = try await client.push([edit], token: anna)
            let draft = Make.create("SECRETDRAFTTITLE", body: "SECRETDRAFTWORDS.\n", by: "anna", tags: ["china"], at: fixture.environment.now)
            _ = try await client.push([draft], token: anna)

            for path in ["/", "/articles/\(live.content.slug)", "/categories/politics", "/tags/china", "/feed.atom", "/categories/politics/feed.atom",
                         "/search?q=SECRETHEADWORDS", "/search?q=SECRETDRAFTWORDS", "/search?q=published"] {
                let reply = try await client.call(.get, path)
                #expect(reply.status == .ok, "\(path)")
                for secret in ["SECRETHEADWORDS", "SECRETDRAFTTITLE", "SECRETDRAFTWORDS"] where !path.contains(secret) {
                    #expect(!reply.text.contains(secret), "\(secret) leaked on \(path)")
                }
                if path.hasPrefix("/search?q=SECRET") { #expect(reply.text.contains("Nothing published matches."), "\(path)") }
            }
            #expect(try await client.call(.get, "/articles/\(draft.articleID.short)").status == .notFound)
            #expect(try await client.call(.get, "/articles/secretdrafttitle").status == .notFound)
            #expect(try await client.call(.get, "/articles/\(live.content.slug)").text.contains("The published words."))

            // Retracted: the URL stays, the text gives way to the notice.
            let erik = try await client.login("erik")
            _ = try await client.call(.post, "/v1/articles/\(live.id)/transitions", token: erik, json: ["kind": "retract", "message": "The figures were wrong."])
            let retracted = try await client.call(.get, "/articles/\(live.content.slug)")
            #expect(retracted.status == .ok && retracted.text.contains("This article was retracted.") && retracted.text.contains("The figures were wrong."))
            #expect(!retracted.text.contains("The published words."))
        }
    }

    @Test func scheduledPublishingFiresOnTimeAndAfterARestart() async throws {
        let dir = Scratch.path("schedule")
        let path = dir.appendingPathComponent("archive.sqlite").path
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let fixture = try await ServerFixture()
        // Copy the fixture's users into a file archive, so that a "restart" can reopen it.
        try await fixture.archive.backup(to: path)
        let clock = TestClock(fixture.environment.now)
        var config = fixture.environment.configuration
        config.dataDir = dir.path
        let environment = ServerEnvironment(archive: try SQLiteArchive(path: path), configuration: config, clock: { clock.now })
        let when = clock.now.addingTimeInterval(3600)
        let slug: String
        let app = try buildApplication(environment: environment, logger: .init(label: "test"), scheduling: false)
        let article = try await app.test(.router) { client in
            try await Self.publish(client, environment, title: "Embargoed", body: "Under embargo.\n", at: when)
        }
        slug = article.content.slug
        #expect(article.state == .scheduled && article.publishedRevision == nil)
        let publisher = ScheduledPublisher(environment: environment, logger: .init(label: "test"))
        #expect(try await publisher.tick().isEmpty, "not before its time")
        #expect(try await environment.archive.publishedArticle(slug: slug) == nil, "invisible while embargoed")

        // The server is down across the publication time; the first tick after the restart publishes it.
        clock.advance(3 * 3600)
        let restarted = ServerEnvironment(archive: try SQLiteArchive(path: path), configuration: config, clock: { clock.now })
        let ticked = try await ScheduledPublisher(environment: restarted, logger: .init(label: "test")).tick()
        #expect(ticked == [article.id])
        let published = try #require(try await restarted.archive.article(article.id))
        #expect(published.state == .published && published.publishedRevision == article.headRevision)
        #expect(try await restarted.archive.publishedArticle(slug: slug) != nil)
    }

    @Test(arguments: Backend.all) func mediaTakesImagesOnlyAndServesThemByContent(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            func upload(_ bytes: [UInt8]) async throws -> Reply {
                let response = try await client.executeRequest(uri: "/v1/media", method: .post, headers: [.authorization: "Bearer \(anna)"], body: ByteBuffer(bytes: bytes))
                return Reply(status: response.status, headers: response.headers, body: Data(response.body.readableBytesView))
            }
            let gif = Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0]
            let stored = try await upload(gif)
            #expect(stored.status == .created)
            let url = try #require(stored.json["url"] as? String)
            let fetched = try await client.call(.get, url)
            #expect(fetched.status == .ok && Array(fetched.body) == gif && fetched.headers[.contentType] == "image/gif")

            let text = try await upload(Array("<svg onload=alert(1)>".utf8))
            #expect(text.status == .unsupportedMediaType && text.code == "not_an_image")
            let huge = try await upload([0xFF, 0xD8, 0xFF] + [UInt8](repeating: 0, count: 10 << 20))
            #expect(huge.status == .contentTooLarge)
            for bad in ["/media/..%2F..%2Farchive.sqlite", "/media/../archive.sqlite", "/media/x.png", "/media/\(String(repeating: "a", count: 64)).exe"] {
                #expect(try await client.call(.get, bad).status == .notFound, "\(bad)")
            }
        }
    }
}

extension PublicSiteTests {
    /// A reader who follows a dead link gets a page of the site, not a JSON document; API
    /// clients asking the same addresses keep getting problem+json they can parse.
    @Test(arguments: Backend.all) func readersGetAnHTMLPageForMissingAddressesAndAPIClientsGetProblems(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let browser: HTTPFields = [.accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]
            for (path, status, says) in [
                ("/articles/no-such-article", HTTPResponse.Status.notFound, "There is no published article at this address."),
                ("/categories/no-such-category", .notFound, "There is no category"),
                ("/no/such/page", .notFound, "There is nothing at this address."),
                ("/?page=0", .badRequest, "page"),
            ] {
                let page = try await client.call(.get, path, headers: browser)
                #expect(page.status == status, "\(path)")
                #expect(page.headers[.contentType]?.hasPrefix("text/html") == true, "\(path)")
                #expect(page.text.contains("<!doctype html>") && page.text.contains(says), "\(path): \(page.text)")
                #expect(page.headers[.contentSecurityPolicy] != nil, "\(path)")

                let api = try await client.call(.get, path)
                #expect(api.status == status && api.headers[.contentType] == "application/problem+json", "\(path)")
            }
            // The API never answers in HTML, whatever the client accepts.
            let api = try await client.call(.get, "/v1/articles/nope", token: try await client.login("anna"), headers: browser)
            #expect(api.status == .notFound && api.headers[.contentType] == "application/problem+json")
            // Article text a reader cannot see is never echoed into the page.
            let hostile = try await client.call(.get, "/categories/%3Cscript%3Ealert(1)%3C%2Fscript%3E", headers: browser)
            #expect(hostile.status == .notFound && !hostile.text.contains("<script>"))
        }
    }
}
