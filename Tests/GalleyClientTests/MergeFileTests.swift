import Foundation
import GalleyTestSupport
import GalleyCore
import Testing

@testable import GalleyClient

@Suite struct MergeFileTests {
    func files(_ base: String, _ ours: String, _ theirs: String) throws -> (String, String, String) {
        let dir = Scratch.path("mergefile")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let paths = ["ours", "base", "theirs"].map { dir.appendingPathComponent($0).path }
        for (path, text) in zip(paths, [ours, base, theirs]) { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
        return (paths[0], paths[1], paths[2])
    }

    @Test func aCleanMergeOverwritesOursAndExitsZero() throws {
        let (ours, base, theirs) = try files("a\nb\nc\n", "A\nb\nc\n", "a\nb\nC\n")
        let outcome = try MergeFile.run(ours: ours, base: base, theirs: theirs, toStandardOutput: false)
        #expect(outcome.status == 0)
        #expect(try String(contentsOfFile: ours, encoding: .utf8) == "A\nb\nC\n")
    }

    @Test func conflictsAreMarkedAsGitMarksThemAndCounted() throws {
        let (ours, base, theirs) = try files("one\n\ntwo\nand more\n\nthree\n", "uno\n\ntwo\nand more\n\ntres\n", "eins\n\ntwo\nand more\n\ndrei\n")
        let outcome = try MergeFile.run(ours: ours, base: base, theirs: theirs, labels: ["mine", "base", "yours"], toStandardOutput: true)
        #expect(outcome.status == 2)
        #expect(String(decoding: outcome.merged, as: UTF8.self) == """
            <<<<<<< mine
            uno
            =======
            eins
            >>>>>>> yours

            two
            and more

            <<<<<<< mine
            tres
            =======
            drei
            >>>>>>> yours

            """)
        #expect(try String(contentsOfFile: ours, encoding: .utf8) == "uno\n\ntwo\nand more\n\ntres\n", "-p leaves OURS alone")
        // Conflicts separated by three lines or fewer are shown as one, as git shows them.
        let (o2, b2, t2) = try files("one\n\ntwo\n\nthree\n", "uno\n\ntwo\n\ntres\n", "eins\n\ntwo\n\ndrei\n")
        #expect(try MergeFile.run(ours: o2, base: b2, theirs: t2, toStandardOutput: true).status == 1)
    }

    @Test func wordsInOneParagraphMergeWhereLinesWouldConflict() throws {
        let (ours, base, theirs) = try files(
            "The minister met the delegation on Monday.\n",
            "The prime minister met the delegation on Monday.\n",
            "The minister met the Chinese delegation on Tuesday.\n")
        let outcome = try MergeFile.run(ours: ours, base: base, theirs: theirs, toStandardOutput: true, prose: true)
        #expect(outcome.status == 0)
        #expect(String(decoding: outcome.merged, as: UTF8.self) == "The prime minister met the Chinese delegation on Tuesday.\n")
        // Without --prose it is git's answer: one conflict, marked as git marks it.
        let asGit = try MergeFile.run(ours: ours, base: base, theirs: theirs, labels: ["ours", "base", "theirs"], toStandardOutput: true)
        #expect(asGit.status == 1)
        #expect(String(decoding: asGit.merged, as: UTF8.self) == """
            <<<<<<< ours
            The prime minister met the delegation on Monday.
            =======
            The minister met the Chinese delegation on Tuesday.
            >>>>>>> theirs

            """)
    }

    @Test func missingAndBinaryFilesAreErrors() throws {
        let (ours, base, _) = try files("a\n", "a\n", "a\n")
        #expect(throws: GalleyError.self) { try MergeFile.run(ours: ours, base: base, theirs: "/nonexistent/file", toStandardOutput: true) }
        try Data([0x61, 0x00, 0x62]).write(to: URL(fileURLWithPath: base))
        #expect(throws: GalleyError.self) { try MergeFile.run(ours: ours, base: base, theirs: ours, toStandardOutput: true) }
    }
}
