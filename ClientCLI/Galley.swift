import ArgumentParser
import Foundation
#if canImport(Glibc)
/// glibc's `mallopt` (malloc.h, which the Glibc module does not bring in).
@_silgen_name("mallopt") private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let M_ARENA_MAX: Int32 = -8
#endif
import GalleyClient
import GalleyCore

@main
struct Galley: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "galley",
        abstract: "Write, sync and review articles offline with a Galley server.",
        discussion: """
            Everything but `login` and `sync` works offline, on the workspace's replica \
            (.galley/ in this folder or one above it; --workspace DIR or GALLEY_WORKSPACE to choose).
            IDs: an article's full id, the first digits of its 8-digit short id, or its slug.

            Exit status: 0 ok, 1 error, 2 usage, 3 conflicts remain after sync, \
            4 cannot reach the server or not logged in, 5 the server refused a change (galley refused).
            """,
        version: GalleyVersion.string,
        subcommands: [
            Init.self, Login.self, Logout.self,
            New.self, Edit.self, Show.self, List.self, Search.self, Tag.self, Untag.self, Author.self, Log.self, Diff.self,
            Status.self, Sync.self, Conflicts.self, Resolve.self, Refused.self,
            Submit.self, Review.self, Approve.self, RequestChanges.self, Publish.self, Retract.self, Archive.self, Reopen.self, Note.self, Delete.self,
            Attach.self, Site.self, Export.self, Import.self, MergeFileCommand.self,
        ])

    /// Like ArgumentParser's own entry point, but usage errors exit with 2 (as documented)
    /// instead of 64; `merge-file`'s with 129, as git's do, since its 2 means two conflicts.
    static func main() async {
        let usageStatus: Int32 = CommandLine.arguments.dropFirst().first == "merge-file" ? 129 : 2
        #if canImport(Glibc)
        // A sync decodes the next page on one thread while it stores the last on another; glibc
        // then keeps an arena per thread, and their fragments grew a 20,000-article first sync
        // from 75 to 96 MiB (two arenas: 95). One arena holds it at 74-77 MiB at the same speed
        // within the machine's noise (galley-bench initial-sync).
        _ = mallopt(M_ARENA_MAX, 1)
        #endif
        do {
            var command: any ParsableCommand
            if let direct = parseDirectly() { command = direct } else { command = try parseAsRoot() }
            do {
                if var command = command as? any AsyncParsableCommand {
                    try await command.run()
                } else {
                    try command.run()
                }
            } catch let error as ValidationError {
                // A command found its input unusable after parsing: its message says what to do;
                // the root usage that ArgumentParser would print after it only distracts.
                FileHandle.standardError.write(Data("Error: \(error.message)\n".utf8))
                Foundation.exit(usageStatus)
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(usageStatus)
            }
            exit(withError: error)
        }
    }

    /// The command named by the first argument, parsed by that command alone: parsing from the
    /// root makes ArgumentParser look at every command's arguments, and each first look at a
    /// generic type scans every protocol conformance in the binary (a quarter of `galley
    /// status`'s time). Anything this path does not parse cleanly (help, a typo, a bad value,
    /// `--version`) gets nil and goes through the root, which gives the message it always gave;
    /// parsing writes nothing, so parsing twice is harmless.
    static func parseDirectly() -> (any ParsableCommand)? {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first,
            let type = configuration.subcommands.first(where: { $0.configuration.commandName == name }),
            type.configuration.subcommands.isEmpty,
            !arguments.contains(where: { ["-h", "--help", "-help", "--version", "--generate-completion-script", "--experimental-dump-help"].contains($0) })
        else { return nil }
        return try? type.parseAsRoot(Array(arguments.dropFirst()))
    }
}
