import Foundation
import GalleyTestSupport
import GalleyCore
import Testing

@testable import GalleyStore

@Suite struct PullTests {
    /// Paging by count and by bytes never ends early: every article arrives once.
    @Test(arguments: Backend.all, [(limit: 200, maxBytes: 4 << 20), (limit: 7, maxBytes: 4 << 20), (limit: 500, maxBytes: 50_000)])
    func pagesReachTheEnd(backend: Backend, paging: (limit: Int, maxBytes: Int)) async throws {
        let (limit, maxBytes) = paging
        let archive = try await backend.open()
        let now = Timestamp.canonical(Date())
        try await archive.createUser(StoredUser(name: "e", role: .editor, passwordHash: "x", createdAt: now), by: "test")
        let actor = ChangeApplier.Actor(name: "e", role: .editor)
        var rng = SplitMix64(seed: 3)
        let body = String(repeating: "Some words of a paragraph. ", count: 250)
        let changes = (0..<450).map { n in
            Change(articleID: ArticleID.generate(at: now, using: &rng), baseRevision: nil, set: .init(title: "Article \(n)", body: body),
                   author: "e", replicaID: UUID(), createdAt: now)
        }
        _ = try await archive.applyInOneTransaction(changes, by: actor, at: now)
        var cursor: Int64 = 0
        var seen: [ArticleID] = []
        var pages = 0
        while true {
            let page = try await archive.pull(since: cursor, limit: limit, maxBytes: maxBytes, viewer: actor)
            seen += page.articles.map(\.article.id)
            #expect(page.nextCursor > cursor || !page.hasMore)
            cursor = page.nextCursor
            pages += 1
            if !page.hasMore || pages > 1000 { break }
        }
        #expect(seen.count == 450, "pulled \(seen.count) in \(pages) pages")
        #expect(Set(seen).count == seen.count)
    }
}

