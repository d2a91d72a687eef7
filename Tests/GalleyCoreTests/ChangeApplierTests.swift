import Foundation
import Testing

@testable import GalleyCore

/// The rule book for one change, case by case. (The convergence simulation checks the same rules
/// at random; these say what a person sees in the common cases.)
@Suite struct ChangeApplierTests {
    let anna = ChangeApplier.Actor(name: "anna", role: .analyst)
    let boris = ChangeApplier.Actor(name: "boris", role: .analyst)
    let erik = ChangeApplier.Actor(name: "erik", role: .editor)
    let t0 = Timestamp.canonical(Date(timeIntervalSince1970: 1_800_000_000))
    let replica = UUID()
    let body = "Paragraph one about Minsk.\n\nParagraph two about trade.\n\nParagraph three about China.\n"

    /// A tiny archive: the article, its head revision and conflicts.
    struct World {
        var article: Article?
        var head: Revision?
        var conflicts: [Conflict] = []

        mutating func apply(_ change: Change, by actor: ChangeApplier.Actor, at time: Date) -> ChangeApplier.Outcome {
            let outcome = ChangeApplier.apply(
                change, actor: actor, state: .init(article: article, head: head, openConflicts: conflicts.filter(\.isOpen)),
                environment: .init(categories: ["politics", "economy", "trends"], now: time))
            if outcome.status != .rejected {
                article = outcome.article
                if let r = outcome.newRevisions.last { head = r }
                conflicts += outcome.newConflicts
                for id in outcome.resolvedConflicts {
                    if let k = conflicts.firstIndex(where: { $0.id == id }) { conflicts[k].resolvedBy = change.id }
                }
            }
            return outcome
        }
    }

    func created(authors: [String] = []) -> (World, ArticleID) {
        var world = World()
        let id = ArticleID.generate(at: t0)
        let outcome = world.apply(
            Change(articleID: id, baseRevision: nil, set: .init(title: "Minsk and Beijing", body: body, category: "politics"),
                   tags: SetEdit(add: ["china"]), authors: SetEdit(add: authors), author: "anna", replicaID: replica, createdAt: t0),
            by: anna, at: t0)
        #expect(outcome.status == .applied)
        return (world, id)
    }

    func edit(_ world: World, _ field: ContentField, _ transform: (String) -> String, by author: String = "anna") -> Change {
        var change = Change(articleID: world.article!.id, baseRevision: world.head!.id, author: author, replicaID: replica, createdAt: t0)
        change.set(field, to: transform(world.article!.content[text: field]), from: world.article!.content)
        return change
    }

    /// Where two edits touch the same line and Galley merges their words, a note says so (to
    /// whoever reviews the article); a merge of separate lines, as any tool makes it, writes none.
    @Test func aWordByWordMergeIsRecordedForTheReviewer() {
        var (world, _) = created(authors: ["boris"])
        /// Boris edits the head; Anna edits the revision before his, offline.
        func crossing(_ his: (String, String), _ hers: (String, String)) -> ChangeApplier.Outcome {
            let stale = world.head!
            _ = world.apply(edit(world, .body, { $0.replacingOccurrences(of: his.0, with: his.1) }, by: "boris"), by: boris, at: t0)
            var annas = Change(articleID: stale.articleID, baseRevision: stale.id, author: "anna", replicaID: replica, createdAt: t0)
            annas.set(.body, to: stale.content.body.replacingOccurrences(of: hers.0, with: hers.1), from: stale.content)
            return world.apply(annas, by: anna, at: t0.addingTimeInterval(60))
        }
        let merged = crossing(("about trade", "about potash trade"), ("Paragraph two", "The second paragraph"))
        #expect(merged.status == .merged && merged.newConflicts.isEmpty, "\(merged)")
        #expect(world.article!.content.body.contains("The second paragraph about potash trade."))
        let note = try? #require(merged.notes.first { $0.author == ChangeApplier.wordMergeAuthor })
        #expect(note?.text.contains("body (paragraph 2)") == true && note?.text.contains("anna") == true && note?.text.contains("boris") == true, "\(String(describing: note))")
        #expect(note?.revision == world.article!.headRevision)

        // Separate paragraphs merge line by line: nothing to point out.
        let lines = crossing(("about Minsk", "about Minsk today"), ("about China", "about China and Russia"))
        #expect(lines.status == .merged && lines.notes.isEmpty, "\(lines.notes)")
    }

    @Test func aFastForwardMakesTheRevisionTheClientAlreadyComputed() {
        var (world, _) = created()
        let change = edit(world, .body) { $0.replacingOccurrences(of: "trade", with: "potash trade") }
        let preview = Replay.view(article: world.article, head: world.head, openConflicts: [], outbox: [change], actor: anna, now: t0)
        let outcome = world.apply(change, by: anna, at: t0.addingTimeInterval(5))
        #expect(outcome.status == .applied)
        #expect(outcome.newRevisions.first?.parents == preview.localRevisions.first?.parents)
        #expect(world.head?.id == preview.head?.id, "the server's revision id equals the one the replica showed")
    }

