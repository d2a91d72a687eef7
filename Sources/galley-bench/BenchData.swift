import Foundation
import GalleyCore

/// Articles of a realistic shape, the same for the same seed: a title, a lead, a 4–8 KB
/// Markdown body of paragraphs (from the progit2 corpus when it is there), 2–6 tags from a
/// vocabulary of 200 and one of 12 categories.
struct BenchData {
    static let categories = (1...12).map { "category-\($0)" }
    static let tags = (1...200).map { "tag-\($0)" }
    let paragraphs: [String]
    var rng: SplitMix64

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed)
        paragraphs = Self.sharedParagraphs
    }

    /// Read once per process: push-load makes fifty generators at once, and reading the corpus
    /// for each (about 40 ms) landed in the timed window as a second of latency on first pushes.
    private static let sharedParagraphs: [String] = {
        var found: [String] = []
        if let corpus = Bench.corpus("merges-progit2"),
            let cases = try? FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted()
        {
            for c in cases.prefix(60) {
                guard let text = try? String(contentsOf: corpus.appendingPathComponent(c).appendingPathComponent("base"), encoding: .utf8) else { continue }
                for p in text.components(separatedBy: "\n\n") where p.count > 120 && !p.contains("----") {
                    found.append(p.trimmingCharacters(in: .whitespacesAndNewlines))
                }
            }
        }
        if found.count < 50 {
            let words = ["policy", "Minsk", "exports", "grew", "the", "analysts", "said", "Beijing", "loans", "industrial", "park",
                         "investment", "and", "of", "in", "cooperation", "security", "Kremlin", "budget", "reform", "potash", "rouble"]
            var r = SplitMix64(seed: 99)
            found = (0..<400).map { _ in (0..<(40 + Int(r.next() % 60))).map { _ in words[Int(r.next() % UInt64(words.count))] }.joined(separator: " ") + "." }
        }
        return found
    }()

    mutating func pick<T>(_ xs: [T]) -> T { xs[Int(rng.next() % UInt64(xs.count))] }

    mutating func content(_ n: Int) -> ArticleContent {
        var body = ""
        let target = 4096 + Int(rng.next() % 4096)
        while body.utf8.count < target { body += pick(paragraphs) + "\n\n" }
        let words = pick(paragraphs).split(whereSeparator: \.isWhitespace).prefix(8).joined(separator: " ")
        var tags: Set<String> = []
        let count = 2 + Int(rng.next() % 5)
        while tags.count < count { tags.insert(pick(Self.tags)) }
        return ArticleContent(
            title: "\(words) (\(n))", lead: String(pick(paragraphs).prefix(300)), body: body, category: pick(Self.categories), tags: tags)
    }

    /// A change creating article `n`.
    mutating func create(_ n: Int, author: String, at time: Date) -> Change {
        let c = content(n)
        var idRNG = SplitMix64(seed: rng.next())
        return Change(
            articleID: ArticleID.generate(at: time.addingTimeInterval(Double(n) / 1000), using: &idRNG), baseRevision: nil,
            set: .init(title: c.title, lead: c.lead, body: c.body, category: c.category), tags: SetEdit(add: c.sortedTags),
            author: author, replicaID: UUID(), createdAt: time)
    }
}
