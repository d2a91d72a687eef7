import Foundation
import GalleyCore
import GalleyStore

extension GalleyApp {
    /// A workflow step, recorded offline and sent on the next sync. The rules are checked here
    /// first (an analyst hears at once that only editors publish); the server checks again.
    @discardableResult
    package func command(_ command: WorkflowCommand, on article: Article) throws -> Article {
        var change = try change(for: article)
        change.command = command
        return try record(change)
    }

    package func submit(_ article: Article) throws -> Article { try command(.submit, on: article) }

    /// Approves the revision the editor is looking at: the article's current head here.
    package func approve(_ article: Article) throws -> Article { try command(.approve(revision: article.headRevision), on: article) }

    package func requestChanges(_ article: Article, message: String) throws -> Article {
        try command(.requestChanges(message: message), on: article)
    }

    package func publish(_ article: Article, at: Date? = nil) throws -> Article { try command(.publish(at: at), on: article) }

    package func retract(_ article: Article, message: String) throws -> Article { try command(.retract(message: message), on: article) }

    package func archive(_ article: Article) throws -> Article { try command(.archive, on: article) }

    package func reopen(_ article: Article) throws -> Article { try command(.reopen, on: article) }

    package func note(_ article: Article, text: String) throws {
        var change = try change(for: article)
        change.note = .init(text: text)
        try record(change)
    }

    /// `galley review`: submitted articles, oldest first.
    package func reviewQueue() throws -> [ArticleView] {
        try list(state: .submitted).views.reversed()
    }

    // MARK: Conflicts

    package func conflicts() throws -> [Conflict] { try replica.openConflicts() }

    package func conflicts(of article: Article) throws -> [Conflict] { try replica.conflicts(of: article.id) }

    package enum Side: String, Sendable, CaseIterable { case ours, theirs }

    /// The marked text of a conflict as this workspace sees it (ours = this workspace's side).
    package func marked(_ conflict: Conflict) throws -> String { conflict.marked(for: try replica.actor().name) }

    /// The lines of a marked conflict a person needs to see it: the markers, what is between
    /// them, and `context` lines around; other stretches shown as one "…" line. Past `limit`
    /// lines the rest is left out, and `omitted` says how many lines that was.
    package static func excerpt(of marked: String, context: Int = 2, limit: Int = 40) -> (lines: [String], omitted: Int) {
        let all = marked.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var near = [Bool](repeating: false, count: all.count)
        var inside = false
        for (k, line) in all.enumerated() {
            let marker = line.hasPrefix("<<<<<<<") || line.hasPrefix("=======") || line.hasPrefix(">>>>>>>")
            if line.hasPrefix("<<<<<<<") { inside = true }
            if marker || inside {
                for j in max(0, k - context)...min(all.count - 1, k + context) { near[j] = true }
            }
            if line.hasPrefix(">>>>>>>") { inside = false }
        }
        var lines: [String] = []
        var skipped = false
        for (k, line) in all.enumerated() {
            if near[k] {
                lines.append(line)
                skipped = false
            } else if !skipped {
                lines.append("…")
                skipped = true
            }
        }
        while lines.last == "" || lines.last == "…" { lines.removeLast() }
        guard lines.count > limit else { return (lines, 0) }
        return (Array(lines.prefix(limit)), lines.count - limit)
    }

    /// A conflict as `galley conflicts --json` gives it: as stored (`ours` is what the article
    /// kept), and as this workspace sees it (`workspace.ours` is this workspace's side, the one
    /// `--take ours` means).
    package struct ConflictView: Encodable, Sendable {
        package var conflict: Conflict
        package var sides: Conflict.Sides

        enum Keys: String, CodingKey { case workspace }
        enum SideKeys: String, CodingKey { case ours, theirs, oursIsInArticle, oursLabel, theirsLabel }

        package func encode(to encoder: any Encoder) throws {
            try conflict.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            var workspace = container.nestedContainer(keyedBy: SideKeys.self, forKey: .workspace)
            try workspace.encode(sides.ours, forKey: .ours)
            try workspace.encode(sides.theirs, forKey: .theirs)
            try workspace.encode(sides.oursIsInArticle, forKey: .oursIsInArticle)
            try workspace.encode(sides.oursLabel, forKey: .oursLabel)
            try workspace.encode(sides.theirsLabel, forKey: .theirsLabel)
        }
    }

    package func conflictViews() throws -> [ConflictView] {
        let me = try replica.actor().name
        return try conflicts().map { ConflictView(conflict: $0, sides: $0.sides(for: me)) }
    }

    /// The sides of a conflict as this workspace sees them.
    package func sides(_ conflict: Conflict) throws -> Conflict.Sides { conflict.sides(for: try replica.actor().name) }

