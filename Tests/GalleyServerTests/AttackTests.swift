import Foundation
import GalleyTestSupport
import GalleyCore
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import GalleyServer

/// The server as an attacker (or a buggy client) would try it: characters no page can carry,
/// claimed and replayed ids, lying changes, guessing, and analysts probing each other's drafts.
/// Each answer must be a clear refusal that writes nothing, or a result that loses no word.
@Suite struct AttackTests {
    static func transition(_ client: some TestClientProtocol, _ id: ArticleID, _ token: String, _ body: [String: Any]) async throws -> Reply {
        try await client.call(.post, "/v1/articles/\(id)/transitions", token: token, json: body)
    }

    /// Submits, approves and publishes an existing article.
    static func publish(_ client: some TestClientProtocol, _ id: ArticleID, author: String, editor: String, at: Date? = nil) async throws -> Reply {
        _ = try await transition(client, id, author, ["kind": "submit"])
        let head = try await client.article(id, token: editor).headRevision
        _ = try await transition(client, id, editor, ["kind": "approve", "revision": head.hex])
        var publish: [String: Any] = ["kind": "publish"]
        if let at { publish["at"] = Timestamp.format(at) }
        return try await transition(client, id, editor, publish)
    }

    @Test(arguments: Backend.all) func controlCharactersAreRefusedNamingTheFieldAndNothingIsWritten(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let erik = try await client.login("erik")
            let before = try await fixture.footprint()
            let now = fixture.environment.now
            var cases: [(Change, String)] = []
            cases.append((Make.create("NUL", body: "before\u{0}after, the rest of the article\n", by: "anna", at: now), "body"))
            cases.append((Make.create("Bell\u{1}title", body: "x\n", by: "anna", at: now), "title"))
            cases.append((Make.create("C1", body: "next line\u{85}here\n", by: "anna", at: now), "body"))
            cases.append((Make.create("Nonchar", body: "x\u{FFFE}y\n", by: "anna", at: now), "body"))
            cases.append((Make.create("Reversed \u{202E}title", body: "x\n", by: "anna", at: now), "title"))
            cases.append((Make.create("Tag", body: "x\n", by: "anna", tags: ["a\u{0}b"], at: now), "tags.add"))
            var note = Make.create("Note", body: "x\n", by: "anna", at: now)
            note.note = .init(text: "a note\u{0}with NUL")
            cases.append((note, "note.text"))
            var credit = Make.create("Credit", body: "x\n", by: "anna", at: now)
            credit.set.imageCredit = "Photo\u{7}"
            cases.append((credit, "imageCredit"))
            // A slug the author chose is looked up (is it taken?): never with a NUL in it.
            var slug = Make.create("Slug", body: "x\n", by: "anna", at: now)
            slug.set.slug = "a\u{0}b"
            cases.append((slug, "slug"))
            for (change, field) in cases {
                let results = try await client.push([change], token: anna)
                #expect(results[0].status == .rejected && results[0].error?.code == .textInvalid, "\(field): \(results[0])")
                #expect(results[0].error?.field == field, "\(field): \(results[0])")
                #expect(results[0].error?.message.contains("U+") == true, "the message names the character: \(results[0].error?.message ?? "")")
                #expect(try await fixture.archive.article(change.articleID) == nil, "nothing stored for \(field)")
            }
            #expect(try await fixture.footprint() == before, "no event, no audit line")

            // Lists are bounded before any item is looked up under the writer's lock.
            var long = Make.create("Long lists", body: "x\n", by: "anna", at: now)
            long.related = SetEdit(add: (0..<5_000).map { _ in ArticleID.generate(at: now) })
            let listed = try await client.push([long], token: anna)[0]
            #expect(listed.status == .rejected && listed.error?.field == "related.add", "\(listed)")
            #expect(try await fixture.footprint() == before)

            // A lone surrogate cannot even be decoded: the whole request is refused.
            let id = ArticleID.generate(at: now)
            let raw = #"{"changes":[{"id":"\#(UUID())","articleId":"\#(id)","set":{"title":"x\ud800y","body":"b"},"author":"anna","replicaId":"\#(UUID())","createdAt":"2027-01-15T08:00:00Z"}]}"#
            let surrogate = try await client.call(.post, "/v1/sync/push", token: anna, raw: Data(raw.utf8))
            #expect(surrogate.status == .badRequest && surrogate.code == "malformed", "\(surrogate.text)")

            // HTTP inputs go through the same rule: notes, messages, categories, users, queries.
            let fine = Make.create("Fine", body: "x\n", by: "anna", at: now)
            _ = try await client.push([fine], token: anna)
            let badNote = try await client.call(.post, "/v1/articles/\(fine.articleID)/notes", token: anna, json: ["text": "x\u{0}y"])
            #expect(badNote.status == .badRequest && badNote.code == "text_invalid" && badNote.json["field"] as? String == "text", "the request's own field: \(badNote.text)")
            _ = try await Self.transition(client, fine.articleID, anna, ["kind": "submit"])
            let badMessage = try await Self.transition(client, fine.articleID, erik, ["kind": "request_changes", "message": "fix\u{1B}[31m"])
            #expect(badMessage.status == .badRequest && badMessage.json["field"] as? String == "message", "the request's own field: \(badMessage.text)")
            let admin = try await client.login("admin")
            let badCategory = try await client.call(.post, "/v1/categories", token: admin, json: ["slug": "sport", "name": "Sport\u{0}s"])
            #expect(badCategory.status == .badRequest && badCategory.json["field"] as? String == "name", "\(badCategory.text)")
            let badUser = try await client.call(.post, "/v1/users", token: admin, json: ["name": "eve\u{0}", "role": "analyst", "password": "long-enough-password"])
            #expect(badUser.status == .badRequest && badUser.json["field"] as? String == "name", "\(badUser.text)")
            let badPassword = try await client.call(.post, "/v1/users", token: admin, json: ["name": "eve", "role": "analyst", "password": "long-enough\u{0}-password"])
            #expect(badPassword.status == .badRequest && badPassword.json["field"] as? String == "password", "\(badPassword.text)")
            let badQuery = try await client.call(.get, "/v1/search?q=a%00b", token: erik)
            #expect(badQuery.status == .badRequest && badQuery.json["field"] as? String == "q", "\(badQuery.text)")

            // Every editor still pulls everything.
            let (page, _) = try await client.pullAll(token: erik)
            #expect(page.articles.map(\.article.id) == [fine.articleID])
        }
    }

    @Test(arguments: Backend.all) func textThatIsKeptComesBackByteForByte(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let erik = try await client.login("erik")
            let body = "Мінск і Пекін: ўзаемадзеянне.\n\nCafe\u{301} (combining), 👩🏽‍💻 (a ZWJ emoji), tab\there, שלום \u{202B}embedded\u{202C} and \u{2067}isolated\u{2069}.\n"
            let change = Make.create("Мінск і Пекін 👩🏽‍💻 \u{200F}mark", body: body, by: "anna", tags: ["беларусь", "ў"], at: fixture.environment.now)
            let result = try await client.push([change], token: anna)[0]
            #expect(result.status == .applied, "\(result)")
            let (page, _) = try await client.pullAll(token: erik)
            let pulled = try #require(page.articles.first)
            let expected = ArticleContent.normalizedField(.body, body)
            #expect(Array(pulled.article.content.body.utf8) == Array(expected.utf8))
            #expect(pulled.article.content.title == "Мінск і Пекін 👩🏽‍💻 \u{200F}mark")
            #expect(pulled.article.content.tags == ["беларусь", "ў"])
            #expect(pulled.head.id == pulled.article.headRevision, "the stored row still hashes to its revision")
        }
    }

    @Test(arguments: Backend.all) func loginGuessesAreCountedBeforeTheCheckAndOnTheRealName(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            // A NUL-suffixed name is not a name: it never logs in as anyone, whatever the password.
            for _ in 0..<8 {
                let reply = try await client.call(.post, "/v1/sessions", json: ["name": "anna\u{0}x", "password": "password-anna"])
                #expect(reply.status == .badRequest && reply.json["token"] == nil, "\(reply.text)")
            }
            // Forty guesses at once: the limit (5) holds, the rest wait.
            let answers = try await withThrowingTaskGroup(of: Int.self) { group in
                for k in 0..<40 {
                    group.addTask { try await client.call(.post, "/v1/sessions", json: ["name": "erik", "password": "guess-\(k)"]).status.code }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(answers.filter { $0 == 401 }.count == 5, "\(answers.sorted())")
            #expect(answers.filter { $0 == 429 }.count == 35)
            let right = try await client.call(.post, "/v1/sessions", json: ["name": "erik", "password": "password-erik"])
            #expect(right.status == .tooManyRequests, "even the right password waits out the window")
            fixture.advance(61)
            _ = try await client.login("erik")
        }
    }

    @Test(arguments: Backend.all) func aClaimedOrReusedChangeIdIsRefusedAndRevealsNothing(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            let secret = Make.create("Anna's secret draft", body: "Words only Anna may read.\n", by: "anna", at: fixture.environment.now)
            let first = try await client.push([secret], token: anna)[0]
            #expect(first.status == .applied)

            // Boris replays Anna's change id: he learns nothing (no head revision) and writes nothing.
            var replay = secret
            replay.author = "boris"
            let stolen = try await client.push([replay], token: boris)[0]
            #expect(stolen.status == .rejected && stolen.error?.code == .changeIDReused && stolen.headRevision == nil, "\(stolen)")

            // Anna's own retry is answered as the first time; the same id with other text is refused.
            #expect(try await client.push([secret], token: anna)[0] == first)
            var other = secret
            other.set.body = "Different words.\n"
            let reused = try await client.push([other], token: anna)[0]
            #expect(reused.status == .rejected && reused.error?.code == .changeIDReused)
            #expect(try await fixture.archive.article(secret.articleID)?.content.body == "Words only Anna may read.\n")

            // Through HTTP too: an Idempotency-Key another user used gets 409, not their result.
            let key = UUID().uuidString
            let noted = try await client.call(.post, "/v1/articles/\(secret.articleID)/notes", token: anna, json: ["text": "Mine."], headers: [.init("Idempotency-Key")!: key])
            #expect(noted.status == .created)
            let published = try await AttackTests.publish(client, secret.articleID, author: anna, editor: try await client.login("erik"))
            #expect(published.status == .ok)
            let claimed = try await client.call(.post, "/v1/articles/\(secret.articleID)/notes", token: boris, json: ["text": "His."], headers: [.init("Idempotency-Key")!: key])
            #expect(claimed.status == .notFound || claimed.status == .conflict, "\(claimed.text)")
            #expect(claimed.code != nil && !claimed.text.contains("Mine."))
        }
    }

    @Test(arguments: Backend.all) func theMergeAncestorIsTheBaseRevisionNotTheClientsWord(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            var create = Make.create("Joint", body: "Para one.\n\nPara two.\n", by: "anna", at: fixture.environment.now)
            create.authors = SetEdit(add: ["boris"])
            _ = try await client.push([create], token: anna)
            let r0 = try await client.article(create.articleID, token: anna)
            // Anna adds words to paragraph one.
            _ = try await client.push([Make.edit(r0, by: "anna", at: fixture.environment.now) { _ in "Para one, with Anna's words.\n\nPara two.\n" }], token: anna)
            let r1 = try await client.article(create.articleID, token: anna)
            // Boris edits paragraph two on r0 but claims to have seen r1's text: a fast-forward
            // on his word would drop Anna's words.
            var lie = Change(articleID: create.articleID, baseRevision: r0.headRevision, author: "boris", replicaID: UUID(), createdAt: fixture.environment.now)
            lie.set.body = "Para one.\n\nPara two, edited by Boris.\n"
            lie.previous.body = r1.content.body
            let result = try await client.push([lie], token: boris)[0]
            #expect(result.status == .merged, "\(result)")
            let head = try await client.article(create.articleID, token: anna)
            #expect(head.content.body == "Para one, with Anna's words.\n\nPara two, edited by Boris.\n")
        }
    }

    /// A retracted article reaches other analysts as readers have it (title and notice, no
    /// words), as an article whose head hashes: the pull of everyone who is not its author once
    /// failed on it, so one retraction stopped every other analyst's sync.
    @Test(arguments: Backend.all) func aRetractionReachesOtherAnalystsWithoutItsWords(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            let erik = try await client.login("erik")
            let live = Make.create("Калійны экспарт", body: "Словы, якія знікнуць.\n", by: "anna", at: fixture.environment.now)
            _ = try await client.push([live], token: anna)
            #expect(try await Self.publish(client, live.articleID, author: anna, editor: erik).status == .ok)
            let (_, before) = try await client.pullAll(token: boris)
            #expect(before.flatMap(\.articles).contains { $0.article.content.body == "Словы, якія знікнуць.\n" })
            #expect(try await Self.transition(client, live.articleID, erik, ["kind": "retract", "message": "Лічбы былі памылковыя."]).status == .ok)

            let after = try await client.call(.get, "/v1/sync/pull?since=\(before.last!.nextCursor)", token: boris)
            #expect(after.status == .ok)
            let page = try after.decode(PullPage.self)
            let seen = try #require(page.articles.first { $0.article.id == live.articleID })
            #expect(seen.article.state == .retracted && seen.article.retractionMessage == "Лічбы былі памылковыя.")
            #expect(seen.article.content.title == "Калійны экспарт" && seen.article.content.body.isEmpty && seen.head.content.body.isEmpty)
            #expect(!after.text.contains("знікнуць"), "the retracted words reached another analyst")
            // The same view through the API, and the author still has every word.
            let shown = try await client.article(live.articleID, token: boris)
            #expect(shown.content.body.isEmpty && shown.headRevision == seen.article.headRevision)
            #expect(try await client.article(live.articleID, token: anna).content.body == "Словы, якія знікнуць.\n")
            let (_, fromScratch) = try await client.pullAll(token: boris)
            #expect(fromScratch.flatMap(\.articles).contains { $0.article.id == live.articleID && $0.article.state == .retracted })
        }
    }

    @Test(arguments: Backend.all) func othersDraftsDoNotShowThroughFiltersSlugsOrTiming(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            let erik = try await client.login("erik")
            let live = Make.create("Potash exports", body: "Public words.\n", by: "anna", tags: ["trade"], at: fixture.environment.now)
            _ = try await client.push([live], token: anna)
            #expect(try await Self.publish(client, live.articleID, author: anna, editor: erik).status == .ok)
            let (_, pages) = try await client.pullAll(token: boris)
            let cursor = pages.last!.nextCursor
            // A correction under review: new tag, new category, new title.
            let published = try await client.article(live.articleID, token: anna)
            var correction = Make.edit(published, by: "anna", at: fixture.environment.now) { _ in "Secret correction.\n" }
            correction.set(.category, to: "economy", from: published.content)
            correction.tags = SetEdit(add: ["secret"])
            _ = try await client.push([correction], token: anna)
            _ = try await Self.transition(client, live.articleID, anna, ["kind": "submit"])
            let draft = Make.create("Secret plans", body: "A draft.\n", by: "anna", tags: ["secret"], at: fixture.environment.now)
            _ = try await client.push([draft], token: anna)

            func listed(_ query: String) async throws -> [String] {
                let reply = try await client.call(.get, "/v1/articles?\(query)", token: boris)
                return (reply.json["articles"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            }
            #expect(try await listed("tag=secret").isEmpty)
            #expect(try await listed("category=economy").isEmpty)
            #expect(try await listed("state=submitted").isEmpty)
            #expect(try await listed("tag=trade") == [live.articleID.description])
            #expect(try await listed("category=politics") == [live.articleID.description])
            #expect(try await listed("state=published") == [live.articleID.description])
            let shown = try await client.article(live.articleID, token: boris)
            #expect(shown.content.body == "Public words.\n" && shown.state == .published && shown.content.tags == ["trade"])
            // The correction does not even move the article in Boris's pull.
            let after = try await client.call(.get, "/v1/sync/pull?since=\(cursor)", token: boris).decode(PullPage.self)
            #expect(after.articles.isEmpty, "\(after.articles.map(\.article.content.title))")
            // Boris's article of the same title gets the slug Anna's draft has: it tells him nothing.
            let mine = Make.create("Secret plans", body: "Boris's own.\n", by: "boris", at: fixture.environment.now)
            _ = try await client.push([mine], token: boris)
            #expect(try await client.article(mine.articleID, token: boris).content.slug == "secret-plans")
            // Search sees Anna's public words, not her correction.
            let found = try await client.call(.get, "/v1/search?q=secret", token: boris)
            #expect((found.json["articles"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } == [mine.articleID.description])
        }
    }

    @Test(arguments: Backend.all) func whatIsLiveChangesOnlyByPublishing(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            let erik = try await client.login("erik")
            let live = Make.create("Live piece", body: "Live words.\n", by: "anna", at: fixture.environment.now)
            _ = try await client.push([live], token: anna)
            #expect(try await Self.publish(client, live.articleID, author: anna, editor: erik).status == .ok)

            // The byline: adding a co-author sends the article back to review; the page keeps its byline.
            var byline = Change(articleID: live.articleID, baseRevision: try await client.article(live.articleID, token: anna).headRevision,
                                author: "anna", replicaID: UUID(), createdAt: fixture.environment.now)
            byline.authors = SetEdit(add: ["boris"])
            #expect(try await client.push([byline], token: anna)[0].status == .applied)
            #expect(try await client.article(live.articleID, token: anna).state == .submitted)
            #expect(try await fixture.archive.publishedArticle(slug: "live-piece")?.authors == ["anna"])
            let page = try await client.call(.get, "/articles/live-piece")
            #expect(page.text.contains("by anna") && !page.text.contains("boris"))

            // Nobody creates an article attributed only to others.
            var framed = Make.create("Framed", body: "Words Boris never wrote.\n", by: "anna", at: fixture.environment.now)
            framed.authors = SetEdit(add: ["boris"], remove: ["anna"])
            let refused = try await client.push([framed], token: anna)[0]
            #expect(refused.status == .rejected && refused.error?.code == .notAllowed && refused.error?.field == "authors", "\(refused)")

            // The live address stays the article's own while a new slug waits for review …
            let early = Make.create("Moved piece", body: "Boris's draft, made first.\n", by: "boris", at: fixture.environment.now)
            _ = try await client.push([early], token: boris)
            let current = try await client.article(live.articleID, token: anna)
            var move = Change(articleID: live.articleID, baseRevision: current.headRevision, author: "anna", replicaID: UUID(), createdAt: fixture.environment.now)
            move.set(.slug, to: "moved-piece", from: current.content)
            _ = try await client.push([move], token: anna)
            #expect(try await client.article(live.articleID, token: anna).content.slug == "moved-piece", "Boris's draft reserves nothing")
            let squatter = Make.create("Live piece", body: "Boris's text at Anna's address.\n", by: "boris", at: fixture.environment.now)
            _ = try await client.push([squatter], token: boris)
            #expect(try await client.article(squatter.articleID, token: boris).content.slug == "live-piece-2")
            #expect(try await client.call(.get, "/articles/live-piece").text.contains("Live words."))
            // … and once it is published at the new one, no other article can take that page.
            let republished = try await Self.publish(client, live.articleID, author: anna, editor: erik)
            #expect(republished.status == .ok, "\(republished.text)")
            let squat = try await Self.publish(client, early.articleID, author: boris, editor: erik)
            #expect(squat.status == .conflict && squat.code == "slug_taken", "\(squat.text)")
            #expect(try await client.call(.get, "/articles/moved-piece").text.contains("Live words."))
        }
    }

    @Test(arguments: Backend.all) func scheduledPublishingCannotBeBlockedOrLeftStuck(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        let publisher = ScheduledPublisher(environment: fixture.environment, logger: Logger.test)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            let erik = try await client.login("erik")
            let when = fixture.environment.now.addingTimeInterval(3600)

            // An analyst pushes, first, every change id the old scheduler would have used.
            let embargo = Make.create("Embargoed", body: "Para one.\n\nPara two.\n", by: "anna", at: fixture.environment.now)
            _ = try await client.push([embargo], token: anna)
            #expect(try await Self.publish(client, embargo.articleID, author: anna, editor: erik, at: when).status == .ok)
            let squat = Change(
                id: ChangeID(UUID(namespaceHash: "scheduled \(embargo.articleID) \(Timestamp.format(when))")), articleID: embargo.articleID,
                baseRevision: try await client.article(embargo.articleID, token: anna).headRevision, note: .init(text: "claimed"),
                author: "boris", replicaID: UUID(), createdAt: fixture.environment.now)
            _ = try await client.push([squat], token: boris)
            fixture.advance(3601)
            #expect(try await publisher.tick() == [embargo.articleID])

            // A conflict blocks it: the failure is written once, not retried in a loop; resolved, it goes out.
            let second = Make.create("Second embargo", body: "Para one.\n\nPara two.\n", by: "anna", at: fixture.environment.now)
            _ = try await client.push([second], token: anna)
            let base = try await client.article(second.articleID, token: anna)
            #expect(try await Self.publish(client, second.articleID, author: anna, editor: erik, at: fixture.environment.now.addingTimeInterval(60)).status == .ok)
            var stale = Make.edit(base, by: "anna", at: fixture.environment.now) { _ in "Para one.\n\nPara two, rewritten.\n" }
            stale.previous.body = "Para one.\n\nPara two, as Anna remembered it.\n"
            stale.baseRevision = RevisionID(String(repeating: "0", count: 64))
            let conflicted = try await client.push([stale], token: anna)[0]
            #expect(conflicted.status == .conflict, "\(conflicted)")
            #expect(try await client.article(second.articleID, token: erik).state == .scheduled)
            fixture.advance(61)
            #expect(try await publisher.tick().isEmpty)
            #expect(try await publisher.tick().isEmpty)
            let notes = try await fixture.archive.notes(of: second.articleID).filter { $0.author == "scheduler" }
            #expect(notes.count == 1 && notes[0].text.contains("conflict"), "\(notes.map(\.text))")
            #expect(try await fixture.archive.audit(limit: 50, before: nil).contains { $0.action == "rejected_publish" && $0.articleID == second.articleID })
            let conflict = try #require(try await fixture.archive.conflicts(of: second.articleID, openOnly: true).first)
            let head = try await client.article(second.articleID, token: anna).headRevision
            let resolve = Change(articleID: second.articleID, baseRevision: head, resolves: [conflict.id], author: "anna", replicaID: UUID(), createdAt: fixture.environment.now)
            let resolved = try await client.push([resolve], token: anna)[0]
            #expect(resolved.status == .applied, "\(resolved)")
            let retried = try await publisher.tick()
            let said = try await fixture.archive.notes(of: second.articleID).map(\.text)
            #expect(retried == [second.articleID], "tried again as soon as the article changed: \(retried), \(said)")

            // A deleted article is not published on schedule, and nothing waits for it.
            let third = Make.create("Deleted embargo", body: "x\n", by: "anna", at: fixture.environment.now)
            _ = try await client.push([third], token: anna)
            #expect(try await Self.publish(client, third.articleID, author: anna, editor: erik, at: fixture.environment.now.addingTimeInterval(60)).status == .ok)
            let delete = Change(articleID: third.articleID, baseRevision: try await client.article(third.articleID, token: anna).headRevision,
                                delete: true, author: "anna", replicaID: UUID(), createdAt: fixture.environment.now)
            #expect(try await client.push([delete], token: anna)[0].status == .applied)
            fixture.advance(61)
            #expect(try await fixture.archive.dueScheduled(now: fixture.environment.now).isEmpty)
            #expect(try await fixture.archive.article(third.articleID)?.scheduledAt == nil)
        }
    }

    @Test(arguments: Backend.all) func addressesInAnyScriptReachTheirPages(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        let admin = "admin"
        _ = admin
        try await fixture.archive.addCategory(Category(slug: "палітыка", name: "Палітыка"), by: "admin", at: fixture.environment.now)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let erik = try await client.login("erik")
            let article = Make.create("Мінск і Пекін", body: "Цела.\n", by: "anna", category: "палітыка", tags: ["беларусь"], at: fixture.environment.now)
            _ = try await client.push([article], token: anna)
            #expect(try await Self.publish(client, article.articleID, author: anna, editor: erik).status == .ok)
            let home = try await client.call(.get, "/").text
            for path in ["/articles/мінск-і-пекін", "/categories/палітыка", "/categories/палітыка/feed.atom", "/tags/беларусь"] {
                let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!
                #expect(home.contains(encoded) || path.contains("feed") || path.contains("tags"), "home links \(encoded)")
                let reply = try await client.call(.get, encoded)
                #expect(reply.status == .ok, "\(path): \(reply.status)")
            }
            #expect(try await client.call(.get, "/tags/none").status == .notFound)
            let search = try await client.call(.get, "/search?q=%D0%9C%D1%96%D0%BD%D1%81%D0%BA+%D0%9F%D0%B5%D0%BA%D1%96%D0%BD").text
            #expect(search.contains("Search: Мінск Пекін") && search.contains("Мінск і Пекін"), "a form's + is a space")
        }
    }
}

