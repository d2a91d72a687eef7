import ArgumentParser
import Foundation
import GalleyCore

/// `galley-bench merge-quality`: Galley's prose merge against git's answer and against what a
/// person made of the same merge, over a corpus of real merges (`<case>/base`, `ours`, `theirs`,
/// `git-merged`, `git-status`, `human`).
struct MergeQualityBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-quality", abstract: "Prose merges against git's and against people's resolutions of real merges.")

    @Option(help: "The corpus folder (default: shared/corpora/merges-progit2 beside the working folder or the source tree; the path used is printed).") var corpus: String?
    @Flag(help: "Print JSON instead of a Markdown table.") var json = false

    struct Case {
        let name: String
        let base: String, ours: String, theirs: String, git: String, human: String
        let gitConflicts: Int
    }

    func run() throws {
        guard let folder = corpus.map({ URL(fileURLWithPath: $0) }) ?? Bench.corpus("merges-progit2") else {
            throw ValidationError("No corpus: give --corpus DIR (a folder of cases with base, ours, theirs, git-merged, git-status and human).")
        }
        let cases = try Self.load(folder)
        guard !cases.isEmpty else {
            throw ValidationError("\(folder.path) holds no complete case: each case is a folder with \(Self.caseFiles.joined(separator: ", ")).")
        }

        var gitClean = 0, cleanLikeGit = 0, cleanLikeHuman = 0
        var gitConflicted = 0, galleyClean = 0, agreeing = 0, whitespaceOnly: [String] = [], punctuationOnly: [String] = [], cleanMerges = 0
        var differing: [String] = [], losing: [String] = [], doubling: [String] = []
        var gitHunks = 0, galleyHunks = 0, gitMarkedLines = 0, galleyMarkedLines = 0
        for c in cases {
            let result = TextMerge.merge(base: c.base, ours: c.ours, theirs: c.theirs, options: .init(wordLevel: true))
            let merged = result.markedText
            if result.isClean {
                cleanMerges += 1
                let missing = MergeQuality.missingWords(merged: merged, base: c.base, ours: c.ours, theirs: c.theirs, human: c.human)
                if !missing.isEmpty { losing.append("\(c.name) (\(missing.keys.sorted().prefix(5).joined(separator: ", ")))") }
                let doubled = MergeQuality.duplicatedWords(merged: merged, base: c.base, ours: c.ours, theirs: c.theirs)
                if !doubled.isEmpty { doubling.append("\(c.name) (\(doubled.keys.sorted().prefix(5).joined(separator: ", ")))") }
            }
            if c.gitConflicts == 0 {
                gitClean += 1
                if merged == c.git { cleanLikeGit += 1 }
                if merged == c.human { cleanLikeHuman += 1 }
                continue
            }
            gitConflicted += 1
            gitHunks += c.gitConflicts
            galleyHunks += result.conflictCount
            gitMarkedLines += Self.linesInConflicts(c.git)
            galleyMarkedLines += Self.linesInConflicts(merged)
            guard result.isClean else { continue }
            galleyClean += 1
            switch MergeQuality.agreement(merged, c.human) {
            case .identical: agreeing += 1
            case .whitespace: whitespaceOnly.append(c.name)
            case .punctuation: punctuationOnly.append(c.name)
            case .words: differing.append(c.name)
            }
        }

        let percent = { (n: Int, of: Int) in of == 0 ? "–" : String(format: "%.0f%%", 100 * Double(n) / Double(of)) }
        if json {
            print(Bench.json([
                "machine": Bench.machine, "corpus": folder.path, "cases": cases.count,
                "gitClean": ["cases": gitClean, "identicalToGit": cleanLikeGit, "identicalToHuman": cleanLikeHuman],
                "gitConflicts": [
                    "cases": gitConflicted, "galleyClean": galleyClean, "identicalToHuman": agreeing, "whitespaceOnly": whitespaceOnly,
                    "punctuationOnly": punctuationOnly,
                    "differInWords": differing, "gitHunks": gitHunks, "galleyHunks": galleyHunks,
                    "gitLinesInConflicts": gitMarkedLines, "galleyLinesInConflicts": galleyMarkedLines,
                ],
                "cleanMerges": cleanMerges, "cleanMergesMissingWords": losing, "cleanMergesDuplicatingWords": doubling,
            ]))
            return
        }
        // Counts, not timings: a debug build gives the same figures.
        print("galley-bench merge-quality: \(cases.count) merge\(cases.count == 1 ? "" : "s") from \(folder.path)\n")
        print(Bench.table(["", "cases", "result"], [
            ["git merges cleanly", "\(gitClean)", "identical to git: \(cleanLikeGit) (\(percent(cleanLikeGit, gitClean))); to the person's: \(cleanLikeHuman)"],
            ["git conflicts", "\(gitConflicted)", "Galley merges cleanly: \(galleyClean) (\(percent(galleyClean, gitConflicted)))"],
            ["… of those", "\(galleyClean)", "identical to the person's: \(agreeing); but for whitespace: \(whitespaceOnly.count); but for punctuation: \(punctuationOnly.count); in other words: \(differing.count)"],
            ["conflict hunks", "\(gitHunks) (git)", "Galley: \(galleyHunks)"],
            ["lines between conflict markers", "\(gitMarkedLines) (git)", "Galley: \(galleyMarkedLines)"],
            ["clean merges that lose a word", "\(losing.count) of \(cleanMerges)", losing.isEmpty ? "none" : losing.joined(separator: "; ")],
            ["clean merges that write a word twice", "\(doubling.count) of \(cleanMerges)", doubling.isEmpty ? "none" : doubling.joined(separator: "; ")],
        ]))
        if !whitespaceOnly.isEmpty { print("Differ from the person's resolution in whitespace: \(whitespaceOnly.joined(separator: " "))") }
        if !punctuationOnly.isEmpty { print("Differ from the person's resolution in punctuation: \(punctuationOnly.joined(separator: " "))") }
        if !differing.isEmpty { print("Differ in words from the person's resolution: \(differing.joined(separator: " "))") }
    }

    /// The lines a person must read to resolve what is left: those between the markers.
    static func linesInConflicts(_ marked: String) -> Int {
        var inside = false
        var count = 0
        for line in marked.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("<<<<<<<") { inside = true } else if line.hasPrefix(">>>>>>>") { inside = false } else if inside, !line.hasPrefix("=======") { count += 1 }
        }
        return count
    }

    static let caseFiles = ["base", "ours", "theirs", "git-merged", "git-status", "human"]

    /// The complete cases of a corpus; an incomplete or malformed one is named on standard error
    /// and left out, so that the figures never hide what they are over.
    static func load(_ folder: URL) throws -> [Case] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("\(folder.path) is not a folder. Give --corpus DIR, a folder with one folder per case holding \(caseFiles.joined(separator: ", ")).")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        return names.compactMap { name in
            let dir = folder.appendingPathComponent(name)
            func read(_ file: String) -> String? { try? String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8) }
            let missing = caseFiles.filter { read($0) == nil }
            guard missing.isEmpty, let base = read("base"), let ours = read("ours"), let theirs = read("theirs"),
                let git = read("git-merged"), let human = read("human"), let statusText = read("git-status")
            else {
                FileHandle.standardError.write(Data("skipped \(name): no readable \(missing.joined(separator: ", "))\n".utf8))
                return nil
            }
            guard let status = Int(statusText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                FileHandle.standardError.write(Data("skipped \(name): git-status holds \(statusText.prefix(20).debugDescription), not git's exit status\n".utf8))
                return nil
            }
            return Case(name: name, base: base, ours: ours, theirs: theirs, git: git, human: human, gitConflicts: status)
        }
    }
}
