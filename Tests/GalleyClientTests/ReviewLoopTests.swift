import Foundation
import GalleyClient
import GalleyCore
import GalleyStore
import GalleyTestSupport
import Testing

/// The writer's and the editor's loop as they live it through the client: requests for changes
/// that reach the analyst, diffs against what was reviewed, history with its workflow steps,
/// refusals that keep their words, and offline steps that do not fight each other.
@Suite struct ReviewLoopTests {
    @Test(arguments: Backend.all) func requestChangesReachesTheAnalystAndTheNextDiffIsAgainstWhatWasReviewed(backend: Backend) async throws {
        let fixture = try await ClientFixture(backend)
        try await fixture.withServer { server in
            let anna = try await ClientFixture.workspace("anna", server: server)
            let erik = try await ClientFixture.workspace("erik", server: server)
            var article = try anna.newArticle(title: "Potash", category: "politics", body: "Exports rose.\n\nPrices fell.\n")
            article = try anna.submit(article)
            try await anna.syncOK()

            try await erik.syncOK()
            let reviewed = try erik.find(article.id.description)
            _ = try erik.requestChanges(reviewed, message: "Give the figures for May.")
            try await erik.syncOK()

            let told = try await anna.syncOK()
            let request = try #require(told.news.first { $0.what == "changes_requested" }, "\(told.news)")
            #expect(request.actor == "erik" && request.text == "Give the figures for May." && request.article == article.id.short)

            // Two revisions later, the editor's diff still reads against the one he reviewed.
            var doc = ArticleDocument(try anna.find(article.id.description).content)
            doc.body = "Exports rose by 4% in May.\n\nPrices fell.\n"
            try anna.save(doc, to: try anna.find(article.id.description))
            doc.body = "Exports rose by 4% in May.\n\nPrices fell by 2%.\n"
            try anna.save(doc, to: try anna.find(article.id.description))
            _ = try anna.submit(try anna.find(article.id.description))
            try await anna.syncOK()
            let fresh = try await ClientFixture.workspace("erik", server: server)
            for editor in [erik, fresh] {
                try await editor.syncOK()
                let diff = try editor.diff(try editor.find(article.id.description))
                #expect(diff.contains("-Exports rose.") && diff.contains("+Exports rose by 4% in May.") && diff.contains("+Prices fell by 2%."), "\(diff)")
            }

            // Approve names the revision; the log has the steps with who took them.
            let head = try erik.find(article.id.description)
            let approved = try erik.approve(head)
            #expect(approved.approvedRevision == head.headRevision)
            try await erik.syncOK()
            try await anna.syncOK()
            let steps = try anna.log(try anna.find(article.id.description)).compactMap { entry -> String? in
                if case .event(let e) = entry { return "\(e.kind.rawValue) by \(e.actor)" }
                return nil
            }
            #expect(steps.prefix(3) == ["approved by erik", "submitted by anna", "changes_requested by erik"], "\(steps)")
            #expect(steps.last == "created by anna")
        }
    }

    /// An edit after an approval voids it, but what the editor approved is still what the next
    /// review reads against: the diff shows the edit, not the whole article as new.
    @Test(arguments: Backend.all) func afterAVoidedApprovalTheDiffIsAgainstWhatWasApproved(backend: Backend) async throws {
        let fixture = try await ClientFixture(backend)
        try await fixture.withServer { server in
            let anna = try await ClientFixture.workspace("anna", server: server)
            let erik = try await ClientFixture.workspace("erik", server: server)
            let article = try anna.submit(try anna.newArticle(title: "Potash", category: "politics", body: "Exports rose.\n\nPrices fell.\n"))
            try await anna.syncOK()
            try await erik.syncOK()
            _ = try erik.approve(try erik.find(article.id.description))
            try await erik.syncOK()
            try await anna.syncOK()
            var doc = ArticleDocument(try anna.find(article.id.description).content)
            doc.body = "Exports rose.\n\nPrices fell by 2%.\n"
            try anna.save(doc, to: try anna.find(article.id.description))
            try await anna.syncOK()
            try await erik.syncOK()
            let now = try erik.find(article.id.description)
            #expect(now.approvedRevision == nil, "the edit voided the approval")
            let diff = try erik.diff(now)
            #expect(!diff.contains("A new article") && diff.contains("-Prices fell.") && diff.contains("+Prices fell by 2%."), "\(diff)")
            #expect(!diff.contains("+Exports rose."), "what was approved is not shown as new: \(diff)")
        }
    }

