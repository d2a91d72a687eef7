import Foundation
import GalleyTestSupport
import Testing

@testable import GalleyCore

/// Generated merges of prose, as two people edit one article offline: words replaced, added and
/// removed, paragraphs added, removed, split, joined, rewrapped and rewritten, the last newline
/// dropped. Each merge is checked against what it must be, not against an earlier answer:
///
/// - swapping the sides changes nothing but which side of a conflict is which;
/// - with every word of the base distinct (and every added word new), a clean merge holds exactly
///   the words that either side kept or added and the other did not remove, each once, in each
///   side's order; each side of a conflicted merge holds that side's text with the other's merged
///   edits, in order, and no word twice; a conflict's base is a stretch of the base;
/// - with a small vocabulary (words repeat, as "the" does), a clean merge never holds a word fewer
///   times than both sides' changes leave, nor more often than either side has it.
///
/// Replay a failure with the seed it prints: `GALLEY_MERGE_FUZZ_SEED=<n> swift test --filter ProseMergeFuzz`;
/// `GALLEY_MERGE_FUZZ_ROUNDS` sets how many merges each test makes.
@Suite struct ProseMergeFuzzTests {
    static let seed = ProcessInfo.processInfo.environment["GALLEY_MERGE_FUZZ_SEED"].flatMap(UInt64.init)
    static let rounds = ProcessInfo.processInfo.environment["GALLEY_MERGE_FUZZ_ROUNDS"].flatMap(Int.init) ?? 1500

    struct Paragraph: Hashable {
        var words: [Int]
        /// Words per line (0: the paragraph is one line).
        var width: Int
        var prefix: String
    }

    struct Document: Hashable {
        var paragraphs: [Paragraph]
        var finalNewline = true
    }

    /// How a word id is written: distinct ids are distinct words in every script.
    static let stems: [[String]] = [
        ["trade", "minister", "policy", "export", "Minsk", "growth", "report", "border"],
        ["гандаль", "міністр", "палітыка", "экспарт", "Мінск", "рост", "справаздача", "мяжа"],
        ["cafe\u{301}", "n\u{303}o", "Ŝtato", "a\u{308}\u{301}rea", "ǅem", "e\u{301}\u{302}lan", "Ålborg", "ﬁsc"],
    ]
    static let marks = ["", "", "", "", ",", ".", ";", ":", "!", "?", "—", "*"]

    struct Writer {
        var script: Int
        /// The unique-word mode writes every id as its own word; the repeating mode a handful.
        var unique: Bool
        /// A mark after some words, chosen by the word so that a word keeps its mark on every side.
        func word(_ id: Int) -> String {
            let stems = ProseMergeFuzzTests.stems[script]
            let mark = ProseMergeFuzzTests.marks[(id * 7 + 3) % ProseMergeFuzzTests.marks.count]
            if unique { return stems[id % stems.count] + String(id) + mark }
            return stems[id % stems.count] + mark
        }

        func render(_ doc: Document) -> String {
            var out = doc.paragraphs.map { p -> String in
                var lines: [String] = []
                var line: [String] = []
                for id in p.words {
                    line.append(word(id))
                    if p.width > 0, line.count == p.width {
                        lines.append(line.joined(separator: " "))
                        line = []
                    }
                }
                if !line.isEmpty || lines.isEmpty { lines.append(line.joined(separator: " ")) }
                return p.prefix + lines.joined(separator: "\n")
            }.joined(separator: "\n\n")
            if doc.finalNewline { out += "\n" }
            return out
        }
    }

    static func document(_ rng: inout SplitMix64, unique: Bool) -> Document {
        var next = 0
        let paragraphs = (0..<Int.random(in: 1...7, using: &rng)).map { _ in
            Paragraph(
                words: (0..<Int.random(in: 1...14, using: &rng)).map { _ in
                    defer { next += 1 }
                    return unique ? next : Int.random(in: 0..<16, using: &rng)
                },
                width: [0, 0, 4, 7].randomElement(using: &rng)!,
                prefix: ["", "", "", "- ", "# ", "> "].randomElement(using: &rng)!)
        }
        return Document(paragraphs: paragraphs, finalNewline: Int.random(in: 0..<6, using: &rng) > 0)
    }

