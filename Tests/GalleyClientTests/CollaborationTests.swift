import Foundation
import GalleyTestSupport
import GalleyClient
import GalleyCore
import GalleyStore
import Testing

/// Two analysts and an editor, each with their own workspace, against a live server.
@Suite struct CollaborationTests {
    static let body = (1...6).map { "Paragraph \($0): the economy of Belarus in the \($0)th quarter." }.joined(separator: "\n\n") + "\n"

    /// Two people change different words of one paragraph offline: Galley merges their words,
    /// and the reviewer's `galley diff` and `galley log` say where it did.
    @Test(arguments: Backend.all) func aWordMergeIsPointedOutToTheReviewer(backend: Backend) async throws {
        let fixture = try await ClientFixture(backend)
        try await fixture.withServer { server in
            let a = try await ClientFixture.workspace("anna", server: server)
            let e = try await ClientFixture.workspace("erik", server: server)
            let draft = try a.newArticle(title: "One paragraph", lead: "", category: "politics", tags: [], body: "Minsk met Beijing on Monday.\n")
            try await a.syncOK()
            try await e.syncOK()
            var doc = ArticleDocument(try a.find(draft.id.description).content)
            doc.body = "Minsk met Beijing on Tuesday.\n"
            try a.save(doc, to: try a.find(draft.id.description))
            doc = ArticleDocument(try e.find(draft.id.description).content)
            doc.body = "Official Minsk met Beijing on Monday.\n"
            try e.save(doc, to: try e.find(draft.id.description))
            try await a.syncOK()
            try await e.syncOK()
            let article = try e.find(draft.id.description)
            #expect(article.content.body == "Official Minsk met Beijing on Tuesday.\n")
            let diff = try e.diff(article)
            #expect(diff.contains("Merged by Galley word by word") && diff.contains("body (paragraph 1)"), "\(diff)")
            try await a.syncOK()
            let log = try a.log(try a.find(draft.id.description))
            #expect(log.contains { if case .note(let note) = $0 { note.author == ChangeApplier.wordMergeAuthor } else { false } }, "the author hears of it too")
        }
    }

    /// Two people change the same word of a paragraph, and other words of it too: the conflict
    /// is those words, the other edits stand merged around it, and taking a side keeps them.
    @Test(arguments: Backend.all) func takingASideKeepsTheEditsMergedAroundTheConflict(backend: Backend) async throws {
        let fixture = try await ClientFixture(backend)
        try await fixture.withServer { server in
            let a = try await ClientFixture.workspace("anna", server: server)
            let e = try await ClientFixture.workspace("erik", server: server)
            let draft = try a.newArticle(
                title: "Exports", lead: "", category: "politics", tags: [],
                body: "Intro.\n\nThe minister said exports grew in May.\nTrade with China rose.\n")
            try await a.syncOK()
            try await e.syncOK()
            var doc = ArticleDocument(try a.find(draft.id.description).content)
            doc.body = "Intro.\n\nThe minister said exports grew in June.\nTrade with Beijing rose.\n"
            try a.save(doc, to: try a.find(draft.id.description))
            doc = ArticleDocument(try e.find(draft.id.description).content)
            doc.body = "Intro.\n\nThe deputy minister said exports grew in April.\nTrade with China rose sharply.\n"
            try e.save(doc, to: try e.find(draft.id.description))
            try await a.syncOK()
            try await e.syncOK()
            let conflict = try #require(try e.conflicts().first)
            let marked = try e.marked(conflict)
            #expect(marked.contains("<<<<<<< ours (yours, not in the article)\nThe deputy minister said exports grew in April.\n="), "\(marked)")
            #expect(marked.contains(">>>>>>> theirs (in the article now)\nTrade with Beijing rose sharply.\n"), "\(marked)")
            _ = try e.resolve(try e.find(draft.id.description), take: .ours)
            let expected = "Intro.\n\nThe deputy minister said exports grew in April.\nTrade with Beijing rose sharply.\n"
            #expect(try e.body(draft.id) == expected)
            try await e.syncOK()
            try await a.syncOK()
            #expect(try a.body(draft.id) == expected)
            #expect(try a.conflicts().isEmpty && e.conflicts().isEmpty)
            let notes = try a.log(try a.find(draft.id.description)).compactMap { entry -> String? in
                if case .note(let note) = entry { return note.text } else { return nil }
            }
            #expect(notes.contains { $0.hasPrefix("Settled a conflict with --take ours, keeping words of both sides that Galley merged: body (paragraph 2)") }, "\(notes)")
        }
    }