    /// `galley conflicts` shows each conflict where it is, with a little text around it, however
    /// far into a long body: not the body's first lines.
    @Test func aConflictIsShownWhereItIsInALongText() {
        let marked = (1...30).map { "Paragraph \($0).\n" }.joined() + "<<<<<<< ours\nMine.\n=======\nYours.\n>>>>>>> theirs\nAfter.\n"
        let (lines, omitted) = GalleyApp.excerpt(of: marked)
        #expect(lines == ["…", "Paragraph 29.", "Paragraph 30.", "<<<<<<< ours", "Mine.", "=======", "Yours.", ">>>>>>> theirs", "After."], "\(lines)")
        #expect(omitted == 0)
        let many = (1...30).map { "<<<<<<< ours\nMine \($0).\n=======\nYours \($0).\n>>>>>>> theirs\n\nText \($0).\n\nMore.\n\nAnd more.\n" }.joined()
        let long = GalleyApp.excerpt(of: many, limit: 40)
        #expect(long.lines.count == 40 && long.omitted > 0)
    }

    @Test(arguments: Backend.all) func aRefusalKeepsItsWordsUntilDismissedAndOneWithoutWordsGoesWhenTheArticleMovesOn(backend: Backend) async throws {
        let fixture = try await ClientFixture(backend)
        try await fixture.withServer { server in
            let anna = try await ClientFixture.workspace("anna", server: server)
            // Before its first sync the workspace knows no categories: the server is the judge.
            _ = try anna.newArticle(title: "In an unknown section", category: "sports", body: "Words that must not be lost.\n")
            let article = try anna.submit(try anna.newArticle(title: "Published meanwhile", category: "politics", body: "x\n"))
            let first = try await anna.sync()
            #expect(first.rejected.map(\.code) == ["unknown_category"])
            let refused = try anna.refused()
            #expect(refused.count == 1 && refused[0].change.set.body == "Words that must not be lost.\n", "\(refused.map(\.message))")
            #expect(try anna.status().rejected.count == 1)

            // Offline, Anna archives her submitted article while Erik publishes it: refused, but
            // a step without words, which says nothing more once the article has moved on.
            let erik = try await ClientFixture.workspace("erik", server: server)
            try await erik.syncOK()
            _ = try erik.publish(try erik.approve(try erik.find(article.id.description)))
            try await erik.syncOK()
            _ = try anna.command(.archive, on: try anna.find(article.id.description))
            let second = try await anna.sync()
            #expect(second.rejected.map(\.code) == ["not_allowed"], "\(second.rejected)")
            #expect(try anna.refused().map(\.change.set.body) == ["Words that must not be lost.\n"], "only the refusal with words stays")

            let gone = try anna.dismissRefused(String(refused[0].change.id.description.prefix(6)))
            #expect(gone.change.id == refused[0].change.id)
            #expect(try anna.refused().isEmpty && (try anna.status()).rejected.isEmpty)
        }
    }

    @Test(arguments: Backend.all) func creatingAndDeletingOfflineIsNoConflictEvenWhenTheServerGivesAnotherSlug(backend: Backend) async throws {
        let fixture = try await ClientFixture(backend)
        try await fixture.withServer { server in
            let boris = try await ClientFixture.workspace("boris", server: server)
            let erik = try await ClientFixture.workspace("erik", server: server)
            let anna = try await ClientFixture.workspace("anna", server: server)
            // Boris publishes "Budget" while Anna is offline: the server will not give her that slug.
            let live = try boris.submit(try boris.newArticle(title: "Budget", category: "politics", body: "Boris's budget.\n"))
            try await boris.syncOK()
            try await erik.syncOK()
            _ = try erik.publish(try erik.approve(try erik.find(live.id.description)))
            try await erik.syncOK()

            let doomed = try anna.newArticle(title: "Budget", category: "politics", body: "A draft Anna gives up.\n")
            #expect(doomed.content.slug == "budget", "offline, Anna's replica does not know Boris's article yet")
            try anna.delete(doomed)
            let twins = [try anna.newArticle(title: "Twin", body: "1\n"), try anna.newArticle(title: "Twin", body: "2\n")]
            #expect(twins.map(\.content.slug) == ["twin", "twin-2"], "her own articles count offline as on the server")
            try anna.delete(twins[1])
            try await anna.syncOK()
            #expect(try anna.conflicts().isEmpty, "no conflict with herself")
            #expect(try await fixture.archive.article(doomed.id)?.deleted == true)
            #expect(try await fixture.archive.article(twins[1].id)?.deleted == true)
        }
    }