    /// One person's edits: `fresh` numbers the words they add (kept apart from the base's and the
    /// other person's in the unique mode).
    static func edit(_ doc: Document, _ rng: inout SplitMix64, fresh: inout Int, unique: Bool) -> Document {
        var doc = doc
        func new() -> Int {
            defer { fresh += 1 }
            return unique ? fresh : Int.random(in: 0..<20, using: &rng)
        }
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let p = Int.random(in: 0..<doc.paragraphs.count, using: &rng)
            let n = doc.paragraphs[p].words.count
            let w = Int.random(in: 0..<max(n, 1), using: &rng)
            switch Int.random(in: 0..<13, using: &rng) {
            case 0, 1: if n > 0 { doc.paragraphs[p].words[w] = new() }
            case 2, 3: doc.paragraphs[p].words.insert(contentsOf: (0..<Int.random(in: 1...3, using: &rng)).map { _ in new() }, at: min(w, n))
            case 4, 5:
                if n > 1 {
                    let k = min(Int.random(in: 1...3, using: &rng), n - 1)
                    let start = min(w, n - k)
                    doc.paragraphs[p].words.removeSubrange(start..<(start + k))
                }
            case 6:
                let words = (0..<Int.random(in: 2...8, using: &rng)).map { _ in new() }
                doc.paragraphs.insert(Paragraph(words: words, width: 0, prefix: ""), at: Int.random(in: 0...doc.paragraphs.count, using: &rng))
            case 7: if doc.paragraphs.count > 1 { doc.paragraphs.remove(at: p) }
            case 8:
                if n > 1 {
                    let cut = 1 + w % (n - 1)
                    let tail = Paragraph(words: Array(doc.paragraphs[p].words[cut...]), width: doc.paragraphs[p].width, prefix: "")
                    doc.paragraphs[p].words.removeSubrange(cut...)
                    doc.paragraphs.insert(tail, at: p + 1)
                }
            case 9:
                if p + 1 < doc.paragraphs.count {
                    doc.paragraphs[p].words += doc.paragraphs[p + 1].words
                    doc.paragraphs.remove(at: p + 1)
                }
            case 10: doc.paragraphs[p].width = [0, 3, 5, 8].randomElement(using: &rng)!
            case 11:
                // A rewrite: most words replaced, a few kept.
                for k in doc.paragraphs[p].words.indices where Int.random(in: 0..<10, using: &rng) < 7 { doc.paragraphs[p].words[k] = new() }
            default:
                if Bool.random(using: &rng) {
                    doc.paragraphs.append(Paragraph(words: (0..<Int.random(in: 1...6, using: &rng)).map { _ in new() }, width: 0, prefix: ""))
                } else {
                    doc.finalNewline.toggle()
                }
            }
        }
        return doc
    }

    static func words(_ text: String) -> [String] { MergeQuality.words(text).map(String.init) }

    /// Whether `needle` occurs in `hay` in order (not necessarily together).
    static func isSubsequence(_ needle: [String], of hay: [String]) -> Bool {
        var i = 0
        for w in hay where i < needle.count && needle[i] == w { i += 1 }
        return i == needle.count
    }

    /// One side of marked text: what stands outside the markers and that side's part of each
    /// conflict, as a person who takes that side reads it.
    static func side(of marked: String, _ side: MergeResult.Side) -> String {
        var out = ""
        var part: MergeResult.Side? = nil
        for line in marked.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            if line.hasPrefix("<<<<<<<") { part = .ours; continue }
            if line.hasPrefix("=======") { part = .theirs; continue }
            if line.hasPrefix(">>>>>>>") { part = nil; continue }
            if part == nil || part == side { out += line + "\n" }
        }
        return out
    }

    static func conflicts(_ r: MergeResult) -> [(base: String, ours: String, theirs: String)] {
        r.regions.compactMap { if case .conflict(let b, let o, let t) = $0 { (b, o, t) } else { nil } }
    }

    /// What is wrong with the merge of one generated case, if anything.
    static func problems(base: String, ours: String, theirs: String, unique: Bool) -> [String] {
        var problems: [String] = []
        let forward = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        let backward = TextMerge.merge(base: base, ours: theirs, theirs: ours)
        if forward.isClean != backward.isClean {
            problems.append("clean one way (\(forward.isClean)) but not the other (\(backward.isClean))")
        } else if forward.isClean, forward.text() != backward.text() {
            problems.append("the two ways merge differently:\n\(forward.text().debugDescription)\n\(backward.text().debugDescription)")
        } else if forward.text(conflictsTake: .ours) != backward.text(conflictsTake: .theirs) {
            problems.append("swapping the sides changed more than the sides of the conflicts")
        }
        // Where git merges cleanly the merge is git's, byte for byte, whatever git made of the
        // words (it may keep a sentence one side moved into a paragraph of its own and the other
        // removed: lines cannot tell).
        let lines = TextMerge.merge(base: base, ours: ours, theirs: theirs, options: .init(wordLevel: false))
        if lines.isClean {
            if !forward.isClean || forward.marked != lines.marked { problems.append("git merges cleanly, and the merge differs from git's") }
            return problems
        }
        let (b, o, t) = (words(base), words(ours), words(theirs))
        if unique {
            // Every word distinct: what each side removed and added is plain. Where git's own
            // merge of the lines already gets a word wrong (it pairs lines, not words, and its
            // clean stretches are kept as they are), that word is not held against the merge.
            let (inOurs, inTheirs, inBase) = (Set(o), Set(t), Set(b))
            let oursKept = o.filter { inTheirs.contains($0) || !inBase.contains($0) }
            let theirsKept = t.filter { inOurs.contains($0) || !inBase.contains($0) }
            func findings(_ r: MergeResult) -> [MergeResult.Side: Findings] {
                var out: [MergeResult.Side: Findings] = [:]
                for (side, own, kept, otherAdded) in [(MergeResult.Side.ours, o, oursKept, Set(t).subtracting(inBase)), (.theirs, t, theirsKept, Set(o).subtracting(inBase))] {
                    let text = words(r.text(conflictsTake: side))
                    let seen = text.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
                    var f = Findings()
                    f.doubled = Set(seen.filter { $0.value > 1 }.keys)
                    f.stray = Set(text).subtracting(own).subtracting(otherAdded)
                    f.lost = Set(kept).subtracting(text)
                    f.disordered = !isSubsequence(kept, of: text)
                    out[side] = f
                }
                return out
            }
            let git = findings(lines)
            let excused = git.values.reduce(Findings()) { $0.union($1) }
            if forward.isClean {
                let m = words(forward.text())
                var f = Findings()
                f.doubled = Set(m.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }.filter { $0.value > 1 }.keys)
                let expected = Set(oursKept).union(theirsKept)
                f.lost = expected.subtracting(m)
                f.stray = Set(m).subtracting(expected)
                f.disordered = !isSubsequence(oursKept, of: m) || !isSubsequence(theirsKept, of: m)
                problems += f.excusing(excused).report("the clean merge")
            } else {
                for (side, f) in findings(forward) { problems += f.excusing(excused).report("\(side)'s side") }
                for c in conflicts(forward) {
                    let cb = words(c.base)
                    if !cb.isEmpty, !(0...(b.count - cb.count)).contains(where: { Array(b[$0..<($0 + cb.count)]) == cb }) {
                        problems.append("a conflict's base \(c.base.debugDescription) is not a stretch of the base")
                    }
                }
            }
        } else if forward.isClean {
            func count(_ w: [String]) -> [String: Int] { w.reduce(into: [:]) { $0[$1, default: 0] += 1 } }
            // (Counts cannot tell a change both sides made alike from two: where git's merge of the
            // lines comes out of these bounds too, the word is not held against the merge.)
            let (cb, co, ct, cm) = (count(b), count(o), count(t), count(words(forward.text())))
            let git = [count(words(lines.text(conflictsTake: .ours))), count(words(lines.text(conflictsTake: .theirs)))]
            // Words both sides removed alike (a paragraph both deleted) are removed once, so the
            // merge may hold them once more than `ours + theirs - base` says.
            var removedAlike: [String: Int] = [:]
            let lineMerge = ThreeWayMerge(base: Array(base.utf8), ours: Array(ours.utf8), theirs: Array(theirs.utf8), tokenizer: TokenTable.lineEnds)
            for change in lineMerge.sameChanges() {
                let (before, after) = (count(words(String(decoding: change.base, as: UTF8.self))), count(words(String(decoding: change.new, as: UTF8.self))))
                for (word, n) in before where n > after[word] ?? 0 { removedAlike[word, default: 0] += n - (after[word] ?? 0) }
            }
            for word in Set(co.keys).union(ct.keys).union(cm.keys) {
                let (nb, no, nt, nm) = (cb[word] ?? 0, co[word] ?? 0, ct[word] ?? 0, cm[word] ?? 0)
                let least = no > nb && nt > nb ? max(no, nt) : max(0, no + nt - nb)
                let most = max(no, nt, no + nt - nb + (removedAlike[word] ?? 0))
                guard !git.contains(where: { !(least...most).contains($0[word] ?? 0) }) else { continue }
                if nm < least { problems.append("\(word) \(nm) times, fewer than the \(least) both sides' changes leave") }
                if nm > most { problems.append("\(word) \(nm) times, more than either side has it") }
            }
        }
        return problems
    }

    /// What is wrong with one text of a merge, word by word.
    struct Findings {
        var doubled: Set<String> = []
        var stray: Set<String> = []
        var lost: Set<String> = []
        var disordered = false

        func union(_ other: Findings) -> Findings {
            Findings(doubled: doubled.union(other.doubled), stray: stray.union(other.stray), lost: lost.union(other.lost),
                     disordered: disordered || other.disordered)
        }

        func excusing(_ git: Findings) -> Findings {
            Findings(doubled: doubled.subtracting(git.doubled), stray: stray.subtracting(git.stray), lost: lost.subtracting(git.lost),
                     disordered: disordered && !git.disordered)
        }

        func report(_ what: String) -> [String] {
            var out: [String] = []
            if !doubled.isEmpty { out.append("\(what) writes words twice: \(doubled.sorted())") }
            if !stray.isEmpty { out.append("\(what) holds words removed by that side (or both) and added by none: \(stray.sorted())") }
            if !lost.isEmpty { out.append("\(what) lost words: \(lost.sorted())") }
            if disordered { out.append("\(what) has words out of the order a side gave them") }
            return out
        }
    }

    static func run(unique: Bool, salt: UInt64) {
        let seeds = seed.map { [$0] } ?? (0..<UInt64(rounds)).map { salt &+ $0 }
        var failures: [String] = []
        for s in seeds {
            var rng = SplitMix64(seed: s)
            let doc = document(&rng, unique: unique)
            let writer = Writer(script: Int.random(in: 0..<3, using: &rng), unique: unique)
            var fresh = 1000
            let ours = edit(doc, &rng, fresh: &fresh, unique: unique)
            fresh = 2000
            let theirs = edit(doc, &rng, fresh: &fresh, unique: unique)
            let (b, o, t) = (writer.render(doc), writer.render(ours), writer.render(theirs))
            let found = problems(base: b, ours: o, theirs: t, unique: unique)
            if seed != nil {
                // Replaying one seed: show the merge's parts, to see where it went wrong.
                let merged = TextMerge.merge(base: b, ours: o, theirs: t)
                let line = TextMerge.merge(base: b, ours: o, theirs: t, options: .init(wordLevel: false))
                print("line merge:\n\(line.markedText)\nregions:")
                for region in merged.regions { print("  \(region)") }
                print("marked:\n\(merged.markedText)")
            }
            if !found.isEmpty {
                failures.append("seed \(s) (GALLEY_MERGE_FUZZ_SEED=\(s)): \(found.joined(separator: "; "))\nbase: \(b.debugDescription)\nours: \(o.debugDescription)\ntheirs: \(t.debugDescription)")
            }
            if failures.count >= 5 { break }
        }
        #expect(failures.isEmpty, "\(failures.count) generated merges went wrong:\n\(failures.joined(separator: "\n\n"))")
    }

    @Test func everyWordDistinct() { Self.run(unique: true, salt: 1_000_000) }

    @Test func wordsThatRepeat() { Self.run(unique: false, salt: 2_000_000) }
}