    /// Two authors settle one conflict, each their own way, before either hears of the other's
    /// choice: the second choice is a new conflict, not a silent replacement of the first.
    @Test(arguments: Backend.all) func twoSettlementsOfOneConflictAreAConflictAgain(backend: Backend) async throws {
        let fixture = try await ClientFixture(backend)
        try await fixture.withServer { server in
            let a = try await ClientFixture.workspace("anna", server: server)
            let b = try await ClientFixture.workspace("boris", server: server)
            var draft = try a.newArticle(title: "Exports", lead: "", category: "politics", tags: [], body: "Exports fell in May.\n")
            draft = try a.authors(draft, add: ["boris"])
            try await a.syncOK()
            try await b.syncOK()
            for (ws, word) in [(a, "rose"), (b, "grew")] {
                var doc = ArticleDocument(try ws.find(draft.id.description).content)
                doc.body = "Exports \(word) in May.\n"
                try ws.save(doc, to: try ws.find(draft.id.description))
            }
            try await a.syncOK()
            try await b.syncOK()
            try await a.syncOK()
            #expect(try a.conflicts().count == 1 && b.conflicts().count == 1)
            // Anna keeps the article's text (hers); Boris, not knowing, takes his own.
            _ = try a.resolve(try a.find(draft.id.description), take: .ours)
            _ = try b.resolve(try b.find(draft.id.description), take: .ours)
            try await a.syncOK()
            await #expect(throws: Never.self) { try await b.sync() }
            try await a.syncOK()
            #expect(try a.body(draft.id) == "Exports rose in May.\n", "the first settlement stands")
            let again = try #require(try a.conflicts().first, "the second settlement is a conflict, for both to see")
            #expect(again.ours == "Exports rose in May.\n" && again.theirs == "Exports grew in May.\n")
            #expect(try b.conflicts().count == 1)
            // As JSON, each conflict says which side is this workspace's, as --take means it.
            try await b.syncOK()
            let view = try #require(try b.conflictViews().first)
            let json = String(decoding: try JSONEncoder().encode(view), as: UTF8.self)
            #expect(view.sides.ours == "Exports grew in May.\n" && json.contains(#""workspace":{"#) && json.contains(#""oursIsInArticle":false"#), "\(json)")
        }
    }

