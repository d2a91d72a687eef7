import ArgumentParser
import Foundation
import GalleyClient
import GalleyCore
import GalleySite

struct New: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "new", abstract: "Create a draft (offline); prints its id.")
    @OptionGroup var options: WorkspaceOptions
    @Option(help: "The title.") var title: String?
    @Option(help: "The lead paragraph.") var lead: String = ""
    @Option(help: "The category (its slug).") var category: String = ""
    @Option(name: .customLong("tag"), help: "A tag (repeat for more).") var tags: [String] = []
    @Option(help: "Read the body (Markdown) from a file ('-' for standard input).") var bodyFile: String?
    @Option(help: "Read title, lead, tags and body from a Markdown file with front matter.") var from: String?
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if from == nil && title == nil { throw ValidationError("Give a --title (or --from FILE.md).") }
        if from != nil && bodyFile != nil { throw ValidationError("Use either --from or --body-file, not both.") }
    }

    func run() async throws {
        try await perform {
            let app = try options.open()
            let article: Article
            if let from {
                let doc = try ArticleDocument.parse(try readText(from), source: from)
                let content = doc.content
                article = try app.newArticle(
                    title: title ?? content.title, lead: lead.isEmpty ? content.lead : lead,
                    category: category.isEmpty ? content.category : category, tags: tags + content.sortedTags, body: content.body)
            } else {
                article = try app.newArticle(title: title ?? "", lead: lead, category: category, tags: tags, body: try bodyFile.map(readText) ?? "")
            }
            if output.json { return try Terminal.json(GalleyApp.ArticleView(article: article, conflicts: [], notes: [])) }
            print(article.id.short)
        }
    }
}

struct Edit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit", abstract: "Edit an article in $EDITOR (Markdown with front matter), or set fields directly.",
        discussion: "Nothing you type is lost: text that cannot be saved is kept in .galley/rescue/.")
    @OptionGroup var options: WorkspaceOptions
    @Argument(help: "The article (id, id prefix or slug).") var id: String
    @Option var title: String?
    @Option var lead: String?
    @Option var category: String?
    @Option var slug: String?
    @Option(help: "The image path or URL.") var image: String?
    @Option(help: "The image credit line.") var credit: String?
    @Option(help: "Read the body from a file ('-' for standard input).") var bodyFile: String?
    @Option(help: "Read the whole article from a Markdown file with front matter (as `galley edit` shows it, or a rescued file).")
    var from: String?

    func validate() throws {
        if from != nil && (bodyFile != nil || title != nil || lead != nil || category != nil || slug != nil || image != nil || credit != nil) {
            throw ValidationError("--from gives the whole article; use it alone, or fields one by one.")
        }
    }

    func run() async throws {
        try await perform {
            let app = try options.open()
            let article = try app.find(id)
            if let from {
                let document = try ArticleDocument.parse(try readText(from), source: from)
                if let saved = try app.save(document, to: article) { print(Terminal.saved(article, saved)) } else { print("No changes.") }
                return
            }
            if title == nil && lead == nil && category == nil && slug == nil && image == nil && credit == nil && bodyFile == nil {
                let session = EditorSession(workspace: app.workspace)
                switch try session.editArticle(article, app: app, reopen: { error, rescue in
                    Terminal.error("\(error.message)\nYour text is kept in \(rescue.path).")
                    return Terminal.ask("Re-open the editor to fix it?")
                }) {
                case .saved(let saved): print(Terminal.saved(article, saved))
                case .unchanged: print("No changes.")
                case .rescued(let url, let error):
                    // The reason was shown when the editor closed; now what to do.
                    throw GalleyError(error.code, "Nothing was saved as a change; your text is in \(url.path). Fix it and run `galley edit \(article.id.short) --from \(url.path)`, or edit again.")
                }
                return
            }
            var doc = ArticleDocument(article.content)
            if let title { doc.title = title }
            if let lead { doc.lead = lead }
            if let category { doc.category = category }
            if let slug { doc.slug = slug }
            if let image { doc.image = image }
            if let credit { doc.imageCredit = credit }
            if let bodyFile { doc.body = try readText(bodyFile) }
            if let saved = try app.save(doc, to: article) { print(Terminal.saved(article, saved)) } else { print("No changes.") }
        }
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an article (from the replica, offline).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Option(help: "Show this revision (an id prefix) instead of the head.") var revision: String?
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await perform {
            let view = try options.open().show(id, revision: revision)
            if output.json { return try Terminal.json(view) }
            let a = view.article
            print(Terminal.bold(a.content.title))
            let state = a.state.rawValue.replacingOccurrences(of: "_", with: " ")
            var meta = ["\(a.id.short)", a.deleted ? "deleted (was \(state))" : state, "by " + a.authors.joined(separator: ", ")]
            if !a.content.category.isEmpty { meta.append(a.content.category) }
            if let published = a.publishedAt { meta.append("published \(Terminal.localTime(published))") }
            print(Terminal.dim(meta.joined(separator: " · ")))
            if !a.content.sortedTags.isEmpty { print(Terminal.dim("#" + a.content.sortedTags.joined(separator: " #"))) }
            print(Terminal.dim("revision \(a.headRevision.short)\(a.publishedRevision.map { $0 == a.headRevision ? " (published)" : "; published \($0.short)" } ?? "")"))
            if !a.content.image.isEmpty { print(Terminal.dim("image \(a.content.image)\(a.content.imageCredit.isEmpty ? "" : " · Image: \(a.content.imageCredit)")")) }
            if !a.content.lead.isEmpty { print("\n" + Terminal.bold(a.content.lead)) }
            print("\n" + a.content.body)
            if !view.conflicts.isEmpty { print(Terminal.red("\(view.conflicts.count) open conflict(s): galley conflicts; galley resolve \(a.id.short)")) }
            for n in view.notes { print(Terminal.dim("— \(n.author), \(Terminal.localTime(n.createdAt)): ") + n.text) }
        }
    }
}

