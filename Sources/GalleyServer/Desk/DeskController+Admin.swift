import Foundation
import GalleyCore
import GalleySite
import GalleyStore
import Hummingbird

/// The admin's pages on the desk: users (add, disable, enable), categories, the audit log with
/// filters. The same checks as the API's admin routes (``SessionController``, ``AdminController``).
extension DeskController {
    func addAdminRoutes(to router: some RouterMethods<GalleyRequestContext>) {
        router.get("/desk/admin", use: adminPage)
        router.post("/desk/admin/users", use: addUser)
        router.post("/desk/admin/users/:name/disable") { request, context in try await setDisabled(true, request, context) }
        router.post("/desk/admin/users/:name/enable") { request, context in try await setDisabled(false, request, context) }
        router.post("/desk/admin/users/:name/role", use: setRole)
        router.post("/desk/admin/categories", use: addCategory)
        router.get("/desk/admin/audit", use: auditPage)
    }

    static let adminNotices = ["role": "Role changed; it holds at once, in every session of theirs.", "user": "User added.", "disabled": "User disabled; their sessions have ended.", "enabled": "User enabled.", "category": "Category added."]

    /// The signed-in admin, or why not: nil sends a stranger to sign in; another role is refused.
    func deskAdmin(_ context: GalleyRequestContext) throws -> (StoredUser, DeskRenderer.Viewer)? {
        guard let user = context.user, let formToken = context.formToken else { return nil }
        guard user.role >= .admin else { throw GalleyError(.notAllowed, "Users, categories and the audit log are for admins; your role is \(user.role.rawValue).") }
        return (user, DeskRenderer.Viewer(name: user.name, role: user.role, formToken: formToken))
    }

    func renderAdmin(_ viewer: DeskRenderer.Viewer, status: HTTPResponse.Status = .ok, problem: String? = nil, notice: String? = nil) async throws -> Response {
        let users = try await archive.users().map { DeskRenderer.UserRow(name: $0.name, role: $0.role, createdAt: $0.info.createdAt, disabled: $0.disabled) }
        return page(renderer.adminPage(users: users, categories: try await archive.categories(), viewer: viewer, problem: problem, notice: notice), status: status)
    }

    @Sendable func adminPage(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        guard let (_, viewer) = try deskAdmin(context) else { return redirect(to: "/desk/login") }
        return try await renderAdmin(viewer, notice: try request.uri.form("done").flatMap { Self.adminNotices[$0] })
    }

    /// Checks the form and the admin, runs `body`, and goes back to the admin page saying what
    /// was done; a refusal is shown on the page under its status.
    func adminAction(_ request: Request, _ context: GalleyRequestContext, done: String, _ body: (StoredUser, [String: String]) async throws -> Void) async throws -> Response {
        let form = try await Self.fields(request)
        guard let (admin, viewer) = try deskAdmin(context) else { return redirect(to: "/desk/login") }
        try Self.checkFormToken(form["csrf"], context)
        do {
            try await body(admin, form)
            return redirect(to: "/desk/admin?done=\(done)")
        } catch let refusal as GalleyError {
            return try await renderAdmin(viewer, status: HTTPResponse.Status(code: refusal.code.status), problem: refusal.message)
        }
    }

    @Sendable func addUser(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        try await adminAction(request, context, done: "user") { admin, form in
            guard let raw = form["role"], let role = Role(rawValue: raw) else {
                throw GalleyError(.malformed, "Choose a role: analyst, editor or admin.", field: "role")
            }
            _ = try await SessionController.createUser(
                name: form["name"] ?? "", role: role, password: form["password"] ?? "", by: admin, environment: environment, logger: context.logger)
        }
    }

    func setDisabled(_ disabled: Bool, _ request: Request, _ context: GalleyRequestContext) async throws -> Response {
        try await adminAction(request, context, done: disabled ? "disabled" : "enabled") { admin, _ in
            _ = try await SessionController.setDisabled(disabled, name: try context.parameters.text("name"), by: admin, environment: environment)
        }
    }

    @Sendable func setRole(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        try await adminAction(request, context, done: "role") { admin, form in
            let name = try context.parameters.text("name")
            guard let raw = form["role"], let role = Role(rawValue: raw) else {
                throw GalleyError(.malformed, "Choose a role: analyst, editor or admin.", field: "role")
            }
            _ = try await SessionController.setRole(role, name: name, by: admin, environment: environment)
        }
    }

    @Sendable func addCategory(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        try await adminAction(request, context, done: "category") { admin, form in
            try await archive.addCategory(Category(slug: form["slug"] ?? "", name: form["name"] ?? ""), by: admin.name, at: environment.now)
        }
    }

    /// The audit log, newest first, filtered on who, what and which article. Filters are applied
    /// to the log as it is read, a bounded stretch (5,000 entries) per page, so that a filter
    /// that matches little cannot make one page read the whole log.
    @Sendable func auditPage(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        guard let (_, viewer) = try deskAdmin(context) else { return redirect(to: "/desk/login") }
        let uri = request.uri
        let actor = (try uri.form("actor") ?? "").trimmingCharacters(in: .whitespaces)
        let action = (try uri.form("action") ?? "").trimmingCharacters(in: .whitespaces)
        let article = (try uri.form("article") ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        var before = try uri.form("before") == nil ? nil : Int64(try uri.intQuery("before", default: 0, range: 0...Int(Int64.max / 2)))
        let pageSize = 100
        var shown: [AuditEntry] = []
        var read = 0
        var exhausted = false
        while shown.count < pageSize && read < 5_000 {
            let batch = try await archive.audit(limit: 500, before: before)
            read += batch.count
            for entry in batch {
                before = entry.id
                guard actor.isEmpty || entry.actor.localizedCaseInsensitiveContains(actor),
                    action.isEmpty || entry.action.localizedCaseInsensitiveContains(action),
                    article.isEmpty || entry.articleID?.description.contains(article) == true
                else { continue }
                shown.append(entry)
                if shown.count == pageSize { break }
            }
            if batch.count < 500 { exhausted = true; break }
        }
        var older: String?
        if !exhausted, let before {
            var query = URLComponents()
            query.queryItems = [("actor", actor), ("action", action), ("article", article)].filter { !$0.1.isEmpty }.map { URLQueryItem(name: $0.0, value: $0.1) }
                + [URLQueryItem(name: "before", value: String(before))]
            older = "/desk/admin/audit?" + (query.percentEncodedQuery ?? "")
        }
        return page(renderer.auditPage(entries: shown, filters: (actor, action, article), older: older, viewer: viewer))
    }
}
