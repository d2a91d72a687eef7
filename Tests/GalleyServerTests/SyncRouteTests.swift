import Foundation
import GalleyTestSupport
import GalleyCore
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import GalleyServer

@Suite struct SyncRouteTests {
    static let body = (1...6).map { "Paragraph \($0) about the economy of Belarus." }.joined(separator: "\n\n") + "\n"

    @Test(arguments: Backend.all) func aRetriedPushAnswersTheSameAndWritesNothingNew(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let create = Make.create("Once", body: Self.body, by: "anna", at: fixture.environment.now)
            let first = try await client.push([create], token: anna)
            let footprint = try await fixture.footprint()
            let again = try await client.push([create, create], token: anna)
            #expect(again == [first[0], first[0]])
            #expect(try await fixture.footprint() == footprint)
        }
    }

    @Test(arguments: Backend.all) func concurrentEditsOfDisjointParagraphsMergeAndOfOneParagraphConflictVisibleToBoth(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            var create = Make.create("Shared", body: Self.body, by: "anna", at: fixture.environment.now)
            create.authors = SetEdit(add: ["boris"])
            _ = try await client.push([create], token: anna)
            let base = try await client.article(create.articleID, token: anna)

            // Both push at once, each about a different paragraph.
            let a = Make.edit(base, by: "anna", at: fixture.environment.now) { $0.replacingOccurrences(of: "Paragraph 2 about", with: "Paragraph 2, revised, about") }
            let b = Make.edit(base, by: "boris", at: fixture.environment.now) { $0.replacingOccurrences(of: "Paragraph 5 about", with: "Paragraph 5, rewritten, about") }
            async let ra = client.push([a], token: anna)
            async let rb = client.push([b], token: boris)
            let statuses = Set(try await ra.map(\.status) + rb.map(\.status))
            #expect(statuses == [.applied, .merged])
            let merged = try await client.article(create.articleID, token: anna)
            #expect(merged.content.body.contains("Paragraph 2, revised,") && merged.content.body.contains("Paragraph 5, rewritten,"))

            // Now both rewrite the same words of paragraph 3.
            let c = Make.edit(merged, by: "anna", at: fixture.environment.now) { $0.replacingOccurrences(of: "Paragraph 3 about the economy", with: "Paragraph 3 about the army") }
            let d = Make.edit(merged, by: "boris", at: fixture.environment.now) { $0.replacingOccurrences(of: "Paragraph 3 about the economy", with: "Paragraph 3 about the church") }
            async let rc = client.push([c], token: anna)
            async let rd = client.push([d], token: boris)
            let results = try await rc + rd
            #expect(results.filter { $0.status == .conflict }.count == 1)
            for token in [anna, boris] {
                let (page, _) = try await client.pullAll(token: token)
                let open = page.conflicts.filter { $0.isOpen && $0.articleID == create.articleID }
                #expect(open.count == 1, "both authors see the conflict")
                let words = open.first.map { $0.ours + $0.theirs } ?? ""
                #expect(words.contains("army") && words.contains("church"), "neither side's words are lost")
            }
        }
    }

    @Test(arguments: Backend.all) func pullPagesNeverSkipOrRepeatWhilePushesRun(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let erik = try await client.login("erik")
            let finished = TestFlag()
            let writer = Task {
                defer { finished.set() }
                var ids: [ArticleID] = []
                for n in 0..<60 {
                    if n % 3 == 2, let id = ids.randomElement() {
                        let article = try await client.article(id, token: anna)
                        _ = try await client.push([Make.edit(article, by: "anna", at: fixture.environment.now) { $0 + "\nMore \(n).\n" }], token: anna)
                    } else {
                        var create = Make.create("Article \(n)", body: "Body \(n).\n", by: "anna", at: fixture.environment.now)
                        create.note = .init(text: "note \(n)")
                        _ = try await client.push([create], token: anna)
                        ids.append(create.articleID)
                    }
                }
            }
            var cursor: Int64 = 0
            var lastSeq: [ArticleID: Int64] = [:]
            var notes: Set<UUID> = []
            while true {
                // Read before pulling: a caught-up pull after the writer finished is the last one.
                let writerFinished = finished.value
                let page = try await client.call(.get, "/v1/sync/pull?since=\(cursor)&limit=3", token: erik).decode(PullPage.self)
                for item in page.articles {
                    if let previous = lastSeq[item.article.id] {
                        #expect(item.seq > previous, "article \(item.article.id.short) came again without a newer event")
                    }
                    lastSeq[item.article.id] = item.seq
                }
                for note in page.notes {
                    #expect(!notes.contains(note.id), "note repeated")
                    notes.insert(note.id)
                }
                cursor = page.nextCursor
                if !page.hasMore && writerFinished { break }
            }
            try await writer.value
            // Nothing skipped: every article arrived in its latest state, every note once.
            let all = try await fixture.archive.articles(ArticleQuery(limit: 1000)).articles
            #expect(all.count == 40)
            for article in all {
                #expect(lastSeq[article.id] == (try await fixture.archive.sequence(of: article.id)), "article \(article.id.short) missed its latest state")
            }
            #expect(notes.count == 40)
        }
    }
}

final class TestFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var value: Bool { flag.withLock { $0 } }
}