    /// Settles the open conflicts of an article: by taking a side, or with edited text.
    ///
    /// - Parameters:
    ///   - take: `ours` is this workspace's side: what you pushed, when the conflict is about
    ///     your change, else what the article has; `theirs` is the other side
    ///     (``Conflict/sides(for:)``). Of a text, what `galley conflicts` shows is taken: the two
    ///     sides merged, each conflict settled for that side (as `git merge-file --ours` does), so
    ///     that an edit of the other side shown merged outside the markers is not dropped.
    ///   - text: the resolved text of the conflicted field (from a file or the editor).
    package func resolve(_ article: Article, take: Side? = nil, text: String? = nil, field: ContentField? = nil) throws -> Article {
        let open = try replica.conflicts(of: article.id).filter { field == nil || $0.field == field }
        guard !open.isEmpty else {
            throw GalleyError(.notFound, "Article \(article.id.short) has no open conflicts\(field.map { " in \($0.rawValue)" } ?? "").")
        }
        var change = try change(for: article)
        change.resolves = open.map(\.id)
        if let text {
            let fields = Set(open.map(\.field))
            guard fields.count == 1, let only = fields.first, only != .deletion else {
                throw GalleyError(.ambiguousID, "Article \(article.id.short) has conflicts in \(fields.map(\.rawValue).sorted().joined(separator: ", ")); resolve one field at a time with --field.")
            }
            guard !text.contains("<<<<<<<") && !text.contains(">>>>>>>") else {
                throw GalleyError(.malformed, "The text still has conflict markers (<<<<<<< … >>>>>>>); choose between the sides and remove the markers.")
            }
            change.set(only, to: text, from: article.content)
        } else if let take {
            let me = try replica.actor().name
            var wordMerged: [(ContentField, [Int])] = []
            for conflict in open {
                let sides = conflict.sides(for: me)
                if conflict.field == .deletion {
                    // Taking the side the article already has (kept) changes nothing.
                    if (take == .ours) != sides.oursIsInArticle { change.delete = true }
                    continue
                }
                var chosen = take == .ours ? sides.ours : sides.theirs
                if conflict.field.isText {
                    let merged = TextMerge.merge(
                        base: conflict.base, ours: sides.ours, theirs: sides.theirs, options: .init(favor: take == .ours ? .ours : .theirs))
                    chosen = merged.markedText
                    if !merged.wordMergedParagraphs.isEmpty { wordMerged.append((conflict.field, merged.wordMergedParagraphs)) }
                }
                if chosen != article.content[text: conflict.field] { change.set(conflict.field, to: chosen, from: article.content) }
            }
            // Words of both sides merged in what was taken: the reviewer should read those places
            // as they read any word merge.
            if !wordMerged.isEmpty, change.editsContent {
                let places = wordMerged.map { field, paragraphs in "\(field.rawValue) (paragraph\(paragraphs.count == 1 ? "" : "s") \(paragraphs.map(String.init).joined(separator: ", ")))" }
                change.note = .init(text: "Settled a conflict with --take \(take.rawValue), keeping words of both sides that Galley merged: \(places.joined(separator: ", ")). Read those places before approving.")
            }
        }
        return try record(change)
    }
}

extension GalleyApp {
    /// A change the server refused, kept with its text.
    package struct Refusal: Sendable {
        package var change: Change
        package var code: String
        package var message: String
        package var at: Date
    }

    /// `galley refused`: the refused changes, oldest first.
    package func refused() throws -> [Refusal] {
        try replica.rejectedChanges().map { Refusal(change: $0.change, code: $0.code, message: $0.message, at: $0.at) }
    }

    /// A refused change, named by the start of its own id or of its article's.
    package func refusal(_ token: String) throws -> Refusal {
        let t = token.lowercased()
        let all = try refused()
        var matches = all.filter { $0.change.id.description.hasPrefix(t) }
        if matches.isEmpty { matches = all.filter { $0.change.articleID.description.hasPrefix(t) || $0.change.articleID.short.hasPrefix(t) } }
        guard matches.count == 1, let match = matches.first else {
            throw GalleyError(matches.isEmpty ? .notFound : .ambiguousID, matches.isEmpty
                ? "No refused change '\(token)'; `galley refused` lists them (the first column is the change, the second its article)."
                : "'\(token)' names \(matches.count) refused changes; give the start of the change's own id, from `galley refused`.")
        }
        return match
    }

    /// The words of a refused change as a Markdown file with front matter, and the command that
    /// sends them again: the article as this workspace has it with the refused edit on top, or,
    /// for a refused new article, the article it would have made. Nil when the change set no
    /// content (a note or a message: its text is then all there is).
    package func document(of refusal: Refusal) throws -> (document: ArticleDocument, command: String)? {
        let change = refusal.change
        guard change.editsContent else { return nil }
        if let article = try? find(change.articleID.description) {
            return (ArticleDocument(ChangeApplier.apply(change, to: article.content)), "galley edit \(article.id.short) --from FILE.md")
        }
        var content = ChangeApplier.apply(change, to: ArticleContent())
        content.slug = change.set.slug ?? ""
        return (ArticleDocument(content), "galley new --from FILE.md")
    }

    /// `galley refused ID --dismiss`.
    package func dismissRefused(_ token: String) throws -> Refusal {
        let gone = try replica.dismissRejected(try refusal(token).change.id.description)
        return Refusal(change: gone.change, code: gone.code, message: gone.message, at: gone.at)
    }
}