    @Test(arguments: Backend.all) func coAuthorsAreCheckedOfflineAgainstTheServersUsers(backend: Backend) async throws {
        let fixture = try await ClientFixture(backend)
        try await fixture.withServer { server in
            let anna = try await ClientFixture.workspace("anna", server: server)
            try await anna.syncOK()
            let article = try anna.newArticle(title: "Joint", body: "x\n")
            #expect(throws: GalleyError.self) { try anna.authors(article, add: ["nobody"]) }
            #expect(try anna.authors(article, add: ["boris"]).authors == ["anna", "boris"])
            #expect(throws: GalleyError.self) { try anna.authors(try anna.find(article.id.description), remove: ["anna"]) }
        }
    }

    /// 10,000 articles in a replica: listing and search page through all of them and say how many
    /// there are, instead of stopping silently at a round number.
    @Test func listAndSearchPageThroughTenThousandArticles() async throws {
        let dir = Scratch.path("big")
        let app = try GalleyApp.initialize(at: dir, server: "http://127.0.0.1:9")
        var rng = SplitMix64(seed: 10_000)
        let now = Timestamp.canonical(Date(timeIntervalSince1970: 1_800_000_000))
        var pulled: [PulledArticle] = []
        for n in 0..<10_000 {
            let id = ArticleID.generate(at: now.addingTimeInterval(Double(n)), using: &rng)
            let word = n % 10 == 0 ? "potash" : "budget"
            let content = ArticleContent(title: "Article \(n)", lead: "", body: "Text about \(word) number \(n).\n", slug: "article-\(n)").normalized()
            let head = Revision(articleID: id, parents: [], content: content, author: "anna", createdAt: now)
            let article = Article(id: id, content: content, authors: ["anna"], headRevision: head.id, createdAt: now, updatedAt: now.addingTimeInterval(Double(n)))
            pulled.append(PulledArticle(article: article, head: head, published: nil, seq: Int64(n + 1)))
        }
        // Open conflicts on every 997th article (pages and the chunks a listing asks for them in
        // fall across them), two on one, and a settled one that no listing may show.
        var conflicts: [Conflict] = []
        for (k, n) in stride(from: 3, to: 10_000, by: 997).enumerated() {
            let a = pulled[n].article
            for field in k == 0 ? [ContentField.body, .title] : [.body] {
                conflicts.append(Conflict(
                    id: ConflictID(change: ChangeID(), field: field), articleID: a.id, field: field, base: "b", ours: "o", theirs: "t",
                    changeIDs: [], author: "erik", revision: a.headRevision, createdAt: now,
                    resolvedBy: k == 1 ? ChangeID() : nil, resolvedAt: k == 1 ? now : nil))
            }
        }
        try app.replica.apply(PullPage(epoch: "e", articles: pulled, conflicts: conflicts, notes: [], nextCursor: 10_000, hasMore: false), now: now)
        let open = Dictionary(grouping: conflicts.filter(\.isOpen).map { ($0.articleID, $0.id) }, by: \.0).mapValues { Set($0.map(\.1)) }
        #expect(open.count == 10 && open.values.map(\.count).reduce(0, +) == 11)
        func conflictsShown(_ listing: GalleyApp.Listing) -> [ArticleID: Set<ConflictID>] {
            Dictionary(uniqueKeysWithValues: listing.views.filter { !$0.conflicts.isEmpty }.map { ($0.article.id, Set($0.conflicts.map(\.id))) })
        }
        #expect(conflictsShown(try app.list(limit: Int.max)) == open, "a listing shows each article's open conflicts, and only those")

        let first = try app.list(limit: 50)
        #expect(first.views.count == 50 && first.total == 10_000 && first.hasMore)
        #expect(first.views.first?.article.content.title == "Article 9999", "newest change first")
        var seen = Set<ArticleID>()
        var offset = 0
        while true {
            let page = try app.list(limit: 1000, offset: offset)
            seen.formUnion(page.views.map(\.article.id))
            offset += page.views.count
            if !page.hasMore { break }
        }
        #expect(seen.count == 10_000 && offset == 10_000, "every article once")
        #expect(try app.list(limit: Int.max).views.count == 10_000)

        let budget = Set(pulled.enumerated().filter { $0.offset % 10 != 0 }.map(\.element.article.id))
        #expect(conflictsShown(try app.search("budget", limit: Int.max)) == open.filter { budget.contains($0.key) }, "so does a search")
        let found = try app.search("potash")
        #expect(found.total == 1000 && found.views.count == 50 && found.hasMore)
        let rest = try app.search("potash", limit: 2000, offset: 50)
        #expect(rest.views.count == 950 && !rest.hasMore)
        #expect(Set(found.views.map(\.article.id)).isDisjoint(with: rest.views.map(\.article.id)))
    }
}