    @Test(arguments: Backend.all) func twoAnalystsAndAnEditorNeverLoseAWord(backend: Backend) async throws {
        let fixture = try await ClientFixture(backend)
        try await fixture.withServer { server in
            let a = try await ClientFixture.workspace("anna", server: server)
            let b = try await ClientFixture.workspace("boris", server: server)
            let e = try await ClientFixture.workspace("erik", server: server)

            // Anna drafts offline (nothing touches the network) and names Boris co-author.
            var draft = try a.newArticle(title: "Belarus economy", lead: "A year in quarters.", category: "politics", tags: ["economy"], body: Self.body)
            draft = try a.authors(draft, add: ["boris"])
            #expect(try a.status().outbox == 2)
            try await a.syncOK()
            let id = draft.id
            try await b.syncOK()
            try await e.syncOK()
            #expect(try b.body(id) == Self.body)

            // Offline, Boris edits paragraph 2 while Anna edits paragraph 5.
            var doc = ArticleDocument(try b.find(id.description).content)
            doc.body = doc.body.replacingOccurrences(of: "Paragraph 2: the economy", with: "Paragraph 2: the shrinking economy")
            try b.save(doc, to: try b.find(id.description))
            doc = ArticleDocument(try a.find(id.description).content)
            doc.body = doc.body.replacingOccurrences(of: "in the 5th quarter", with: "in the fifth quarter, after the loan")
            try a.save(doc, to: try a.find(id.description))
            try await b.syncOK()
            let merged = try await a.syncOK()
            #expect(merged.merged == 1, "Anna's edit was merged with Boris's")
            for ws in [a, b, e] {
                try await ws.syncOK()
                let text = try ws.body(id)
                #expect(text.contains("the shrinking economy") && text.contains("fifth quarter, after the loan"), "every workspace has both edits")
            }

            // Both rewrite the same sentence: a conflict that both see.
            doc = ArticleDocument(try a.find(id.description).content)
            doc.body = doc.body.replacingOccurrences(of: "in the 3th quarter", with: "in the third quarter, says Anna")
            try a.save(doc, to: try a.find(id.description))
            doc = ArticleDocument(try b.find(id.description).content)
            doc.body = doc.body.replacingOccurrences(of: "in the 3th quarter", with: "in the 3rd quarter, says Boris")
            try b.save(doc, to: try b.find(id.description))
            try await a.syncOK()
            await #expect(throws: Never.self) { try await b.sync() }
            try await a.syncOK()
            for ws in [a, b] {
                let open = try ws.conflicts()
                #expect(open.count == 1, "both authors see the conflict")
                let words = open.map { $0.ours + $0.theirs }.joined()
                #expect(words.contains("says Anna") && words.contains("says Boris"))
            }
            // Anna may not submit with a conflict open.
            #expect(throws: GalleyError.self) { try a.submit(try a.find(id.description)) }

            // Anna resolves by keeping both sentences, and the resolution reaches everyone.
            let conflict = try #require(try a.conflicts().first)
            let resolved = conflict.ours.replacingOccurrences(of: "in the third quarter, says Anna", with: "in the third quarter, says Anna (and in the 3rd, says Boris)")
            _ = try a.resolve(try a.find(id.description), text: resolved)
            try await a.syncOK()
            for ws in [a, b, e] {
                try await ws.syncOK()
                #expect(try ws.conflicts().isEmpty)
                #expect(try ws.body(id).contains("says Anna (and in the 3rd, says Boris)"))
            }

            // Submit; the editor approves what they read; Anna edits after; the approval is void.
            _ = try a.submit(try a.find(id.description))
            try await a.syncOK()
            try await e.syncOK()
            let read = try e.find(id.description)
            #expect(read.state == .submitted)
            _ = try e.approve(read)
            try await e.syncOK()
            try await a.syncOK()
            #expect(try a.find(id.description).approvedRevision == read.headRevision)
            doc = ArticleDocument(try a.find(id.description).content)
            doc.lead = "A year in quarters, revised."
            try a.save(doc, to: try a.find(id.description))
            try await a.syncOK()
            try await e.syncOK()
            let afterEdit = try e.find(id.description)
            #expect(afterEdit.state == .submitted && afterEdit.approvedRevision == nil, "the approval of the older text is void")

            // The editor approves again and publishes; everyone has the published text.
            _ = try e.approve(afterEdit)
            _ = try e.publish(try e.find(id.description))
            try await e.syncOK()
            for ws in [a, b, e] {
                try await ws.syncOK()
                let final = try ws.find(id.description)
                #expect(final.state == .published)
                #expect(final.publishedRevision == final.headRevision)
                for words in ["shrinking economy", "fifth quarter, after the loan", "says Anna", "says Boris", "revised"] {
                    #expect((final.content.body + final.content.lead).contains(words), "\(words) was lost")
                }
            }
            // Boris (an analyst) tries to publish offline: refused at once, here.
            #expect(throws: GalleyError.self) { try b.publish(try b.find(id.description)) }
        }
    }
}
