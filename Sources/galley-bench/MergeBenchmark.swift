import ArgumentParser
import Foundation
import GalleyClient
import GalleyCore

/// `galley-bench merge`: the three-way merge on the progit2 corpus, on a 1 MiB document with 100
/// edits per side, and on a 50 KB article, side by side with `git merge-file` on the same files.
struct MergeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Three-way merge speed against git merge-file.")

    @Option(help: "Size of the large document in KiB.") var kib = 1024
    @Option(help: "Edits on each side of the large document.") var edits = 100
    @Option(help: "Repetitions of each measurement.") var runs = 15
    @Option(help: "Seed for the generated documents.") var seed: UInt64 = 1
    @Option(help: "Sizes, in paragraphs, of the documents where both sides edit every paragraph.") var dense: [Int] = [1_000, 8_000]
    @Flag(help: "Print JSON instead of a Markdown table.") var json = false

    func run() throws {
        let git = Bench.which("git")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galley-bench-merge-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rows: [[String]] = []
        var results: [String: Any] = ["machine": Bench.machine, "seed": seed, "runs": runs]

        // 1. The large document.
        var rng = SplitMix64(seed: seed)
        let (base, ours, theirs) = Self.document(bytes: kib * 1024, edits: edits, rng: &rng)
        let files = ["base", "ours", "theirs"].map { dir.appendingPathComponent($0).path }
        for (path, bytes) in zip(files, [base, ours, theirs]) { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        var engineResult = TextMerge.merge(base: base, ours: ours, theirs: theirs)
        let engine = Bench.measure(runs: runs) { engineResult = TextMerge.merge(base: base, ours: ours, theirs: theirs) }
        var gitTimes: [Double] = []
        var agree = "n/a"
        if let git {
            gitTimes = try Bench.measure(runs: runs) {
                try Bench.run(git, ["merge-file", "-p", files[1], files[0], files[2]])
            }
            let out = dir.appendingPathComponent("git-out")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            let handle = try FileHandle(forWritingTo: out)
            try Bench.run(git, ["merge-file", "-p", "-L", "ours", "-L", "base", "-L", "theirs", files[1], files[0], files[2]], stdout: handle)
            try handle.close()
            let gitMerged = [UInt8](try Data(contentsOf: out))
            let lineOnly = TextMerge.merge(base: base, ours: ours, theirs: theirs, options: .init(wordLevel: false))
            agree = lineOnly.marked == gitMerged ? "identical" : "differs"
        }
        let ratio = Bench.median(engine) / Bench.median(gitTimes)
        rows.append([
            "\(kib) KiB, \(edits) edits/side", Bench.summary(engine), gitTimes.isEmpty ? "git not found" : Bench.summary(gitTimes),
            gitTimes.isEmpty ? "–" : String(format: "%.2f", ratio), "\(engineResult.conflictCount) conflicts; line-level output vs git: \(agree)",
        ])
        // The same merge as a process, `galley merge-file`, for a like-for-like start-up cost.
        let galley = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("galley").path
        if FileManager.default.isExecutableFile(atPath: galley), !gitTimes.isEmpty {
            let process = try Bench.measure(runs: runs) { try Bench.run(galley, ["merge-file", "-p", files[1], files[0], files[2]]) }
            rows.append([
                "same, `galley merge-file -p` as a process", Bench.summary(process), Bench.summary(gitTimes),
                String(format: "%.2f", Bench.median(process) / Bench.median(gitTimes)), "includes process start",
            ])
            results["largeProcess"] = ["galleyMedianMs": Bench.median(process), "gitMedianMs": Bench.median(gitTimes)]
        }
        results["large"] = [
            "bytes": base.count, "engineMedianMs": Bench.median(engine), "gitMedianMs": Bench.median(gitTimes),
            "ratio": ratio, "conflicts": engineResult.conflictCount, "gitAgreement": agree,
        ]

        // 2. A 50 KB article.
        var small = SplitMix64(seed: seed &+ 7)
        let (b50, o50, t50) = Self.document(bytes: 50_000, edits: 10, rng: &small)
        let article = Bench.measure(runs: max(runs, 50)) { _ = TextMerge.merge(base: b50, ours: o50, theirs: t50) }
        rows.append(["50 KB article, 10 edits/side", Bench.summary(article), "–", "–", Bench.median(article) < 1 ? "under 1 ms" : "over 1 ms"])
        results["article50k"] = ["engineMedianMs": Bench.median(article)]

        // 3. Prose everywhere in conflict: both sides edit other words of the same paragraphs, so
        // that the line merge conflicts in every one and the prose pass merges them all; its cost
        // must grow with the text, not faster.
        var denseRNG = SplitMix64(seed: seed &+ 11)
        for paragraphs in dense {
            let (bd, od, td) = Self.denseConflicts(paragraphs: paragraphs, rng: &denseRNG)
            var denseResult = TextMerge.merge(base: bd, ours: od, theirs: td)
            let times = Bench.measure(runs: max(3, runs / 3)) { denseResult = TextMerge.merge(base: bd, ours: od, theirs: td) }
            var gitDense: [Double] = []
            if let git {
                for (path, bytes) in zip(files, [bd, od, td]) { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
                gitDense = try Bench.measure(runs: max(3, runs / 3)) { try Bench.run(git, ["merge-file", "-p", files[1], files[0], files[2]]) }
            }
            rows.append([
                "\(paragraphs) paragraphs (\(bd.count / 1024) KiB), every one edited by both", Bench.summary(times),
                gitDense.isEmpty ? "–" : Bench.summary(gitDense) + " (\(paragraphs) conflicts)",
                gitDense.isEmpty ? "–" : String(format: "%.2f", Bench.median(times) / Bench.median(gitDense)),
                "\(denseResult.conflictCount) conflicts, \(denseResult.wordMerges) paragraphs merged word by word; \(String(format: "%.0f", Bench.median(times) * 1000 * 1024 / Double(bd.count))) µs per KiB",
            ])
            results["dense\(paragraphs)"] = ["bytes": bd.count, "engineMedianMs": Bench.median(times), "conflicts": denseResult.conflictCount, "wordMerges": denseResult.wordMerges]
        }

        // 4. The progit2 corpus: 146 real merges.
        if let corpus = Bench.corpus("merges-progit2") {
            let cases = try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted().map { corpus.appendingPathComponent($0) }
            let inputs = try cases.map { c in try ["base", "ours", "theirs"].map { [UInt8](try Data(contentsOf: c.appendingPathComponent($0))) } }
            let all = Bench.measure(runs: max(3, runs / 3)) {
                for i in inputs { _ = TextMerge.merge(base: i[0], ours: i[1], theirs: i[2]) }
            }
            var gitAll: [Double] = []
            if let git {
                gitAll = try Bench.measure(runs: max(3, runs / 3)) {
                    for c in cases {
                        try Bench.run(git, ["merge-file", "-p", c.appendingPathComponent("ours").path, c.appendingPathComponent("base").path, c.appendingPathComponent("theirs").path])
                    }
                }
            }
            rows.append([
                "progit2 corpus (\(cases.count) merges)", Bench.summary(all), gitAll.isEmpty ? "–" : Bench.summary(gitAll),
                gitAll.isEmpty ? "–" : String(format: "%.2f", Bench.median(all) / Bench.median(gitAll)), "git: one process per merge",
            ])
            results["progit2"] = ["engineMedianMs": Bench.median(all), "gitMedianMs": Bench.median(gitAll)]
        }

        if json {
            print(Bench.json(results))
        } else {
            print("merge benchmark on \(Bench.machine); median (min–max) of \(runs) runs; seed \(seed)\n")
            print(Bench.table(["case", "Galley engine (in process)", "git merge-file -p (process)", "ratio", "notes"], rows))
        }
    }

    /// `paragraphs` paragraphs of wrapped prose, each of which both sides edit: each changes another
    /// word of its first line, so that git conflicts on every paragraph.
    static func denseConflicts(paragraphs: Int, rng: inout SplitMix64) -> ([UInt8], [UInt8], [UInt8]) {
        let words = ["policy", "Minsk", "exports", "grew", "the", "analysts", "said", "Beijing", "loans", "industrial",
                     "park", "investment", "and", "of", "in", "cooperation", "security", "Kremlin", "budget", "reform"]
        var (base, ours, theirs) = ([String](), [String](), [String]())
        for p in 0..<paragraphs {
            let w = (0..<(50 + Int(rng.next() % 40))).map { _ in words[Int(rng.next() % UInt64(words.count))] }
            func wrapped(_ w: [String]) -> String {
                stride(from: 0, to: w.count, by: 12).map { w[$0..<min($0 + 12, w.count)].joined(separator: " ") }.joined(separator: "\n") + "."
            }
            var (o, t) = (w, w)
            o[2] = "ours\(p)"
            t[9] = "theirs\(p)"
            base.append(wrapped(w))
            ours.append(wrapped(o))
            theirs.append(wrapped(t))
        }
        func join(_ ps: [String]) -> [UInt8] { Array((ps.joined(separator: "\n\n") + "\n").utf8) }
        return (join(base), join(ours), join(theirs))
    }

    /// A Markdown document of about `bytes` bytes built from paragraphs, and two edited copies,
    /// each with `edits` scattered edits (a word changed, a sentence added, a paragraph replaced).
    static func document(bytes: Int, edits: Int, rng: inout SplitMix64) -> ([UInt8], [UInt8], [UInt8]) {
        let words = ["policy", "Minsk", "exports", "grew", "the", "analysts", "said", "Beijing", "loans", "industrial",
                     "park", "investment", "and", "of", "in", "cooperation", "security", "Kremlin", "budget", "reform"]
        var paragraphs: [String] = []
        var size = 0
        while size < bytes {
            let count = 40 + Int(rng.next() % 80)
            var p = (0..<count).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ") + "."
            if rng.next() % 6 == 0 { p = "## " + p.prefix(40) }
            paragraphs.append(p)
            size += p.utf8.count + 2
        }
        func edited(_ tag: String, _ rng: inout SplitMix64) -> [String] {
            var copy = paragraphs
            // Spread the edits over the document, each side on its own paragraphs.
            let stride = max(1, copy.count / max(edits, 1))
            for e in 0..<edits {
                let i = min(copy.count - 1, e * stride + (tag == "a" ? 0 : stride / 2))
                switch rng.next() % 3 {
                case 0: copy[i] = copy[i].replacingOccurrences(of: " the ", with: " \(tag)the ", options: [], range: nil)
                case 1: copy[i] += " Added \(tag)\(e)."
                default: copy[i] = "Rewritten paragraph \(tag)\(e) about \(words[Int(rng.next() % 20)])."
                }
            }
            return copy
        }
        let a = edited("a", &rng)
        let b = edited("b", &rng)
        func join(_ ps: [String]) -> [UInt8] { Array((ps.joined(separator: "\n\n") + "\n").utf8) }
        return (join(paragraphs), join(a), join(b))
    }
}
