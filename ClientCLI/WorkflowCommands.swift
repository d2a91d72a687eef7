import ArgumentParser
import Foundation
import GalleyClient
import GalleyCore

/// The workflow commands share their shape: an article, maybe a message; they work offline and
/// are sent on the next sync.
struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Submit an article for review.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    func run() async throws { try await step { app, a in try app.submit(a) } }
    func step(_ body: (GalleyApp, Article) throws -> Article) async throws { try await workflowStep(options, id, body) }
}

struct Approve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Approve the revision you see (editors); void if the text changes before it arrives.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    func run() async throws { try await workflowStep(options, id) { app, a in try app.approve(a) } }
}

struct RequestChanges: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "request-changes", abstract: "Send an article back to its authors (editors).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Option(name: .shortAndLong, help: "What should change.") var message: String
    func run() async throws { try await workflowStep(options, id) { app, a in try app.requestChanges(a, message: message) } }
}

struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Publish the approved revision now or at a time (editors).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Option(help: "When, as RFC 3339 (2026-12-01T09:00:00+01:00).") var at: String?
    func run() async throws {
        let when: Date?
        if let at {
            guard let date = Timestamp.parse(at) else { throw ValidationError("'\(at)' is not a time like 2026-12-01T09:00:00+01:00.") }
            when = date
        } else {
            when = nil
        }
        try await workflowStep(options, id) { app, a in try app.publish(a, at: when) }
    }
}

struct Retract: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Retract a published article with a correction note (editors).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Option(name: .shortAndLong, help: "The note readers see instead of the article.") var message: String
    func run() async throws { try await workflowStep(options, id) { app, a in try app.retract(a, message: message) } }
}

struct Note: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write a review note on an article.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Option(name: .shortAndLong) var message: String
    func run() async throws {
        try await perform {
            let app = try options.open()
            try app.note(try app.find(id), text: message)
            print("Noted; it goes to the server on the next sync.")
        }
    }
}

struct Review: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The review queue: submitted articles, oldest first.")
    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var output: OutputOptions
    func run() async throws {
        try await perform {
            let views = try options.open().reviewQueue()
            if output.json { return try Terminal.json(views) }
            if views.isEmpty { print("Nothing waits for review.") }
            for v in views { print(Terminal.line(v.article) + Terminal.dim("  by " + v.article.authors.joined(separator: ", "))) }
        }
    }
}

struct Conflicts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List open conflicts.")
    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var output: OutputOptions
    func run() async throws {
        try await perform {
            let app = try options.open()
            let conflicts = try app.conflicts()
            if output.json { return try Terminal.json(conflicts) }
            if conflicts.isEmpty { print("No open conflicts.") }
            for c in conflicts {
                let title = (try? app.find(c.articleID.description))?.content.title ?? ""
                print("\(Terminal.yellow(c.articleID.short))  \(Terminal.red(c.field.rawValue))  \(title)  \(Terminal.dim("pushed by \(c.author)"))")
                if c.field != .deletion { print(Terminal.dim(c.marked().split(separator: "\n").prefix(12).map { "    " + $0 }.joined(separator: "\n"))) }
            }
            if !conflicts.isEmpty { print("Settle with: galley resolve ID [--take ours|theirs] (or edit the markers in $EDITOR)") }
        }
    }
}

struct Resolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Settle an article's conflicts: take a side, give the text, or edit the markers in $EDITOR.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Option(help: "ours (keep the article's current text) or theirs (take the other side).") var take: String?
    @Option(help: "Read the resolved text of the conflicted field from a file.") var bodyFile: String?
    @Option(help: "Only the conflict in this field (title, lead, body, …).") var field: String?

    func validate() throws {
        if let take, GalleyApp.Side(rawValue: take) == nil { throw ValidationError("--take is ours or theirs.") }
        if let field, ContentField(rawValue: field) == nil { throw ValidationError("Unknown field '\(field)'.") }
        if take != nil && bodyFile != nil { throw ValidationError("Use either --take or --body-file.") }
    }

    func run() async throws {
        try await perform {
            let app = try options.open()
            let article = try app.find(id)
            let only = field.flatMap(ContentField.init(rawValue:))
            if let take {
                _ = try app.resolve(article, take: GalleyApp.Side(rawValue: take), field: only)
            } else if let bodyFile {
                _ = try app.resolve(article, text: try readText(bodyFile), field: only)
            } else {
                let open = try app.conflicts(of: article).filter { only == nil || $0.field == only }
                guard let conflict = open.first(where: { $0.field != .deletion }) else {
                    throw GalleyError(.notFound, "No text conflict to edit on \(article.id.short); use --take ours|theirs.")
                }
                let edited = try EditorSession(workspace: app.workspace).edit(conflict.marked(), name: "\(article.id.short)-\(conflict.field.rawValue)")
                do {
                    _ = try app.resolve(article, text: edited, field: conflict.field)
                } catch let error as GalleyError {
                    let rescue = try app.workspace.rescue(edited, name: "\(article.id.short)-\(conflict.field.rawValue)")
                    throw GalleyError(error.code, "\(error.message) Your text is kept in \(rescue.path).")
                }
            }
            print("Resolved; the resolution goes to the server on the next sync.")
        }
    }
}

func workflowStep(_ options: WorkspaceOptions, _ id: String, _ body: (GalleyApp, Article) throws -> Article) async throws {
    try await perform {
        let app = try options.open()
        let article = try body(app, try app.find(id))
        print("\(article.id.short) is now \(article.state.rawValue.replacingOccurrences(of: "_", with: " ")) here; the server decides on the next sync.")
    }
}
