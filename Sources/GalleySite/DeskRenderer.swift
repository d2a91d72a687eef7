import Foundation
import GalleyCore
import Mustache

/// Renders the editors' desk (`/desk`): sign-in and the review queue. Server-rendered, no
/// script; the same escaping as the public site (``ScalarHTML``).
package struct DeskRenderer: Sendable {
    package var siteName: String
    package var timeZone: TimeZone
    private let library: MustacheLibrary

    package init(siteName: String, timeZone: TimeZone) throws {
        self.siteName = siteName
        self.timeZone = timeZone
        MustacheContentTypes.register(ScalarHTML(), named: "GALLEY_HTML")
        var library = MustacheLibrary()
        for (name, bytes) in [
            ("desk-layout", PackageResources.desk_layout_mustache), ("desk-login", PackageResources.desk_login_mustache),
            ("desk-queue", PackageResources.desk_queue_mustache), ("desk-article", PackageResources.desk_article_mustache), ("desk-error", PackageResources.desk_error_mustache),
            ("desk-admin", PackageResources.desk_admin_mustache), ("desk-audit", PackageResources.desk_audit_mustache),
        ] {
            try library.register(String(decoding: bytes, as: UTF8.self), named: name)
        }
        self.library = library
    }

    package static var stylesheet: String { String(decoding: PackageResources.desk_css, as: UTF8.self) }

    /// Who is signed in, as the desk's header shows them, with the token every form posts.
    package struct Viewer: Sendable {
        package var name: String
        package var role: Role
        package var formToken: String

        package init(name: String, role: Role, formToken: String) {
            self.name = name
            self.role = role
            self.formToken = formToken
        }
    }

    /// "Dec 03, 2026 14:05 (Europe/Minsk)": the desk names the zone, since editors schedule in it.
    package func shown(_ date: Date) -> String { "\(ShownTime(timeZone: timeZone)(date)) (\(timeZone.identifier))" }

    /// Every key the layout reads, set (a missing key would be looked up in an outer context).
    func page(title: String, viewer: Viewer?, notice: String?) -> [String: Any] {
        [
            "pageTitle": title, "siteName": siteName, "notice": notice ?? false,
            "user": viewer.map { ["name": $0.name, "role": $0.role.rawValue, "formToken": $0.formToken, "isAdmin": $0.role >= .admin] as [String: Any] } ?? false,
        ]
    }

    /// An error under `/desk`: the desk's own page, leading back to the desk, not the site's.
    package func errorPage(status: Int, detail: String) -> String {
        let heading = status == 404 ? "Not found" : status >= 500 ? "Something went wrong" : "This cannot be done"
        var context = page(title: heading, viewer: nil, notice: nil)
        context["heading"] = heading
        context["detail"] = detail
        return library.render(context, withTemplate: "desk-error") ?? ""
    }

    package func loginPage(loginToken: String, name: String = "", error: String? = nil, notice: String? = nil) -> String {
        var context = page(title: "Sign in", viewer: nil, notice: notice)
        context["loginToken"] = loginToken
        context["name"] = name
        context["error"] = error ?? false
        return library.render(context, withTemplate: "desk-login") ?? ""
    }

    /// One line of the queue.
    package struct QueueRow: Sendable {
        package var article: Article
        package var openConflicts: Int
        package var notes: Int
        /// Notes others wrote that the viewer has not opened the article since.
        package var unreadNotes: Int
        /// The time the line is about: submitted (last change), scheduled for, published at.
        package var time: Date

        package init(article: Article, openConflicts: Int, notes: Int, unreadNotes: Int = 0, time: Date) {
            self.article = article
            self.openConflicts = openConflicts
            self.notes = notes
            self.unreadNotes = unreadNotes
            self.time = time
        }
    }

    package struct QueueSection: Sendable {
        package var key: String
        package var title: String
        package var timeHeading: String
        package var empty: String
        package var rows: [QueueRow]
        /// How many the section holds in all, when known (a section shows one page of them).
        package var total: Int?
        /// The address of the section's next page, if there is one.
        package var next: String?

        package init(key: String, title: String, timeHeading: String, empty: String, rows: [QueueRow], total: Int? = nil, next: String? = nil) {
            self.key = key
            self.title = title
            self.timeHeading = timeHeading
            self.empty = empty
            self.rows = rows
            self.total = total
            self.next = next
        }
    }

    package func queuePage(heading: String, sections: [QueueSection], viewer: Viewer, categories: [Category], notice: String? = nil) -> String {
        var context = page(title: heading, viewer: viewer, notice: notice)
        context["heading"] = heading
        context["sections"] = sections.map { section -> [String: Any] in
            [
                "key": section.key, "title": section.title, "timeHeading": section.timeHeading, "empty": section.empty,
                "count": section.total ?? section.rows.count, "hasRows": !section.rows.isEmpty,
                "shown": section.total.map { $0 > section.rows.count } ?? (section.next != nil) ? section.rows.count : false,
                "next": section.next ?? false,
                "rows": section.rows.map { row -> [String: Any] in
                    let a = row.article
                    let category = a.content.category.isEmpty ? "—" : categories.first { $0.slug == a.content.category }?.name ?? a.content.category
                    return [
                        "title": a.content.title.isEmpty ? "(untitled)" : a.content.title,
                        "url": "/desk/articles/\(a.id)",
                        "authors": a.authors.joined(separator: ", "), "category": category,
                        // A published article back in review is a correction: readers still see the live text.
                        "state": a.workflowStatus.state.rawValue.replacingOccurrences(of: "_", with: " ")
                            + (a.workflowStatus.publishedRevision != nil && ![.published, .retracted, .archived].contains(a.workflowStatus.state) ? " (correction to a live article)" : ""),
                        "timeISO": Timestamp.format(row.time), "timeShown": shown(row.time),
                        "conflicts": row.openConflicts > 0 ? row.openConflicts : false, "conflictsPlural": row.openConflicts == 1 ? "" : "s",
                        "notes": row.notes > 0 ? row.notes : false, "notesPlural": row.notes == 1 ? "" : "s",
                        "unread": row.unreadNotes > 0 ? row.unreadNotes : false,
                    ]
                },
            ]
        }
        return library.render(context, withTemplate: "desk-queue") ?? ""
    }

    /// What an editor may do on the review page now; the server decides, the page only shows it.
    package struct Actions: Sendable {
        package var approve = false
        package var requestChanges = false
        package var publish = false
        package var retract = false

        package init() {}
        var any: Bool { approve || requestChanges || publish || retract }
    }

    /// One comparison shown on the review page: a heading and each text field's word diff.
    package struct Comparison: Sendable {
        package var heading: String
        package var fields: [(name: String, segments: [WordDiff.Segment])]

        package init(heading: String, fields: [(name: String, segments: [WordDiff.Segment])]) {
            self.heading = heading
            self.fields = fields
        }
    }

    /// A word diff as HTML a reader without diff syntax can follow: the new text, with what was
    /// removed struck through and what was added marked, in the order they read.
    package static func diffHTML(_ segments: [WordDiff.Segment]) -> String {
        var out = ""
        for segment in segments {
            let text = HTMLSanitizer.escape(segment.text)
            switch segment.kind {
            case .same: out += text
            // Words a screen reader says too: struck-through and marked text sound like any other.
            case .removed: out += "<del><span class=\"sr\">[removed: </span>\(text)<span class=\"sr\">]</span></del>"
            case .added: out += "<ins><span class=\"sr\">[added: </span>\(text)<span class=\"sr\">]</span></ins>"
            }
        }
        return out
    }

    static func diffHTML(_ comparison: Comparison) -> (html: String, unchanged: Bool) {
        let changed = comparison.fields.filter { field in field.segments.contains { $0.kind != .same } }
        guard !changed.isEmpty else { return ("", true) }
        let html = changed.map { field in
            "<strong class=\"field\">\(HTMLSanitizer.escape(field.name))</strong>\n\(diffHTML(field.segments))"
        }.joined(separator: "\n")
        return (html, false)
    }

    /// The review page of one article.
    /// - Parameters:
    ///   - preview: the article as its public page will show it (``SiteRenderer/articleContent(_:categories:)``).
    ///   - problem: why the last action was refused, and what changed since the revision the editor read.
    package func reviewPage(
        article: Article, preview: String, comparisons: [Comparison], merges: [String] = [], conflicts: [Conflict], notes: [ReviewNote],
        unreadNotes: Set<UUID> = [], actions: Actions, viewer: Viewer, problem: String? = nil, since: (RevisionID, [WordDiff.Segment])? = nil, notice: String? = nil
    ) -> String {
        let title = article.content.title.isEmpty ? "(untitled)" : article.content.title
        var context = page(title: title, viewer: viewer, notice: notice)
        context["title"] = title
        context["formToken"] = viewer.formToken
        context["base"] = "/desk/articles/\(article.id)"
        context["revision"] = article.headRevision.hex
        context["revisionShort"] = article.headRevision.short
        context["state"] = article.workflowStatus.state.rawValue.replacingOccurrences(of: "_", with: " ")
        context["authors"] = article.authors.joined(separator: ", ")
        context["scheduledShown"] = article.workflowStatus.state == .scheduled ? article.workflowStatus.scheduledAt.map(shown) ?? false : false
        context["problem"] = problem ?? false
        context["sinceShown"] = since.map { $0.0.short } ?? false
        context["sinceDiff"] = since.map { Self.diffHTML($0.1) }.map { "<div class=\"diff\">\($0)</div>" } ?? false
        context["hasConflicts"] = !conflicts.isEmpty
        context["conflictCount"] = conflicts.count
        context["conflicts"] = conflicts.map { ["field": $0.field.rawValue, "authors": $0.author] }
        context["timeZone"] = timeZone.identifier
        context["actions"] = actions.any
            ? ["canApprove": actions.approve, "canRequestChanges": actions.requestChanges, "canPublish": actions.publish, "canRetract": actions.retract] as [String: Any]
            : false
        let diffs = comparisons.map { comparison -> [String: Any] in
            let (html, unchanged) = Self.diffHTML(comparison)
            return ["heading": comparison.heading, "html": html, "unchanged": unchanged]
        }
        context["diffs"] = diffs
        context["anyChanges"] = diffs.contains { $0["unchanged"] as? Bool == false }
        context["preview"] = preview
        context["hasMerges"] = !merges.isEmpty
        context["merges"] = merges
        context["noteCount"] = notes.count
        context["unreadCount"] = unreadNotes.isEmpty ? false : unreadNotes.count
        context["notes"] = notes.map { note -> [String: Any] in
            let kind: Any = switch note.kind {
            case .comment: false
            case .changesRequested: "requested changes"
            case .retraction: "retracted it"
            }
            return [
                "author": note.author, "text": note.text, "iso": Timestamp.format(note.createdAt), "shown": shown(note.createdAt),
                "kindShown": kind, "revisionShort": note.revision?.short ?? false, "unread": unreadNotes.contains(note.id),
            ]
        }
        return library.render(context, withTemplate: "desk-article") ?? ""
    }

    /// A user as the admin page lists them.
    package struct UserRow: Sendable {
        package var name: String
        package var role: Role
        package var createdAt: Date
        package var disabled: Bool

        package init(name: String, role: Role, createdAt: Date, disabled: Bool) {
            self.name = name
            self.role = role
            self.createdAt = createdAt
            self.disabled = disabled
        }
    }

    package func adminPage(users: [UserRow], categories: [Category], viewer: Viewer, problem: String? = nil, notice: String? = nil) -> String {
        var context = page(title: "Users and categories", viewer: viewer, notice: notice)
        context["formToken"] = viewer.formToken
        context["problem"] = problem ?? false
        var segment = CharacterSet.urlPathAllowed
        segment.remove("/")
        context["users"] = users.map { user -> [String: Any] in
            [
                "name": user.name, "nameURL": user.name.addingPercentEncoding(withAllowedCharacters: segment) ?? user.name,
                "role": user.role.rawValue, "iso": Timestamp.format(user.createdAt), "shown": shown(user.createdAt),
                "disabled": user.disabled, "canToggle": user.name != viewer.name,
                "toggle": user.disabled ? "enable" : "disable", "toggleLabel": user.disabled ? "Enable" : "Disable",
                "roles": Role.allCases.map { ["value": $0.rawValue, "selected": $0 == user.role] },
            ]
        }
        context["categories"] = categories.map { ["name": $0.name, "slug": $0.slug] }
        return library.render(context, withTemplate: "desk-admin") ?? ""
    }

    /// The audit log page: entries matching the filters, newest first, and the address of older ones.
    package func auditPage(entries: [AuditEntry], filters: (actor: String, action: String, article: String), older: String?, viewer: Viewer) -> String {
        var context = page(title: "Audit log", viewer: viewer, notice: nil)
        context["actor"] = filters.actor
        context["action"] = filters.action
        context["article"] = filters.article
        context["hasEntries"] = !entries.isEmpty
        context["older"] = older ?? false
        context["entries"] = entries.map { entry -> [String: Any] in
            [
                "iso": Timestamp.format(entry.at), "shown": shown(entry.at), "who": entry.actor, "what": entry.action,
                "articleURL": entry.articleID.map { "/desk/articles/\($0)" } ?? false, "articleShort": entry.articleID?.short ?? "",
                "detail": entry.detail ?? "",
            ]
        }
        return library.render(context, withTemplate: "desk-audit") ?? ""
    }
}
