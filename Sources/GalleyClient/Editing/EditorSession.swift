import Foundation
import GalleyCore
#if canImport(Glibc)
import Glibc
#endif

/// Opens `$EDITOR` (then `$VISUAL`, then `vi`) on a file and gives back what was saved. A
/// validation error never loses the text: it is kept in `.galley/rescue/` and, on a terminal,
/// the editor can be reopened on it.
package struct EditorSession: Sendable {
    package let workspace: Workspace
    package let editor: String

    package init(workspace: Workspace, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.workspace = workspace
        editor = [environment["EDITOR"], environment["VISUAL"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
    }

    /// Runs the editor on `text` and returns the saved text.
    package func edit(_ text: String, name: String) throws -> String {
        let dir = workspace.galleyDir.appendingPathComponent("edit")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("\(name).md")
        try Data(text.utf8).write(to: file, options: .atomic)
        // Through the shell, so that EDITOR may carry arguments ("code --wait").
        let status = try ForegroundProcess.run(["/bin/sh", "-c", "\(editor) \"$1\"", "galley-edit", file.path])
        guard status == 0 else {
            throw GalleyError(.malformed, "The editor (\(editor)) exited with status \(status); nothing was saved. Your text is still in \(file.path).")
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw GalleyError(.notFound, "The edited file \(file.path) disappeared; nothing was saved.")
        }
        try? FileManager.default.removeItem(at: file)
        return String(decoding: data, as: UTF8.self)
    }

    package enum Outcome: Sendable {
        case saved(Article)
        case unchanged
        /// The text could not be saved as a change; it is in the rescue file.
        case rescued(URL, GalleyError)
    }

    /// `galley edit ID`: the article as Markdown with front matter, validated on save.
    /// - Parameter reopen: asked whether to reopen the editor after an error (on a terminal).
    package func editArticle(_ article: Article, app: GalleyApp, reopen: (GalleyError, URL) -> Bool) throws -> Outcome {
        var text = ArticleDocument(article.content).render()
        let original = text
        while true {
            text = try edit(text, name: article.id.short)
            if text == original { return .unchanged }
            do {
                let document = try ArticleDocument.parse(text, source: "your edit")
                guard let saved = try app.save(document, to: article) else { return .unchanged }
                return .saved(saved)
            } catch let error as GalleyError {
                let rescue = try workspace.rescue(text, name: article.id.short)
                if !reopen(error, rescue) { return .rescued(rescue, error) }
            }
        }
    }
}

/// Runs a program on this process's terminal, as a shell runs a job in the foreground: in
/// galley's own process group, so that a terminal editor (vim, nano) may read and draw.
/// Foundation's `Process` puts the child in a new process group, which the terminal then stops
/// (SIGTTOU) the moment it touches it: `galley edit` hung with a blank screen.
///
/// While the program runs, galley ignores SIGINT and SIGQUIT, as git does for its editor: a
/// Ctrl-C meant for the editor must not kill galley and lose the text.
enum ForegroundProcess {
    /// The exit status (128 + the signal's number if a signal ended it).
    static func run(_ arguments: [String]) throws -> Int32 {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF))

        let interrupt = signal(SIGINT, SIG_IGN)
        let quit = signal(SIGQUIT, SIG_IGN)
        defer {
            signal(SIGINT, interrupt)
            signal(SIGQUIT, quit)
        }
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], nil, &attributes, argv, environ)
        guard spawned == 0 else {
            throw GalleyError(.notFound, "Could not start \(arguments[0]): \(String(cString: strerror(spawned))).")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw GalleyError(.malformed, "Lost track of the editor: \(String(cString: strerror(errno))).") }
        }
        let signalled = status & 0x7F
        return signalled == 0 ? (status >> 8) & 0xFF : 128 + signalled
    }
}
