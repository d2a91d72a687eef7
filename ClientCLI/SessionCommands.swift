import ArgumentParser
import Foundation
import GalleyClient
import GalleyCore

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a workspace that syncs with a server.")
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
    static let configuration = CommandConfiguration(abstract: "Log in to the server (needs the network).")
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
    static let configuration = CommandConfiguration(abstract: "Log out and forget the token.")
    @OptionGroup var options: WorkspaceOptions

    func run() async throws {
        try await perform {
            let app = try options.open()
            print(try await app.logout() ? "Logged out." : "Not logged in.")
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "What is not yet synced, open conflicts, the last sync.")
    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await perform {
            let status = try options.open().status()
            if output.json { return try Terminal.json(status) }
            print("Server:    \(status.server)\(status.loggedIn ? " (as \(status.user ?? "?"))" : " (not logged in)")")
            print("Last sync: \(status.lastSync.map(Terminal.localTime) ?? "never")")
            print("Outbox:    \(status.outbox) change\(status.outbox == 1 ? "" : "s") not yet sent")
            for p in status.pending { print("  \(Terminal.yellow(p.article))  \(p.what)  \(Terminal.dim(p.title))") }
            print("Conflicts: \(status.conflicts == 0 ? "none" : Terminal.red("\(status.conflicts) open; see `galley conflicts`"))")
            if !status.rejected.isEmpty {
                print(Terminal.red("Refused by the server (the text is kept here):"))
                for r in status.rejected { print("  \(Terminal.yellow(r.article))  \(r.what): \(r.message)") }
            }
        }
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send the outbox, then fetch what changed (safe to interrupt and run again).",
        discussion: "Exit status 3 when conflicts remain open afterwards, 4 when the server cannot be reached.")
    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await perform {
            let app = try options.open()
            let showProgress = Terminal.isTTY && !output.json
            let report = try await app.sync { p in
                guard showProgress, p.phase == .pulling, p.done > 0 else { return }
                let rate = p.elapsed > 0 ? Double(p.done) / p.elapsed : 0
                FileHandle.standardError.write(Data(String(format: "\rpulled %d articles (%.0f/s)", p.done, rate).utf8))
            }
            if showProgress && report.pulledArticles > 0 { FileHandle.standardError.write(Data("\n".utf8)) }
            if output.json {
                try Terminal.json(report)
            } else {
                var parts = ["pushed \(report.pushed)"]
                if report.merged > 0 { parts.append("\(report.merged) merged with others' work") }
                if report.conflicted > 0 { parts.append(Terminal.red("\(report.conflicted) with conflicts")) }
                if !report.rejected.isEmpty { parts.append(Terminal.red("\(report.rejected.count) refused")) }
                parts.append("pulled \(report.pulledArticles) article\(report.pulledArticles == 1 ? "" : "s")")
                print("Synced with \(report.server): " + parts.joined(separator: ", ") + ".")
                if report.epochReset { print("The server's archive was restored from a backup; this workspace fetched it again and kept your unsent changes.") }
                for r in report.rejected { print(Terminal.red("  refused \(r.article): \(r.message)")) }
                if report.openConflicts > 0 { print(Terminal.yellow("\(report.openConflicts) conflict\(report.openConflicts == 1 ? "" : "s") open; see `galley conflicts`.")) }
            }
            if report.openConflicts > 0 { throw ExitCode(3) }
        }
    }
}