    @Test func concurrentEditsOfDifferentParagraphsMergeAndOfOneSentenceConflict() throws {
        var (world, _) = created(authors: ["boris"])
        let seen = world
        let a = edit(seen, .body) { $0.replacingOccurrences(of: "about Minsk", with: "about Minsk and Brest") }
        let b = edit(seen, .body, { $0.replacingOccurrences(of: "about China", with: "about China and Laos") }, by: "boris")
        #expect(world.apply(a, by: anna, at: t0).status == .applied)
        let merged = world.apply(b, by: boris, at: t0)
        #expect(merged.status == .merged)
        #expect(world.article!.content.body.contains("Minsk and Brest") && world.article!.content.body.contains("China and Laos"))
        #expect(world.head!.parents.count == 2)

        // Both rewrite the same words: the head keeps the server's, the conflict keeps the other.
        let seen2 = world
        let c = edit(seen2, .body) { $0.replacingOccurrences(of: "about trade", with: "about grain") }
        let d = edit(seen2, .body, { $0.replacingOccurrences(of: "about trade", with: "about oil") }, by: "boris")
        _ = world.apply(c, by: anna, at: t0)
        let conflicted = world.apply(d, by: boris, at: t0)
        #expect(conflicted.status == .conflict)
        let conflict = try #require(conflicted.newConflicts.first)
        #expect(conflict.field == .body)
        #expect(conflict.ours.contains("about grain") && conflict.theirs.contains("about oil") && conflict.base.contains("about trade"))
        #expect(conflict.changeIDs == [c.id, d.id])
        #expect(world.article!.content.body.contains("about grain") && !world.article!.content.body.contains("<<<<<<<"))

        // Submitting waits until a person settles it; the resolution is an ordinary change.
        let submit = Change(articleID: world.article!.id, baseRevision: world.head!.id, command: .submit, author: "anna", replicaID: replica, createdAt: t0)
        #expect(world.apply(submit, by: anna, at: t0).error?.code == .openConflict)
        var resolve = edit(world, .body) { $0.replacingOccurrences(of: "about grain", with: "about grain and oil") }
        resolve.resolves = [conflict.id]
        #expect(world.apply(resolve, by: anna, at: t0).resolvedConflicts == [conflict.id])
        #expect(world.apply(submit, by: anna, at: t0).status == .applied)
        #expect(world.article!.state == .submitted)
    }

    @Test func tagsMergeAsSetsAndRegistersConflictOnlyWhenBothChange() {
        var (world, id) = created(authors: ["boris"])
        let base = world.head!.id
        let a = Change(articleID: id, baseRevision: base, tags: SetEdit(add: ["belarus"], remove: ["china"]), author: "anna", replicaID: replica, createdAt: t0)
        let b = Change(articleID: id, baseRevision: base, tags: SetEdit(add: ["trade"]), author: "boris", replicaID: replica, createdAt: t0)
        _ = world.apply(a, by: anna, at: t0)
        #expect(world.apply(b, by: boris, at: t0).status == .merged)
        #expect(world.article!.content.tags == ["belarus", "trade"])

        let seen = world
        let c = edit(seen, .category) { _ in "economy" }
        #expect(world.apply(c, by: anna, at: t0).status == .applied)
        let same = edit(seen, .category, { _ in "economy" }, by: "boris")
        #expect(world.apply(same, by: boris, at: t0).status == .merged, "the same value from both sides is no conflict")
        let other = edit(seen, .category, { _ in "trends" }, by: "boris")
        let outcome = world.apply(other, by: boris, at: t0)
        #expect(outcome.status == .conflict)
        #expect(outcome.newConflicts.map(\.field) == [.category])
        #expect(world.article!.content.category == "economy")
    }

    @Test func anEditThatCrossesADeleteKeepsTheArticle() {
        var (world, id) = created()
        let seen = world
        let delete = Change(articleID: id, baseRevision: seen.head!.id, delete: true, author: "anna", replicaID: replica, createdAt: t0)
        #expect(world.apply(delete, by: anna, at: t0).status == .applied)
        #expect(world.article!.deleted)
        let late = edit(seen, .body) { $0 + "\nA late paragraph.\n" }
        let outcome = world.apply(late, by: anna, at: t0)
        #expect(outcome.status == .conflict)
        #expect(!world.article!.deleted)
        #expect(world.article!.content.body.contains("A late paragraph."))
        #expect(outcome.newConflicts.map(\.field) == [.deletion])

        // And a delete that had not seen the latest text records a conflict instead of deleting.
        var (w2, id2) = created()
        let old = w2.head!.id
        _ = w2.apply(edit(w2, .title) { $0 + " revisited" }, by: anna, at: t0)
        let blindDelete = Change(articleID: id2, baseRevision: old, delete: true, author: "anna", replicaID: replica, createdAt: t0)
        #expect(w2.apply(blindDelete, by: anna, at: t0).status == .conflict)
        #expect(!w2.article!.deleted)
    }

    @Test func theServerRefusesWhatTheRulesForbid() {
        var (world, id) = created()
        // Another analyst, not an author, of a draft he may not even see: as if it did not exist.
        #expect(world.apply(edit(world, .title, { $0 + "!" }, by: "boris"), by: boris, at: t0).error?.code == .notFound)
        let publish = Change(articleID: id, baseRevision: world.head!.id, command: .publish(at: nil), author: "anna", replicaID: replica, createdAt: t0)
        #expect(world.apply(publish, by: anna, at: t0).error?.code == .notAllowed)
        var noPrevious = Change(articleID: id, baseRevision: world.head!.id, author: "anna", replicaID: replica, createdAt: t0)
        noPrevious.set.body = "x"
        #expect(world.apply(noPrevious, by: anna, at: t0).error?.code == .malformed)
        #expect(world.apply(edit(world, .title) { _ in "" }, by: anna, at: t0).error?.code == .titleEmpty)
        #expect(world.apply(edit(world, .category) { _ in "sports" }, by: anna, at: t0).error?.code == .unknownCategory)
        let headBefore = world.head!.id
        #expect(world.head!.id == headBefore)
    }
}
