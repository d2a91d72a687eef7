import Foundation
import GalleyTestSupport
import GalleyCore
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GalleyServer

@Suite struct FlowTests {
    static let body = "Minsk aspires to replace the Kremlin.\n\nSo far, cooperation has grown in some spheres.\n\nOverall, Beijing is unlikely to replace the Kremlin.\n"

    @Test(arguments: Backend.all) func draftSubmitApproveTheExactRevisionPublishAndEditAfterwards(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let erik = try await client.login("erik")
            let boris = try await client.login("boris")

            // Anna pushes a new article, written offline.
            let create = Make.create("Minsk hopes to boost cooperation with Beijing", body: Self.body, by: "anna", tags: ["china"], at: fixture.environment.now)
            let created = try await client.push([create], token: anna)
            #expect(created.map(\.status) == [.applied])
            let id = create.articleID

            // The editor sees it on pull; another analyst does not (it is Anna's draft).
            let (erikView, _) = try await client.pullAll(token: erik)
            #expect(erikView.articles.map(\.article.id) == [id])
            #expect(erikView.articles[0].head.id == created[0].headRevision)
            let (borisView, _) = try await client.pullAll(token: boris)
            #expect(borisView.articles.isEmpty)

            // Submit, then approve exactly the revision the editor read.
            var reply = try await client.call(.post, "/v1/articles/\(id)/transitions", token: anna, json: ["kind": "submit"])
            #expect(reply.status == .ok, "\(reply.text)")
            let read = try await client.article(id, token: erik)
            #expect(read.state == .submitted)
            reply = try await client.call(.post, "/v1/articles/\(id)/transitions", token: erik, json: ["kind": "approve", "revision": read.headRevision.hex])
            #expect(reply.status == .ok, "\(reply.text)")

            // An analyst can never publish; the editor can.
            reply = try await client.call(.post, "/v1/articles/\(id)/transitions", token: anna, json: ["kind": "publish"])
            #expect(reply.status == .forbidden && reply.code == "not_allowed")
            reply = try await client.call(.post, "/v1/articles/\(id)/transitions", token: erik, json: ["kind": "publish"])
            #expect(reply.status == .ok, "\(reply.text)")
            let published = try await client.article(id, token: erik)
            #expect(published.state == .published && published.publishedRevision == read.headRevision)

            // Now Boris sees the published text.
            let (borisAfter, _) = try await client.pullAll(token: boris)
            #expect(borisAfter.articles.map(\.article.id) == [id])

            // Anna edits the published article: the published revision stays live, the article is in review again.
            fixture.advance(60)
            let edit = Make.edit(published, by: "anna", at: fixture.environment.now) { $0.replacingOccurrences(of: "some spheres", with: "military and technical spheres") }
            #expect(try await client.push([edit], token: anna).map(\.status) == [.applied])
            let after = try await client.article(id, token: erik)
            #expect(after.state == .submitted)
            #expect(after.publishedRevision == read.headRevision)
            #expect(after.headRevision != read.headRevision)
            #expect(after.approvedRevision == nil)

            // Boris still reads the published words, not the edit under review.
            let borisRead = try await client.article(id, token: boris)
            #expect(borisRead.content.body == Self.body)
            let (borisLater, _) = try await client.pullAll(token: boris)
            #expect(borisLater.articles.first?.article.content.body == Self.body)

            // The audit log has every step, and says which change voided the approval.
            let audit = try await client.call(.get, "/v1/audit", token: try await client.login("admin"))
            let actions = (audit.json["entries"] as? [[String: Any]] ?? []).compactMap { $0["action"] as? String }
            for action in ["submit", "approve", "publish", "rejected_publish", "approval_voided"] {
                #expect(actions.contains(action), "audit lacks \(action): \(actions)")
            }
        }
    }

    @Test(arguments: Backend.all) func approvingAStaleRevisionIsAConflictAndWritesNothing(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let erik = try await client.login("erik")
            let create = Make.create("Trade", body: "Exports grew.\n", by: "anna", at: fixture.environment.now)
            _ = try await client.push([create], token: anna)
            _ = try await client.call(.post, "/v1/articles/\(create.articleID)/transitions", token: anna, json: ["kind": "submit"])
            let read = try await client.article(create.articleID, token: erik)
            let edit = Make.edit(read, by: "anna", at: fixture.environment.now) { $0 + "\nAnd imports too.\n" }
            _ = try await client.push([edit], token: anna)
            let before = try await fixture.footprint()
            let reply = try await client.call(.post, "/v1/articles/\(create.articleID)/transitions", token: erik, json: ["kind": "approve", "revision": read.headRevision.hex])
            #expect(reply.status == .conflict && reply.code == "stale_revision", "\(reply.text)")
            #expect(reply.headers[.contentType] == "application/problem+json")
            let after = try await fixture.footprint()
            #expect(after[0] == before[0], "no event was written")
        }
    }
}
