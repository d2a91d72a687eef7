import Foundation
import GalleyClient
import GalleyCore
import GalleyStore
import GalleyTestSupport
import Testing

/// The convergence simulation's promise through the real stack, on each archive: three
/// workspaces (two analysts who co-author, an editor) work offline on shared articles in random
/// rounds and sync in random order through a live server. Afterwards every workspace holds what
/// the archive holds, and every word anyone wrote is in an article's text or in an open conflict.
@Suite struct ArchiveConvergenceTests {
    static let seeds = ProcessInfo.processInfo.environment["GALLEY_ARCHIVE_SEEDS"].flatMap(Int.init) ?? 3
    static let firstSeed = UInt64(ProcessInfo.processInfo.environment["GALLEY_ARCHIVE_SEED"] ?? "") ?? 20261203

    static func word(_ n: Int, by w: Int, rng: inout SplitMix64) -> String {
        switch rng.next() % 3 {
        case 0: "w\(w)x\(n)"
        case 1: "слова\(w)ж\(n)"
        default: "e\u{301}\(w)n\u{303}\(n)🙂"
        }
    }

    @Test(arguments: Backend.all) func workspacesThroughTheArchiveConvergeAndLoseNoWord(backend: Backend) async throws {
        let tally = Locked((merged: 0, conflicts: 0))
        for k in 0..<Self.seeds {
            try await Self.run(seed: Self.firstSeed &+ UInt64(k), backend: backend, tally: tally)
        }
        let (merged, conflicts) = tally.withLock { $0 }
        print("archive convergence on \(backend): \(Self.seeds) seeds, \(merged) pushes merged with others' work, \(conflicts) conflicts")
        #expect(merged > 0 && conflicts > 0, "the rounds should provoke merges and conflicts")
    }

    static func run(seed: UInt64, backend: Backend, tally: Locked<(merged: Int, conflicts: Int)>) async throws {
        let fixture = try await ClientFixture(backend)
        try await fixture.withServer { server in
            let people = ["anna", "boris", "erik"]
            var spaces: [GalleyApp] = []
            for name in people { spaces.append(try await ClientFixture.workspace(name, server: server)) }
            var rng = SplitMix64(seed: seed)
            var written: [ArticleID: [String]] = [:]
            var ids: [ArticleID] = []
            for n in 0..<2 {
                let body = (0..<4).map { "Paragraph \($0) of article \(n)." }.joined(separator: "\n\n") + "\n"
                var article = try spaces[0].newArticle(title: "Shared \(n)", category: "politics", body: body)
                article = try spaces[0].authors(article, add: ["boris"])
                ids.append(article.id)
            }
            try await spaces[0].syncOK()
            for space in spaces { try await space.syncOK() }

            var n = 0
            for _ in 0..<12 {
                // Someone works offline: a word added to a paragraph, or a new paragraph.
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let w = Int(rng.next() % 3)
                    let id = ids[Int(rng.next() % UInt64(ids.count))]
                    let article = try spaces[w].find(id.description)
                    var doc = ArticleDocument(article.content)
                    var paragraphs = doc.body.split(separator: "\n\n", omittingEmptySubsequences: false).map(String.init)
                    let word = Self.word(n, by: w, rng: &rng)
                    n += 1
                    if rng.next() % 4 == 0 {
                        paragraphs.insert("New paragraph \(word).", at: Int(rng.next() % UInt64(paragraphs.count)))
                    } else {
                        let p = Int(rng.next() % UInt64(paragraphs.count))
                        paragraphs[p] = paragraphs[p].trimmingCharacters(in: .newlines) + " " + word + (p == paragraphs.count - 1 ? "\n" : "")
                    }
                    doc.body = paragraphs.joined(separator: "\n\n")
                    if try spaces[w].save(doc, to: article) != nil { written[id, default: []].append(word) }
                }
                // Some of them sync, in random order.
                for w in [0, 1, 2].shuffled(using: &rng) where rng.next() % 3 != 0 {
                    let report = try await spaces[w].sync()
                    tally.withLock { $0.merged += report.merged }
                    #expect(report.rejected.isEmpty, "seed \(seed): \(people[w]) was refused: \(report.rejected.map(\.message))")
                }
            }
            // Everyone syncs until nothing moves.
            for _ in 0..<2 { for space in spaces { try await space.syncOK() } }

            for id in ids {
                let article = try #require(try await fixture.archive.article(id))
                let head = try #require(try await fixture.archive.revision(article.headRevision))
                let open = try await fixture.archive.conflicts(of: id, openOnly: true)
                let all = try await fixture.archive.conflicts(of: id, openOnly: false).count
                tally.withLock { $0.conflicts += all }
                for (w, space) in spaces.enumerated() {
                    #expect(try space.body(id) == head.content.body, "seed \(seed) on \(backend): \(people[w]) holds another text of \(id.short)")
                    #expect(Set(try space.conflicts(of: space.find(id.description)).filter(\.isOpen).map(\.id)) == Set(open.map(\.id)),
                            "seed \(seed) on \(backend): \(people[w]) sees other open conflicts")
                }
                let kept = head.content.body + open.map { $0.ours + $0.theirs }.joined()
                let lost = (written[id] ?? []).filter { !kept.contains($0) }
                #expect(lost.isEmpty, "seed \(seed) on \(backend): words lost from \(id.short): \(lost)")
            }
        }
    }
}
