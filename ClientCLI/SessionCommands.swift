import ArgumentParser
import Foundation
import GalleyClient
import GalleyCore

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a workspace that syncs with a server.")
    @Argument(help: "The folder (default: the current one).") var directory: String?
    @Option(help: "The server's address, e.g. http://127.0.0.1:8080.") var server: String

    func run() async throws {
        try await perform {
            let dir = URL(fileURLWithPath: directory ?? FileManager.default.currentDirectoryPath)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let app = try GalleyApp.initialize(at: dir, server: server)
            print("Created a workspace in \(app.workspace.root.path) for \(server). Next: galley login")
        }
    }
}

struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Log in to the server (needs the network).")
    @OptionGroup var options: WorkspaceOptions
    @Option(help: "Your user name (default: asked, or $USER).") var user: String?
    @Flag(help: "Read the password from standard input instead of asking.") var passwordStdin = false

    func run() async throws {
        try await perform {
            let app = try options.open()
            var name = user
            if name == nil, isatty(STDIN_FILENO) == 1, !passwordStdin {
                FileHandle.standardError.write(Data("User: ".utf8))
                name = readLine()?.trimmingCharacters(in: .whitespaces)
            }
            guard let name = name.flatMap({ $0.isEmpty ? nil : $0 }) ?? ProcessInfo.processInfo.environment["USER"] else {
                throw ValidationError("Give your user name with --user.")
            }
            let password: String?
            if passwordStdin {
                password = readLine(strippingNewline: true)
            } else if isatty(STDIN_FILENO) == 1 {
                password = Terminal.secret("Password for \(name): ")
            } else {
                throw ValidationError("No terminal to ask for the password; use --password-stdin.")
            }
            guard let password, !password.isEmpty else { throw ValidationError("No password given.") }
            let session = try await app.login(user: name, password: password)
            print("Logged in to \(try app.workspace.serverURL()) as \(session.user.name) (\(session.user.role.rawValue)) until \(Terminal.localTime(session.expiresAt)).")
        }
    }
}

struct Logout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Log out and forget the token.")
    @OptionGroup var options: WorkspaceOptions

    func run() async throws {
        try await perform {
            let app = try options.open()
            print(try await app.logout() ? "Logged out." : "Not logged in.")
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "What is not yet synced, open conflicts, the last sync.")
    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await perform {
            // A screenful of what waits to be sent, not thousands of lines after a large import
            // (each described change is read and decoded: 3,000 took most of a second).
            let shown = 20
            let status = try options.open().status(pendingLimit: output.json ? Int.max : shown)
            if output.json { return try Terminal.json(status) }
            print("Server:    \(status.server)\(status.loggedIn ? " (as \(status.user ?? "?"))" : " (not logged in)")")
            print("Last sync: \(status.lastSync.map(Terminal.localTime) ?? "never")")
            print("Outbox:    \(status.outbox) change\(status.outbox == 1 ? "" : "s") not yet sent")
            for p in status.pending { print("  \(Terminal.yellow(p.article))  \(p.what)  \(Terminal.dim(p.title))") }
            if status.outbox > status.pending.count, status.pending.count == shown {
                print(Terminal.dim("  … and \(status.outbox - status.pending.count) more (the oldest are above; `galley status --json` lists them all)."))
            }
            print("Conflicts: \(status.conflicts == 0 ? "none" : Terminal.red("\(status.conflicts) open; see `galley conflicts`"))")
            if !status.rejected.isEmpty {
                print(Terminal.red("Refused by the server (the text is kept here; `galley refused ID` shows it, `--dismiss` forgets it):"))
                for r in status.rejected { print("  \(Terminal.yellow(r.change))  \(r.article)  \(r.what): \(r.message)") }
            }
            if !status.overdue.isEmpty {
                print(Terminal.red("Scheduled but not published:"))
                for o in status.overdue {
                    print("  \(Terminal.yellow(o.article))  due \(Terminal.localTime(o.scheduledAt))  \(o.title)")
                    if let reason = o.reason { print(Terminal.dim("    " + reason)) }
                }
            }
        }
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync", abstract: "Send the outbox, then fetch what changed (safe to interrupt and run again).",
        discussion: "Exit status 3 when conflicts remain open afterwards, 4 when the server cannot be reached, 5 when the server refused a change (its text is kept: `galley refused`).")
    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await perform {
            let app = try options.open()
            let showProgress = Terminal.isTTY && !output.json
            let report = try await app.sync { p in
                guard showProgress, p.done > 0 else { return }
                let rate = p.elapsed > 0 ? Double(p.done) / p.elapsed : 0
                let line = switch p.phase {
                case .pushing: "\rpushed \(Terminal.count(p.done, "change"))\(p.total.map { " of \($0)" } ?? "")"
                case .pulling: "\rpulled \(Terminal.count(p.done, "article")) (\(Int(rate))/s)"
                }
                FileHandle.standardError.write(Data((line + "\u{1B}[K").utf8))
            }
            if showProgress && (report.pulledArticles > 0 || report.pushed > 0) { FileHandle.standardError.write(Data("\n".utf8)) }
            if output.json {
                try Terminal.json(report)
            } else {
                var parts = ["pushed \(report.pushed)"]
                if report.merged > 0 { parts.append("\(report.merged) merged with others' work") }
                if report.conflicted > 0 { parts.append(Terminal.red("\(report.conflicted) with conflicts")) }
                if !report.rejected.isEmpty { parts.append(Terminal.red("\(report.rejected.count) refused")) }
                parts.append("pulled \(Terminal.count(report.pulledArticles, "article"))" + (report.fromSnapshot ? " (from the server's prepared replica)" : ""))
                print("Synced with \(report.server): " + parts.joined(separator: ", ") + ".")
                if report.epochReset { print("The server's archive was restored from a backup; this workspace fetched it again and kept your unsent changes.") }
                for news in report.news {
                    let did = switch news.what {
                    case "note": "wrote a note on"
                    case "changes_requested": "requested changes on"
                    default: news.what.replacingOccurrences(of: "_", with: " ")
                    }
                    var line = "\(news.actor) \(did) \(Terminal.yellow(news.article)) \(news.title)"
                    if let text = news.text { line += Terminal.dim(" — " + (text.count > 100 ? text.prefix(100) + "…" : text)) }
                    print(line)
                }
                for r in report.rejected { print(Terminal.red("  refused \(r.article): \(r.message)")) }
                if report.rejected.contains(where: \.keptWords) { print("Your text in refused changes is kept: `galley refused` shows it.") }
                if report.openConflicts > 0 { print(Terminal.yellow("\(Terminal.count(report.openConflicts, "conflict")) open; see `galley conflicts`.")) }
            }
            if !report.rejected.isEmpty { throw ExitCode(5) }
            if report.openConflicts > 0 { throw ExitCode(3) }
        }
    }
}
