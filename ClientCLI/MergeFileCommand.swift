import ArgumentParser
import Foundation
import GalleyClient
import GalleyCore

struct MergeFileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-file",
        abstract: "Three-way merge of files, as `git merge-file` does (Galley's own merge engine).",
        discussion: """
            Merges the changes from BASE to THEIRS into OURS. As git's, the exit status is the \
            number of conflicts (at most 127), 0 for a clean merge, 255 when a file cannot be \
            read or written, 129 for a usage error. \
            Without --prose the result is git's, byte for byte. With it, lines that conflict are \
            merged again as `galley sync` merges an article's body: paragraph by paragraph, then \
            word by word inside a paragraph both sides changed. What still conflicts is marked \
            as git marks it, but both sides between the markers already hold everything that \
            merged, so that where a paragraph could be paired they differ only in the words \
            that collide. Code (fenced, indented or in an AsciiDoc listing block) is merged by \
            lines only. Of git's options it takes -p, -L, -q, --ours, --theirs and --union; \
            not --diff3, --zdiff3 or --marker-size.
            """)

    @Flag(name: .customShort("p"), help: "Send the result to standard output instead of overwriting OURS.")
    var toStdout = false

    @Flag(help: "Merge as Galley merges prose: where lines conflict, merge paragraphs, then words.")
    var prose = false

    @Flag(name: .customLong("ours"), help: "Settle conflicts by taking our side instead of marking them (as git's --ours).") var favorOurs = false
    @Flag(name: .customLong("theirs"), help: "Settle conflicts by taking their side instead of marking them (as git's --theirs).") var favorTheirs = false
    @Flag(name: .customLong("union"), help: "Settle conflicts by taking both sides, ours first (as git's --union).") var favorBoth = false
    @Flag(name: [.customShort("q"), .customLong("quiet")], help: "Do not warn about conflicts (as git's -q; galley merge-file never warns, so this changes nothing).") var quiet = false

    @Option(name: .customShort("L", allowingJoined: true), help: ArgumentHelp("A label for the conflict markers, instead of a file name (up to three: ours, base, theirs).", valueName: "name"))
    var labels: [String] = []

    @Argument(help: "Our version; overwritten with the result unless -p is given.") var ours: String
    @Argument(help: "The common ancestor.") var base: String
    @Argument(help: "Their version.") var theirs: String

    func validate() throws {
        if labels.count > 3 { throw ValidationError("too many labels on the command line (at most three)") }
        if [favorOurs, favorTheirs, favorBoth].filter({ $0 }).count > 1 { throw ValidationError("--ours, --theirs and --union exclude one another") }
    }

    var favor: TextMerge.Favor? { favorOurs ? .ours : favorTheirs ? .theirs : favorBoth ? .union : nil }

    func run() throws {
        do {
            let outcome = try MergeFile.run(ours: ours, base: base, theirs: theirs, labels: labels, toStandardOutput: toStdout, prose: prose, favor: favor)
            if toStdout { FileHandle.standardOutput.write(Data(outcome.merged)) }
            if outcome.status != 0 { throw ExitCode(outcome.status) }
        } catch let error as GalleyError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(255)
        }
    }
}
