import Foundation
import GalleyClient
import GalleyCore
import GalleyTestSupport
import Testing

/// `galley edit` and `galley resolve` in a real pseudo-terminal with real terminal editors, typed
/// into as a person types: the way analysts write. (They hung with a blank screen when the
/// editor ran outside the terminal's foreground process group.)
@Suite(.serialized) struct TerminalTests {
    static let vim = TerminalSession.which("vim")
    static let nano = TerminalSession.which("nano")
    static let canDriveVim = TerminalSession.isAvailable && vim != nil
    static let canDriveNano = TerminalSession.isAvailable && nano != nil

    /// A server, a logged-in workspace, and an article with a short body; returns its short id.
    static func desk(_ name: String) throws -> (ServerProcess, URL, String) {
        let server = try ServerProcess.start(environment: ["GALLEY_ADMIN_PASSWORD": "admin-password-1"])
        let dir = Scratch.path(name)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let ws = dir.appendingPathComponent("desk")
        _ = try runGalley(["init", ws.path, "--server", "http://127.0.0.1:\(server.port)"], in: dir)
        let login = try runGalley(["login", "--user", "admin", "--password-stdin"], in: ws, stdin: "admin-password-1\n")
        #expect(login.status == 0, "\(login)")
        let body = dir.appendingPathComponent("body.md")
        try Data("First line of the body.\n".utf8).write(to: body)
        let made = try runGalley(["new", "--title", "Written in a terminal", "--body-file", body.path], in: ws)
        #expect(made.status == 0, "\(made)")
        return (server, ws, made.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func body(_ id: String, in ws: URL) throws -> String {
        let shown = try runGalley(["show", id, "--json"], in: ws)
        let json = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        return json?["body"] as? String ?? ""
    }

    /// A terminal's environment: an empty home (no personal vimrc), the editor named.
    static func environment(editor: String) -> [String: String] {
        let home = Scratch.path("home")
        try? FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        return ["EDITOR": editor, "VISUAL": "", "HOME": home.path]
    }

    @Test(.enabled(if: canDriveVim, "needs python3 and vim (.ci/run installs Debian's vim)"))
    func galleyEditOpensVimOnTheTerminalAndKeepsWhatIsTyped() throws {
        let (server, ws, id) = try Self.desk("tty-vim")
        defer { server.stop() }
        let run = try TerminalSession.run(
            [ServerProcess.binary("galley").path, "edit", id], in: ws, environment: Self.environment(editor: "vim"),
            steps: [.wait("First line of the body."), .type("Go"), .type("Typed in vim: ўсё, 👩🏽‍💻.\u{1B}"), .type(":wq\r"), .wait("Saved")])
        #expect(run.status == 0 && run.failure == nil, "\(run)")
        #expect(try Self.body(id, in: ws) == "First line of the body.\nTyped in vim: ўсё, 👩🏽‍💻.\n")
    }

    @Test(.enabled(if: canDriveVim, "needs python3 and vim (.ci/run installs Debian's vim)"))
    func badFrontMatterInVimIsKeptAndTheAdviceWorks() throws {
        let (server, ws, id) = try Self.desk("tty-rescue")
        defer { server.stop() }
        // Break the front matter (the title becomes an unclosed list), decline to reopen.
        let run = try TerminalSession.run(
            [ServerProcess.binary("galley").path, "edit", id], in: ws, environment: Self.environment(editor: "vim"),
            steps: [.wait("First line of the body."), .type(":2s/title: /title: [/\r"), .type("Go"), .type("Precious words.\u{1B}"),
                    .type(":wq\r"), .wait("[Y/n]"), .type("n\r")])
        #expect(run.status == 1 && run.failure == nil, "\(run)")
        let advice = try #require(run.transcript.range(of: #"galley edit \S+ --from (\S+\.md)"#, options: .regularExpression))
        let rescued = String(run.transcript[advice]).components(separatedBy: "--from ").last!
        let text = try String(contentsOfFile: rescued, encoding: .utf8)
        #expect(text.contains("Precious words."), "the text is kept")
        // The advice, followed after fixing the file, saves the words as the body (not the front matter).
        try Data(text.replacingOccurrences(of: "title: [", with: "title: ").utf8).write(to: URL(fileURLWithPath: rescued))
        let followed = try runGalley(["edit", id, "--from", rescued], in: ws)
        #expect(followed.status == 0, "\(followed)")
        #expect(try Self.body(id, in: ws) == "First line of the body.\nPrecious words.\n")
    }

    @Test(.enabled(if: canDriveNano, "needs python3 and nano (.ci/run installs Debian's nano)"))
    func galleyEditWorksWithNanoToo() throws {
        let (server, ws, id) = try Self.desk("tty-nano")
        defer { server.stop() }
        let run = try TerminalSession.run(
            [ServerProcess.binary("galley").path, "edit", id], in: ws, environment: Self.environment(editor: "nano"),
            steps: [.wait("First line"), .type("\u{1B}/"), .pause(0.3), .type("Typed in nano.\r"), .type("\u{0F}"), .pause(0.3), .type("\r"), .pause(0.3), .type("\u{18}"), .wait("Saved")])
        #expect(run.status == 0 && run.failure == nil, "\(run)")
        #expect(try Self.body(id, in: ws).contains("Typed in nano."), "\(run)")
    }

    @Test(.enabled(if: canDriveVim, "needs python3 and vim (.ci/run installs Debian's vim)"))
    func galleyResolveOpensTheMarkersInVimAndSettlesTheConflict() throws {
        let (server, ws, id) = try Self.desk("tty-resolve")
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)"
        var r = try runGalley(["sync"], in: ws)
        #expect(r.status == 0, "\(r)")
        // The same person on a second laptop edits the same line; the first laptop syncs first.
        let other = ws.deletingLastPathComponent().appendingPathComponent("laptop")
        _ = try runGalley(["init", other.path, "--server", url], in: ws)
        _ = try runGalley(["login", "--user", "admin", "--password-stdin"], in: other, stdin: "admin-password-1\n")
        _ = try runGalley(["sync"], in: other)
        let mine = ws.deletingLastPathComponent().appendingPathComponent("mine.md")
        try Data("First line, as this laptop has it.\n".utf8).write(to: mine)
        let theirs = ws.deletingLastPathComponent().appendingPathComponent("theirs.md")
        try Data("First line, as the other laptop has it.\n".utf8).write(to: theirs)
        _ = try runGalley(["edit", id, "--body-file", theirs.path], in: other)
        r = try runGalley(["sync"], in: other)
        #expect(r.status == 0, "\(r)")
        _ = try runGalley(["edit", id, "--body-file", mine.path], in: ws)
        r = try runGalley(["sync"], in: ws)
        #expect(r.status == 3, "the conflict is reported: \(r)")
        r = try runGalley(["conflicts"], in: ws)
        #expect(r.stdout.contains("<<<<<<< ours (yours, not in the article)") && r.stdout.contains("as this laptop has it"), "ours is this workspace's side: \(r)")

        let run = try TerminalSession.run(
            [ServerProcess.binary("galley").path, "resolve", id], in: ws, environment: Self.environment(editor: "vim"),
            steps: [.wait("yours, not in the article"), .type("ggdG"), .type("iFirst line, settled by hand.\u{1B}"), .type(":wq\r"), .wait("Resolved")])
        #expect(run.status == 0 && run.failure == nil, "\(run)")
        r = try runGalley(["conflicts"], in: ws)
        #expect(r.stdout.contains("No open conflicts."), "settled at once, before any sync: \(r)")
        r = try runGalley(["sync"], in: ws)
        #expect(r.status == 0, "\(r)")
        #expect(try Self.body(id, in: ws) == "First line, settled by hand.\n")
    }
}
