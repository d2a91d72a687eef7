import ArgumentParser
import Foundation
import GalleyClient
import GalleyCore

/// The workflow commands share their shape: an article, maybe a message; they work offline and
/// are sent on the next sync.
struct Submit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "submit", abstract: "Submit an article for review.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    func run() async throws { try await step { app, a in try app.submit(a) } }
    func step(_ body: (GalleyApp, Article) throws -> Article) async throws { try await workflowStep(options, id, body) }
}

struct Approve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "approve", abstract: "Approve the revision you see (editors); void if the text changes before it arrives.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    func run() async throws {
        try await withArticle(options, id) { app, article in
            _ = try app.approve(article)
            print("Approved revision \(article.headRevision.short) of \(article.id.short) (\(article.content.title)) here; the server decides on the next sync, and refuses it if the text has changed since.")
        }
    }
}

struct RequestChanges: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "request-changes", abstract: "Send an article back to its authors (editors).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Option(name: .shortAndLong, help: "What should change.") var message: String
    func run() async throws { try await workflowStep(options, id) { app, a in try app.requestChanges(a, message: message) } }
}

struct Publish: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "publish", abstract: "Publish the approved revision now or at a time (editors).")
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
    static let configuration = CommandConfiguration(commandName: "retract", abstract: "Retract a published article with a correction note (editors).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Option(name: .shortAndLong, help: "The note readers see instead of the article.") var message: String
    func run() async throws { try await workflowStep(options, id) { app, a in try app.retract(a, message: message) } }
}

struct Archive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive", abstract: "Archive an article: off the site and out of review (its authors, while it was never published; editors).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    func run() async throws { try await workflowStep(options, id) { app, a in try app.archive(a) } }
}

struct Reopen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reopen", abstract: "Make an archived or retracted article a draft again, to go through review anew.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    func run() async throws { try await workflowStep(options, id) { app, a in try app.reopen(a) } }
}

struct Note: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "note", abstract: "Write a review note on an article.")
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
    static let configuration = CommandConfiguration(commandName: "review", abstract: "The review queue: submitted articles, oldest first.")
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
    static let configuration = CommandConfiguration(commandName: "conflicts", abstract: "List open conflicts.")
    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var output: OutputOptions
    func run() async throws {
        try await perform {
            let app = try options.open()
            if output.json { return try Terminal.json(try app.conflictViews()) }
            let conflicts = try app.conflicts()
            if conflicts.isEmpty { print("No open conflicts.") }
            for c in conflicts {
                let title = (try? app.find(c.articleID.description))?.content.title ?? ""
                print("\(Terminal.yellow(c.articleID.short))  \(Terminal.red(c.field.rawValue))  \(title)  \(Terminal.dim("pushed by \(c.author)"))")
                if c.field == .deletion {
                    let sides = try app.sides(c)
                    print(Terminal.dim("    one side deletes the article, the other keeps it: ours \(sides.ours == "deleted" ? "deletes" : "keeps") it, theirs \(sides.theirs == "deleted" ? "deletes" : "keeps") it (it is kept now)"))
                } else {
                    let (lines, omitted) = GalleyApp.excerpt(of: try app.marked(c))
                    print(Terminal.dim(lines.map { "    " + $0 }.joined(separator: "\n")))
                    if omitted > 0 { print(Terminal.dim("    … \(omitted) more lines: galley resolve \(c.articleID.short) opens all of it")) }
                }
            }
            let id = Set(conflicts.map(\.articleID)).count == 1 ? conflicts[0].articleID.short : "ID"
            if conflicts.contains(where: { $0.field != .deletion }) {
                print("Settle with: galley resolve \(id) (edit the markers in $EDITOR), or --take ours (this workspace's side) or --take theirs")
            } else if !conflicts.isEmpty {
                print("Settle with: galley resolve \(id) --take ours or --take theirs")
            }
        }
    }
}

struct Resolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve", abstract: "Settle an article's conflicts: take a side, give the text, or edit the markers in $EDITOR.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Option(help: "ours: this workspace's side (what you pushed, if the conflict is about your change; else what the article has). theirs: the other side. Of a text, the merge `galley conflicts` shows is taken, each conflict settled for that side: edits shown outside the markers stay.")
    var take: String?
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
                let edited = try EditorSession(workspace: app.workspace).edit(try app.marked(conflict), name: "\(article.id.short)-\(conflict.field.rawValue)")
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
    try await withArticle(options, id) { app, before in
        let article = try body(app, before)
        let state = article.state.rawValue.replacingOccurrences(of: "_", with: " ")
        print("\(article.id.short) is now '\(state)' here; the server decides on the next sync.")
    }
}

struct Refused: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refused", abstract: "Changes the server refused, with their text: list them, show one, or dismiss one you have dealt with.",
        discussion: """
            `galley refused ID` writes the refused words to standard output as a Markdown file with \
            front matter (`galley refused ID > FILE.md`), ready for the command it names to send them \
            again. A refused change that carries no words (a tag, a workflow step) is forgotten once the \
            article moves on; one with words stays until dismissed.
            """)
    @OptionGroup var options: WorkspaceOptions
    @Argument(help: "The refused change (the start of its id, or of its article's), as listed.") var change: String?
    @Flag(help: "Forget the refused change (after copying what you need from it).") var dismiss = false
    @OptionGroup var output: OutputOptions

    func validate() throws { if dismiss && change == nil { throw ValidationError("Name the refused change to dismiss.") } }

    func run() async throws {
        try await perform {
            let app = try options.open()
            if let change, dismiss {
                let gone = try app.dismissRefused(change)
                print("Dismissed the refused change \(gone.change.id.description.prefix(8)) of \(gone.change.articleID.short).")
                return
            }
            if let change {
                let r = try app.refusal(change)
                if output.json { return try Terminal.json(r.change) }
                FileHandle.standardError.write(Data("Refused \(Terminal.localTime(r.at)): \(r.message)\n".utf8))
                if let (document, command) = try app.document(of: r) {
                    FileHandle.standardError.write(Data("To send it again: galley refused \(change) > FILE.md, fix what the server refused, then \(command)\n".utf8))
                    print(document.render(), terminator: "")
                } else if let note = r.change.note {
                    print(note.text)
                } else if case .requestChanges(let m) = r.change.command {
                    print(m)
                } else if case .retract(let m) = r.change.command {
                    print(m)
                } else {
                    print(GalleyApp.describe(r.change))
                }
                return
            }
            let all = try app.refused()
            if output.json { return try Terminal.json(all.map(\.change)) }
            if all.isEmpty { print("No refused changes.") }
            for r in all {
                print("\(Terminal.yellow(String(r.change.id.description.prefix(8))))  article \(r.change.articleID.short)  \(GalleyApp.describe(r.change)): \(r.message)")
            }
            if !all.isEmpty { print(Terminal.dim("Show one with `galley refused ID` (its words, ready to send again); forget it with `galley refused ID --dismiss`.")) }
        }
    }
}