/// What attacking the server a second time found, each kept from coming back.
@Suite struct SecondAttackTests {
    static func create(_ client: some TestClientProtocol, _ title: String, by name: String, token: String, at: Date, tags: [String] = []) async throws -> Change {
        let change = Make.create(title, body: "Para one.\n\nPara two.\n", by: name, tags: tags, at: at)
        let result = try await client.push([change], token: token)[0]
        #expect(result.status == .applied, "\(result)")
        return change
    }

    @Test(arguments: Backend.all) func aNonAuthorHearsOfADraftWhatHeWouldOfNothing(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            let erik = try await client.login("erik")
            let draft = try await Self.create(client, "Anna's draft", by: "anna", token: anna, at: fixture.environment.now)
            let gone = try await Self.create(client, "Deleted draft", by: "anna", token: anna, at: fixture.environment.now)
            let goneHead = try await client.article(gone.articleID, token: anna).headRevision
            _ = try await client.push([Change(articleID: gone.articleID, baseRevision: goneHead, delete: true, author: "anna", replicaID: UUID(), createdAt: fixture.environment.now)], token: anna)
            let live = try await Self.create(client, "Anna's live piece", by: "anna", token: anna, at: fixture.environment.now)
            #expect(try await AttackTests.publish(client, live.articleID, author: anna, editor: erik).status == .ok)
            let before = try await fixture.archive.latestSequence()
            let anyBase = RevisionID(String(repeating: "ab", count: 32))!
            var probes: [Change] = []
            for id in [draft.articleID, gone.articleID] {
                probes.append(Change(articleID: id, baseRevision: anyBase, author: "boris", replicaID: UUID(), createdAt: fixture.environment.now))
                probes.append(Change(articleID: id, baseRevision: anyBase, command: .submit, author: "boris", replicaID: UUID(), createdAt: fixture.environment.now))
                probes.append(Change(articleID: id, baseRevision: nil, set: .init(title: "Mine now"), author: "boris", replicaID: UUID(), createdAt: fixture.environment.now))
            }
            let nothing = ArticleID.generate(at: fixture.environment.now)
            let unknown = try await client.push([Change(articleID: nothing, baseRevision: anyBase, author: "boris", replicaID: UUID(), createdAt: fixture.environment.now)], token: boris)[0]
            for probe in probes {
                let result = try await client.push([probe], token: boris)[0]
                #expect(result.status == .rejected && result.headRevision == nil, "\(result)")
                #expect(result.error?.code == .notFound, "a draft answers as nothing does: \(String(describing: result.error?.code)) vs \(String(describing: unknown.error?.code))")
                // In the same words, too (but for the id each names).
                let said = result.error?.message.replacingOccurrences(of: probe.articleID.short, with: "ID")
                #expect(said == unknown.error?.message.replacingOccurrences(of: nothing.short, with: "ID"), "\(said ?? "") vs \(unknown.error?.message ?? "")")
            }
            // A published article of someone else: seen, but not his to change; the head stays hidden.
            let onLive = try await client.push([Change(articleID: live.articleID, baseRevision: anyBase, author: "boris", replicaID: UUID(), createdAt: fixture.environment.now)], token: boris)[0]
            #expect(onLive.status == .rejected && onLive.error?.code == .notAuthor && onLive.headRevision == nil, "\(onLive)")
            #expect(try await fixture.archive.latestSequence() == before, "no event for a refused probe (the audit log records the refused steps: who tried what)")
        }
    }

    @Test(arguments: Backend.all) func userNamesAreOneFormAndOneCaseAndTheServersOwnNamesAreTaken(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let admin = try await client.login("admin")
            #expect(try await client.call(.post, "/v1/users", token: admin, json: ["name": "rené", "role": "analyst", "password": "long-enough-1"]).status == .created)
            for twin in ["rene\u{301}", "René", "RENÉ"] {
                let reply = try await client.call(.post, "/v1/users", token: admin, json: ["name": twin, "role": "analyst", "password": "long-enough-2"])
                #expect(reply.status == .conflict && reply.code == "already_exists", "\(twin.unicodeScalars.map(\.value)): \(reply.text)")
            }
            for reserved in ["scheduler", "system", "Scheduler"] {
                let reply = try await client.call(.post, "/v1/users", token: admin, json: ["name": reserved, "role": "analyst", "password": "long-enough-3"])
                #expect(reply.status == .badRequest && reply.json["field"] as? String == "name", "\(reserved): \(reply.text)")
            }
            // Typed decomposed at login, it is the same account.
            let login = try await client.call(.post, "/v1/sessions", json: ["name": "rene\u{301}", "password": "long-enough-1"])
            #expect(login.status == .created && (login.json["user"] as? [String: Any])?["name"] as? String == "rené", "\(login.text)")
            // bcrypt reads 72 bytes: a password that only begins with the right one is wrong.
            #expect(try await client.call(.post, "/v1/users", token: admin, json: ["name": "longpass", "role": "analyst", "password": String(repeating: "p", count: 72)]).status == .created)
            let longer = try await client.call(.post, "/v1/sessions", json: ["name": "longpass", "password": String(repeating: "p", count: 72) + "anything"])
            #expect(longer.status == .unauthorized, "\(longer.text)")
        }
    }

    @Test(arguments: Backend.all) func analystsLearnNothingFromRelatedIdsOrSearchOfOthersDrafts(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            let erik = try await client.login("erik")
            let draft = try await Self.create(client, "Narwhal draft of Anna's", by: "anna", token: anna, at: fixture.environment.now)
            let live = try await Self.create(client, "Boris's live piece", by: "boris", token: boris, at: fixture.environment.now)
            #expect(try await AttackTests.publish(client, live.articleID, author: boris, editor: erik).status == .ok)
            var curate = Change(articleID: live.articleID, baseRevision: try await client.article(live.articleID, token: erik).headRevision,
                                author: "erik", replicaID: UUID(), createdAt: fixture.environment.now)
            curate.related = SetEdit(add: [draft.articleID])
            #expect(try await client.push([curate], token: erik)[0].status == .applied)
            #expect(try await client.article(live.articleID, token: boris).related.isEmpty, "Anna's draft id is not shown to Boris")
            let (page, _) = try await client.pullAll(token: boris)
            #expect(page.articles.allSatisfy { $0.article.related.isEmpty })
            #expect(try await client.article(live.articleID, token: erik).related == [draft.articleID], "editors see the curation")

            // Boris's own narwhal article is found whatever number of drafts of others use the word.
            let mine = try await Self.create(client, "Narwhal notes of Boris", by: "boris", token: boris, at: fixture.environment.now)
            func found() async throws -> [String] {
                ((try await client.call(.get, "/v1/search?q=narwhal", token: boris)).json["articles"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            }
            let alone = try await found()
            for n in 0..<30 { _ = try await Self.create(client, "Narwhal \(n)", by: "anna", token: anna, at: fixture.environment.now) }
            #expect(try await found() == alone && alone == [mine.articleID.description])
        }
    }

    @Test(arguments: Backend.all) func bylinesAndMessagesAreKept(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            let erik = try await client.login("erik")
            var joint = Make.create("Joint", body: "x\n", by: "boris", at: fixture.environment.now)
            joint.authors = SetEdit(add: ["anna"])
            _ = try await client.push([joint], token: boris)
            let head = try await client.article(joint.articleID, token: anna).headRevision
            var takeOff = Change(articleID: joint.articleID, baseRevision: head, author: "anna", replicaID: UUID(), createdAt: fixture.environment.now)
            takeOff.authors = SetEdit(remove: ["boris"])
            let refused = try await client.push([takeOff], token: anna)[0]
            #expect(refused.status == .rejected && refused.error?.code == .notAllowed, "\(refused)")
            #expect(try await client.article(joint.articleID, token: boris).authors == ["boris", "anna"])

            _ = try await AttackTests.transition(client, joint.articleID, boris, ["kind": "submit"])
            var both = Change(articleID: joint.articleID, baseRevision: head, command: .requestChanges(message: "MAIN REASON: the figures."),
                              note: .init(text: "Minor: a typo."), author: "erik", replicaID: UUID(), createdAt: fixture.environment.now)
            both.id = ChangeID()
            #expect(try await client.push([both], token: erik)[0].status == .applied)
            let notes = try await fixture.archive.notes(of: joint.articleID).map(\.text)
            #expect(notes.contains("MAIN REASON: the figures.") && notes.contains("Minor: a typo."), "\(notes)")
        }
    }

    @Test(arguments: Backend.all) func misspeltFieldsRetriesAndInvisibleCharactersAreHandledAsPeopleMeanThem(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let id = ArticleID.generate(at: fixture.environment.now)
            let misspelt = #"{"changes":[{"id":"\#(UUID())","articleId":"\#(id)","set":{"title":"T","titel":"Words"},"author":"anna","replicaId":"\#(UUID())","createdAt":"2027-01-15T08:00:00Z"}]}"#
            let reply = try await client.call(.post, "/v1/sync/push", token: anna, raw: Data(misspelt.utf8))
            #expect(reply.status == .badRequest && (reply.json["field"] as? String)?.hasSuffix("titel") == true, "\(reply.text)")
            #expect(try await fixture.archive.article(id) == nil)

            // An Idempotency-Key retry answers as the first time; a key that is not a UUID is refused.
            let draft = try await Self.create(client, "Retried", by: "anna", token: anna, at: fixture.environment.now)
            let key = UUID().uuidString
            for _ in 0..<2 {
                let note = try await client.call(.post, "/v1/articles/\(draft.articleID)/notes", token: anna, json: ["text": "Once."], headers: [.init("Idempotency-Key")!: key])
                #expect(note.status == .created, "\(note.text)")
                fixture.advance(1)
            }
            #expect(try await fixture.archive.notes(of: draft.articleID).count == 1)
            // Also when the article changed between the try and the retry: the request named the
            // article, not its head.
            let current = try await client.article(draft.articleID, token: anna)
            let edited = try await client.push([Make.edit(current, by: "anna", at: fixture.environment.now) { $0 + "More.\n" }], token: anna)[0]
            #expect(edited.status == .applied, "\(edited)")
            let retried = try await client.call(.post, "/v1/articles/\(draft.articleID)/notes", token: anna, json: ["text": "Once."], headers: [.init("Idempotency-Key")!: key])
            #expect(retried.status == .created, "a retry after an edit is still the same request: \(retried.text)")
            #expect(try await fixture.archive.notes(of: draft.articleID).count == 1)
            let bad = try await client.call(.post, "/v1/articles/\(draft.articleID)/notes", token: anna, json: ["text": "Twice?"], headers: [.init("Idempotency-Key")!: "retry-1"])
            #expect(bad.status == .badRequest, "\(bad.text)")

            // Slugs and tags that look like others but hold invisible characters.
            for (slug, tag) in [("published\u{200D}-piece", "a\u{200B}b"), ("published-piece\u{34F}", "x\u{FEFF}"), ("published-piec\u{E0065}e", "\u{2028}t")] {
                var change = Make.create("Lookalike", body: "x\n", by: "anna", at: fixture.environment.now)
                change.set.slug = slug
                let result = try await client.push([change], token: anna)[0]
                #expect(result.status == .rejected && [.slugInvalid, .textInvalid].contains(result.error?.code), "\(slug.unicodeScalars.map(\.value)): \(result)")
                var tagged = Make.create("Tagged lookalike", body: "x\n", by: "anna", at: fixture.environment.now)
                tagged.tags = SetEdit(add: [tag])
                #expect(try await client.push([tagged], token: anna)[0].status == .rejected, "\(tag.unicodeScalars.map(\.value))")
            }
            // Limits count scalars, not what a reader sees as one character.
            let heavy = Make.create("T" + String(repeating: "\u{301}", count: 400), body: "x\n", by: "anna", at: fixture.environment.now)
            #expect(try await client.push([heavy], token: anna)[0].error?.code == .titleTooLong)
            // A chosen slug that is taken is refused, not changed behind the author's back.
            var same = Make.create("Another", body: "x\n", by: "anna", at: fixture.environment.now)
            same.set.slug = "retried"
            #expect(try await client.push([same], token: anna)[0].error?.code == .slugTaken)
            // No such day.
            let feb31 = #"{"changes":[{"id":"\#(UUID())","articleId":"\#(ArticleID.generate(at: fixture.environment.now))","set":{"title":"T"},"author":"anna","replicaId":"\#(UUID())","createdAt":"2026-02-31T00:00:00Z"}]}"#
            #expect(try await client.call(.post, "/v1/sync/push", token: anna, raw: Data(feb31.utf8)).status == .badRequest)
            // Editing and deleting in one change is refused, not half done.
            let head = try await client.article(draft.articleID, token: anna)
            var both = Make.edit(head, by: "anna", at: fixture.environment.now) { $0 + "More.\n" }
            both.delete = true
            #expect(try await client.push([both], token: anna)[0].error?.code == .malformed)
        }
    }

    @Test(arguments: Backend.all) func aSecondSettlementOfAConflictDoesNotSilentlyLoseTheFirstChoice(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            var joint = Make.create("Joint", body: "x\n", by: "anna", at: fixture.environment.now)
            joint.authors = SetEdit(add: ["boris"])
            _ = try await client.push([joint], token: anna)
            let base = try await client.article(joint.articleID, token: anna)
            _ = try await client.push([Make.edit(base, by: "anna", at: fixture.environment.now, .lead) { _ in "Anna's lead." }], token: anna)
            _ = try await client.push([Make.edit(base, by: "boris", at: fixture.environment.now, .lead) { _ in "Boris's lead." }], token: boris)
            let conflict = try #require(try await fixture.archive.conflicts(of: joint.articleID, openOnly: true).first)
            let seen = try await client.article(joint.articleID, token: anna)
            #expect(seen.content.lead == "Anna's lead.")
            // Boris settles for his lead; Anna, who saw the same state, settles for keeping hers.
            var his = Change(articleID: joint.articleID, baseRevision: seen.headRevision, resolves: [conflict.id], author: "boris", replicaID: UUID(), createdAt: fixture.environment.now)
            his.set(.lead, to: "Boris's lead.", from: seen.content)
            #expect(try await client.push([his], token: boris)[0].status == .applied)
            let hers = Change(articleID: joint.articleID, baseRevision: seen.headRevision, resolves: [conflict.id], author: "anna", replicaID: UUID(), createdAt: fixture.environment.now)
            let answer = try await client.push([hers], token: anna)[0]
            #expect(answer.status == .conflict, "Anna hears that her choice met another: \(answer)")
            let open = try await fixture.archive.conflicts(of: joint.articleID, openOnly: true)
            #expect(open.count == 1 && open[0].theirs == "Anna's lead." && open[0].ours == "Boris's lead.", "\(open)")
        }
    }

    @Test(arguments: Backend.all) func readersFindWhatTheyTypeInAnyFormAndPageThroughAllResults(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let erik = try await client.login("erik")
            let made = try await Self.create(client, "Мінск і новае супрацоўніцтва", by: "anna", token: anna, at: fixture.environment.now, tags: ["#Кітай"])
            #expect(try await AttackTests.publish(client, made.articleID, author: anna, editor: erik).status == .ok)
            let article = try await client.article(made.articleID, token: erik)
            #expect(article.content.tags == ["кітай"], "tags are one case, without the #")
            let decomposed = "мінск-і-новае-супрацоу\u{306}ніцтва"
            #expect(try await client.call(.get, "/articles/" + decomposed.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!).status == .ok)
            #expect(try await client.call(.get, "/tags/" + "Кітай".addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!).status == .ok)
            let search = try await client.call(.get, "/search?q=" + "супрацоу\u{306}ніцтва".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            #expect(search.text.contains("Мінск і новае"), "found whatever form the letters were typed in")
            for n in 0..<25 {
                let more = try await Self.create(client, "Potash report \(n)", by: "anna", token: anna, at: fixture.environment.now)
                #expect(try await AttackTests.publish(client, more.articleID, author: anna, editor: erik).status == .ok)
            }
            let first = try await client.call(.get, "/search?q=potash").text
            #expect(first.components(separatedBy: "<article class=\"card\">").count - 1 == 20 && first.contains("rel=\"next\""))
            let second = try await client.call(.get, "/search?q=potash&page=2").text
            #expect(second.components(separatedBy: "<article class=\"card\">").count - 1 == 5 && !second.contains("rel=\"next\""))
        }
    }
}
