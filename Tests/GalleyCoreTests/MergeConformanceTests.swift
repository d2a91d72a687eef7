import Foundation
import GalleyTestSupport
import Testing

@testable import GalleyCore

/// Runs the engine on real merges of prose (progit2) and compares with `git merge-file`'s answers.
@Suite struct MergeConformanceTests {
    static let corpus = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/corpora/merges-progit2")

    struct Case {
        let name: String
        let base: [UInt8], ours: [UInt8], theirs: [UInt8], gitMerged: [UInt8]
        let gitStatus: Int
    }

    static func loadCases() -> [Case]? {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: corpus.path) else { return nil }
        return names.sorted().compactMap { name in
            let dir = corpus.appendingPathComponent(name)
            func read(_ f: String) -> [UInt8]? { (try? Data(contentsOf: dir.appendingPathComponent(f))).map { Array($0) } }
            guard let base = read("base"), let ours = read("ours"), let theirs = read("theirs"),
                let merged = read("git-merged"), let status = read("git-status"),
                let code = Int(String(decoding: status, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            else { return nil }
            return Case(name: name, base: base, ours: ours, theirs: theirs, gitMerged: merged, gitStatus: code)
        }
    }

    /// The corpus sits beside the project (`../shared/corpora`); without it the test shows as
    /// skipped, never as passed.
    static let cases = loadCases() ?? []

    @Test(.enabled(if: !cases.isEmpty, "the progit2 merge corpus is not at ../shared/corpora/merges-progit2"))
    func agreesWithGitOnCleanMerges() throws {
        let cases = Self.cases
        var clean = 0
        var agree = 0
        var disagreements: [String] = []
        var lineOnlyAgree = 0
        var lineOnlyStatus = 0
        for c in cases {
            let lineOnly = TextMerge.merge(base: c.base, ours: c.ours, theirs: c.theirs,
                                           options: .init(wordLevel: false, oursLabel: "/tmp/corpus-progit2/\(c.name)/ours",
                                                          theirsLabel: "/tmp/corpus-progit2/\(c.name)/theirs"))
            if lineOnly.conflictCount == c.gitStatus { lineOnlyStatus += 1 }
            if lineOnly.marked == c.gitMerged { lineOnlyAgree += 1 }
            guard c.gitStatus == 0 else { continue }
            clean += 1
            let result = TextMerge.merge(base: c.base, ours: c.ours, theirs: c.theirs)
            if result.isClean && result.marked == c.gitMerged { agree += 1 } else { disagreements.append(c.name) }
            // Never a clean result that drops a line both sides kept.
            if result.isClean {
                let base = String(decoding: c.base, as: UTF8.self)
                let kept = MergeLawTests.keptLines(base, String(decoding: c.ours, as: UTF8.self))
                    .intersection(MergeLawTests.keptLines(base, String(decoding: c.theirs, as: UTF8.self)))
                let merged = Set(MergeLawTests.lines(result.text()))
                for (i, line) in MergeLawTests.lines(base).enumerated() where kept.contains(i) && !merged.contains(line) {
                    Issue.record("case \(c.name): line \(i) kept by both sides is missing from the clean result")
                }
            }
        }
        print("progit2 conformance: \(agree)/\(clean) of git's clean merges identical; line-level output identical to git in \(lineOnlyAgree)/\(cases.count) cases, status in \(lineOnlyStatus)/\(cases.count)")
        if !disagreements.isEmpty { print("disagreements: \(disagreements.joined(separator: " "))") }
        #expect(Double(agree) >= 0.99 * Double(clean), "only \(agree) of \(clean) clean merges agree with git")
        // Line by line (without the word pass) the engine is git's merge, conflicts and markers included.
        #expect(Double(lineOnlyAgree) >= 0.99 * Double(cases.count), "line-level output differs from git in \(cases.count - lineOnlyAgree) cases")
        #expect(lineOnlyStatus == cases.count, "conflict counts differ from git in \(cases.count - lineOnlyStatus) cases")
    }

    static let git = ["/usr/bin/git", "/usr/local/bin/git"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// `git merge-file -p [--ours|--theirs|--union] ours base theirs`, and its exit status.
    static func gitMerge(_ base: [UInt8], _ ours: [UInt8], _ theirs: [UInt8], _ flag: String?) throws -> ([UInt8], Int32) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galley-favor-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let paths = ["ours", "base", "theirs"].map { dir.appendingPathComponent($0).path }
        for (path, bytes) in zip(paths, [ours, base, theirs]) { try Data(bytes).write(to: URL(fileURLWithPath: path)) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: git!)
        process.arguments = ["merge-file", "-p"] + (flag.map { [$0] } ?? []) + ["-L", "ours", "-L", "base", "-L", "theirs"] + paths
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ([UInt8](out), process.terminationStatus)
    }

    /// git's --ours, --theirs and --union settle what conflicts instead of marking it; Galley's
    /// are the same, byte for byte, on the corpus's conflicts and on generated texts with line
    /// ends of both kinds and no line end at the end.
    @Test(.enabled(if: git != nil, "git is not installed"))
    func favouringASideIsGitsByteForByte() throws {
        var inputs = Self.cases.filter { $0.gitStatus != 0 }.map { ($0.base, $0.ours, $0.theirs, $0.name) }
        let pieces = ["a\n", "b\n", "c\r\n", "\n", "d", "e\n", "f\n", "слова\n"]
        var rng = SplitMix64(seed: 20_261_202)
        for k in 0..<300 {
            func text() -> [UInt8] { Array((0..<Int.random(in: 0...10, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined().utf8) }
            inputs.append((text(), text(), text(), "generated \(k)"))
        }
        var checked = 0
        for (base, ours, theirs, name) in inputs {
            for favor in TextMerge.Favor.allCases {
                let (expected, status) = try Self.gitMerge(base, ours, theirs, "--\(favor.rawValue)")
                let result = TextMerge.merge(base: base, ours: ours, theirs: theirs, options: .init(wordLevel: false, favor: favor))
                #expect(result.marked == expected, "\(name) --\(favor.rawValue): \(String(decoding: result.marked, as: UTF8.self).debugDescription) against git's \(String(decoding: expected, as: UTF8.self).debugDescription)")
                #expect(status == 0 && result.conflictCount == 0)
                checked += 1
            }
        }
        #expect(checked >= 900)
    }

    /// Where git conflicts, what a person made of the merge (`human`, the merge commit's file) is
    /// the measure: a prose merge that comes out clean must come out as they did, and no clean
    /// merge may lose a word or write one twice (issue 15's targets; `galley-bench merge-quality` prints the figures).
    @Test(.enabled(if: !cases.isEmpty, "the progit2 merge corpus is not at ../shared/corpora/merges-progit2"))
    func whereGitConflictsCleanMergesAreThePersonsAndLoseNoWord() throws {
        var conflicted = 0
        var clean = 0
        var asThePerson = 0
        for c in Self.cases {
            let human = try String(contentsOf: Self.corpus.appendingPathComponent(c.name).appendingPathComponent("human"), encoding: .utf8)
            let (base, ours, theirs) = (String(decoding: c.base, as: UTF8.self), String(decoding: c.ours, as: UTF8.self), String(decoding: c.theirs, as: UTF8.self))
            let result = TextMerge.merge(base: base, ours: ours, theirs: theirs)
            if result.isClean {
                let missing = MergeQuality.missingWords(merged: result.text(), base: base, ours: ours, theirs: theirs, human: human)
                #expect(missing.isEmpty, "case \(c.name): the clean merge lost \(missing)")
                let doubled = MergeQuality.duplicatedWords(merged: result.text(), base: base, ours: ours, theirs: theirs)
                #expect(doubled.isEmpty, "case \(c.name): the clean merge wrote twice \(doubled)")
            }
            guard c.gitStatus != 0 else { continue }
            conflicted += 1
            guard result.isClean else { continue }
            clean += 1
            switch MergeQuality.agreement(result.text(), human) {
            case .identical, .whitespace: asThePerson += 1
            case .punctuation: continue
            case .words: Issue.record("case \(c.name): merged other words than the person did")
            }
        }
        print("progit2 where git conflicts: \(clean)/\(conflicted) merged cleanly, \(asThePerson) of them as the person did (or but for whitespace)")
        #expect(conflicted > 0)
        #expect(3 * clean >= conflicted, "only \(clean) of \(conflicted) of git's conflicts merged")
        #expect(10 * asThePerson >= 9 * clean)
    }
}

@Suite struct MergeQualityTests {
    @Test func aWordDroppedFromAMergeIsFoundAndOneBothSidesRemovedIsNot() {
        let base = "The minister met the delegation on Monday.\n"
        let ours = "The prime minister met the delegation on Monday.\n"
        let theirs = "The minister met the Chinese delegation on Tuesday.\n"
        let good = "The prime minister met the Chinese delegation on Tuesday.\n"
        #expect(MergeQuality.missingWords(merged: good, base: base, ours: ours, theirs: theirs, human: good).isEmpty)
        let lost = "The minister met the Chinese delegation on Tuesday.\n"
        #expect(MergeQuality.missingWords(merged: lost, base: base, ours: ours, theirs: theirs, human: good) == ["prime": 1])
        // Each side removed a different "the": the merge keeps the one neither touched.
        #expect(MergeQuality.missingWords(merged: "the x\n", base: "the the the x\n", ours: "the the x\n", theirs: "the the x\n", human: "the x\n").isEmpty)
        #expect(MergeQuality.agreement("a  b\n", "a b\n") == .whitespace)
        #expect(MergeQuality.agreement("you'll see\n", "you’ll see\n") == .punctuation)
        #expect(MergeQuality.agreement("a b\n", "a c\n") == .words)
        #expect(MergeQuality.words("Мінск, ў e\u{301}!") == ["Мінск", "ў", "e\u{301}"])
        // A stretch written twice that one side wrote once (openstreetmap/iD#3058's diff3 bug), a
        // word both sides moved, each elsewhere: too many. One both added alike, or two
        // additions of one word on two sides: as many as the changes make.
        #expect(MergeQuality.duplicatedWords(merged: "a b c d a b c\n", base: "a b c\n", ours: "a b c\n", theirs: "a b c d\n") == ["a": 1, "b": 1, "c": 1])
        #expect(MergeQuality.duplicatedWords(merged: "b w c w\n", base: "w b c\n", ours: "b w c\n", theirs: "b c w\n") == ["w": 1])
        #expect(MergeQuality.duplicatedWords(merged: "a new b new\n", base: "a b\n", ours: "a new b\n", theirs: "a b new\n").isEmpty)
        #expect(MergeQuality.duplicatedWords(merged: "a new b\n", base: "a b\n", ours: "a new b\n", theirs: "a new b\n").isEmpty)
        #expect(MergeQuality.duplicatedWords(merged: "a b c d\n", base: "a b\n", ours: "a b c\n", theirs: "a b d\n").isEmpty)
    }
}