/// How much of a long listing to show.
struct PageOptions: ParsableArguments {
    @Option(help: "Show at most this many (default 50).") var limit: Int = 50
    @Option(help: "Skip this many first (for the next page).") var offset: Int = 0
    @Flag(help: "Show all of them.") var all = false

    func validate() throws {
        if limit < 1 { throw ValidationError("--limit is at least 1 (or use --all).") }
        if offset < 0 { throw ValidationError("--offset cannot be negative.") }
    }

    var count: Int { all ? Int.max : limit }

    /// Prints the listing, then, when it is not all of it, says so and how to see more:
    /// on stdout after the lines, or on stderr when stdout is JSON.
    /// - Parameter words: what follows the options in `command` (a search's words).
    func show(_ listing: GalleyApp.Listing, json: Bool, command: String, words: [String] = [], empty: String) throws {
        if json { try Terminal.json(listing.views) } else {
            if listing.views.isEmpty { print(listing.total == 0 ? empty : "Nothing here: there are \(listing.total) in all; try a smaller --offset.") }
            for v in listing.views { print(Terminal.line(v.article, conflicts: v.conflicts.count)) }
        }
        guard listing.hasMore || listing.offset > 0, !listing.views.isEmpty else { return }
        var note = "Showing \(listing.offset + 1)–\(listing.offset + listing.views.count) of \(listing.total)."
        // The words after the options, and after `--` when one looks like an option (as it
        // had to be typed), so that the command shown runs as it is.
        let trailing = words.isEmpty ? "" : (words.contains { $0.hasPrefix("-") } ? " -- " : " ") + words.joined(separator: " ")
        if listing.hasMore { note += " More: \(command) --offset \(listing.offset + listing.views.count)\(trailing) (or --all)." }
        if json { FileHandle.standardError.write(Data((note + "\n").utf8)) } else { print(Terminal.dim(note)) }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List articles in the replica (offline), newest change first.")
    @OptionGroup var options: WorkspaceOptions
    @Option var state: ArticleState?
    @Option var tag: String?
    @Option var category: String?
    @Flag(help: "Only articles you are an author of.") var mine = false
    @OptionGroup var page: PageOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await perform {
            let listing = try options.open().list(state: state, tag: tag, category: category, mine: mine, limit: page.count, offset: page.offset)
            try page.show(listing, json: output.json, command: "galley list", empty: "No articles.")
        }
    }
}

struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "search", abstract: "Full-text search in the replica (offline), best matches first.")
    @OptionGroup var options: WorkspaceOptions
    @OptionGroup var page: PageOptions
    @OptionGroup var output: OutputOptions
    @Argument(parsing: .remaining) var words: [String]

    func validate() throws { if words.isEmpty { throw ValidationError("Give the words to search for.") } }

    func run() async throws {
        try await perform {
            let query = words.joined(separator: " ")
            let listing = try options.open().search(query, limit: page.count, offset: page.offset)
            try page.show(listing, json: output.json, command: "galley search", words: words, empty: "Nothing found.")
        }
    }
}

struct Tag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Add tags.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Argument var tags: [String]

    func run() async throws {
        try await withArticle(options, id) { app, article in
            let a = try app.tag(article, add: tags)
            print("\(a.id.short): #" + a.content.sortedTags.joined(separator: " #"))
        }
    }
}

struct Untag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "untag", abstract: "Remove tags.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Argument var tags: [String]

    func run() async throws {
        try await withArticle(options, id) { app, article in
            let a = try app.tag(article, remove: tags)
            print("\(a.id.short): " + (a.content.tags.isEmpty ? "no tags" : "#" + a.content.sortedTags.joined(separator: " #")))
        }
    }
}

struct Author: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "author", abstract: "Add or remove co-authors (a co-author has the author's rights).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Option var add: [String] = []
    @Option var remove: [String] = []

    func validate() throws { if add.isEmpty && remove.isEmpty { throw ValidationError("Give --add NAME or --remove NAME.") } }

    func run() async throws {
        try await withArticle(options, id) { app, article in
            let a = try app.authors(article, add: add, remove: remove)
            print("\(a.id.short): by " + a.authors.joined(separator: ", "))
        }
    }
}

struct Log: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "log", abstract: "The history of an article: revisions, workflow steps (submitted, approved by, published) and notes, newest first.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await perform {
            let app = try options.open()
            let article = try app.find(id)
            let entries = try app.log(article)
            if output.json { return try Terminal.json(entries) }
            let blank = String(repeating: " ", count: 8)
            for entry in entries {
                switch entry {
                case .revision(let r):
                    var marks: [String] = []
                    if r.id == article.headRevision { marks.append("head") }
                    if r.id == article.approvedRevision { marks.append("approved") }
                    if r.id == article.publishedRevision { marks.append("published") }
                    if r.parents.count > 1 { marks.append("merge") }
                    print("\(Terminal.yellow(r.id.short))  \(Terminal.localTime(r.createdAt))  \(Terminal.pad(r.author, 10))  \(r.content.title)\(marks.isEmpty ? "" : Terminal.dim("  (" + marks.joined(separator: ", ") + ")"))")
                case .event(let e):
                    let step = e.kind.rawValue.replacingOccurrences(of: "_", with: " ")
                    print("\(blank)  \(Terminal.localTime(e.at))  \(Terminal.pad(e.actor, 10))  \(Terminal.bold(step))\(e.revision.map { " " + $0.short } ?? "")")
                case .note(let n):
                    let text = n.text.split(separator: "\n").first.map(String.init) ?? ""
                    print("\(blank)  \(Terminal.localTime(n.createdAt))  \(Terminal.pad(n.author, 10))  \(Terminal.dim("note: "))\(text.count > 100 ? text.prefix(99) + "…" : text)")
                }
            }
        }
    }
}

struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "A unified diff between revisions (default: head against the last approved one, or the last synced one).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Option var from: String?
    @Option var to: String?

    func run() async throws {
        try await perform {
            let app = try options.open()
            let text = try app.diff(try app.find(id), from: from, to: to)
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("+") && !line.hasPrefix("+++") { print(Terminal.green(String(line))) }
                else if line.hasPrefix("-") && !line.hasPrefix("---") { print(Terminal.red(String(line))) }
                else { print(String(line)) }
            }
        }
    }
}

struct Delete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete an article that was never published.")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String

    func run() async throws {
        try await withArticle(options, id) { app, article in
            try app.delete(article)
            print("Deleted \(article.id.short); the server hears of it on the next sync.")
        }
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write every article as Markdown with front matter (one file per article, named by slug).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var directory: String
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await perform {
            let report = try options.open().export(to: URL(fileURLWithPath: directory))
            if output.json { return try Terminal.json(report) }
            print("Wrote \(report.written.count) file\(report.written.count == 1 ? "" : "s") to \(directory).")
        }
    }
}

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Create drafts from Markdown files with front matter (files or folders).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var paths: [String]
    @OptionGroup var output: OutputOptions

    func run() async throws {
        try await perform {
            let report = try options.open().importFiles(paths)
            if output.json { try Terminal.json(report) } else {
                for c in report.created { print("\(Terminal.yellow(c.id))  \(c.title)  \(Terminal.dim(c.file))") }
                for f in report.failed { Terminal.error("\(f.file): \(f.reason)") }
                print("Imported \(report.created.count), could not take \(report.failed.count).")
            }
            if !report.failed.isEmpty { throw ExitCode(1) }
        }
    }
}

struct Attach: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "attach", abstract: "Attach an image with its credit line (offline; uploaded on the next sync).")
    @OptionGroup var options: WorkspaceOptions
    @Argument var id: String
    @Argument(help: "A JPEG, PNG, WebP or GIF file, at most 10 MiB.") var file: String
    @Option(help: "The credit line, shown as \"Image: …\".") var credit: String

    func run() async throws {
        try await perform {
            let app = try options.open()
            let before = try app.find(id)
            let article = try app.attach(before, imageAt: file, credit: credit)
            print("Attached \(article.content.image) to \(article.id.short); it is uploaded on the next sync.")
            if before.state != article.state { print(Terminal.saved(before, article)) }
        }
    }
}

struct Site: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "site", abstract: "The public site as static files.", subcommands: [Build.self, Preview.self])

    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "preview", abstract: "Render one article as readers would see it published, drafts and unsynced edits included (offline).")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "The article (id prefix or slug).") var id: String
        @Argument(help: "The folder to write.") var directory: String
        @Option(help: "The site's name.") var name = "Galley"

        func run() async throws {
            try await perform {
                let page = try options.open().previewArticle(id, to: URL(fileURLWithPath: directory), siteName: name)
                print("Open \(page.path) in a browser to see the article as it would be published.")
            }
        }
    }

    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "build", abstract: "Render the published articles of this replica into a folder (offline).")
        @OptionGroup var options: WorkspaceOptions
        @Argument(help: "The folder to write.") var directory: String
        @Option(help: "The site's name.") var name = "Galley"
        @Option(help: "The public address, for canonical links and feeds.") var baseURL: String?
        @Option(help: "The category shown under Recent trends.") var trends = "trends"
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await perform {
                let report = try await options.open().buildSite(to: URL(fileURLWithPath: directory), siteName: name, baseURL: baseURL, trendsCategory: trends)
                if output.json { return try Terminal.json(report) }
                print("Wrote \(report.pages) pages for \(Terminal.count(report.articles, "published article")) (\(Terminal.count(report.images, "image"))) to \(directory); open \(directory)/index.html in a browser.")
                if report.missingImages > 0 {
                    Terminal.error("\(report.missingImages) image\(report.missingImages == 1 ? " is" : "s are") not in this workspace and could not be fetched from the server; run `galley site build` again when online.")
                }
            }
        }
    }
}
