import Foundation
import GalleyCore
import GalleySite
import GalleyStore
import Hummingbird
import Logging

/// The desk's cookies. The session cookie holds the same kind of session as an API token (one
/// table, one throttle, revoked and disabled alike); it is sent only to `/desk` and read only
/// there.
enum DeskCookie {
    static let session = "galley_desk"
    /// The sign-in form's own token (double submit): a page of another site cannot post a
    /// sign-in, and so cannot sign an editor into an account of its choosing.
    static let login = "galley_desk_login"

    static func applies(to path: String) -> Bool { path == "/desk" || path.hasPrefix("/desk/") }
}

/// The editors' desk: sign in and out, and the review queue. Server-rendered pages that work
/// without script; every form that changes something carries the session's form token.
struct DeskController {
    let environment: ServerEnvironment
    let throttle: LoginThrottle
    let renderer: DeskRenderer
    /// The public site's renderer: the review page shows the article as its public page will.
    let site: SiteRenderer
    var archive: any ArchiveStore { environment.archive }

    init(environment: ServerEnvironment, throttle: LoginThrottle, site: SiteRenderer) throws {
        self.environment = environment
        self.throttle = throttle
        self.site = site
        let config = environment.configuration
        renderer = try DeskRenderer(siteName: config.siteName, timeZone: TimeZone(identifier: config.timeZone) ?? .current)
    }

    func addRoutes(to router: some RouterMethods<GalleyRequestContext>) {
        router.get("/desk", use: queue)
        router.get("/desk/login", use: loginForm)
        router.post("/desk/login", use: login)
        router.post("/desk/logout", use: logout)
        router.get("/desk/desk.css", use: stylesheet)
        addReviewRoutes(to: router)
        addAdminRoutes(to: router)
    }

    /// Cookies go over https only when the server is published at an https address.
    var secure: Bool { environment.configuration.publicURL?.lowercased().hasPrefix("https://") ?? false }

    func cookie(_ name: String, _ value: String, path: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// A desk page: never cached, since it is one person's view of the archive.
    func page(_ html: String, status: HTTPResponse.Status = .ok, cookies: [Cookie] = []) -> Response {
        var response = Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    func redirect(to location: String, cookies: [Cookie] = []) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
        for cookie in cookies { response.setCookie(cookie) }
        return response
    }

    /// The sign-in page, with a fresh form token in its cookie; a session cookie that is no
    /// longer good (expired, revoked, its user disabled) is removed, and the page says why.
    func signInPage(status: HTTPResponse.Status = .ok, name: String = "", error: String? = nil, context: GalleyRequestContext) -> Response {
        let token = Passwords.newToken()
        var cookies = [cookie(DeskCookie.login, token, path: "/desk/login", maxAge: 3600)]
        var notice: String? = nil
        if let refused = context.refusedCredentials {
            cookies.append(cookie(DeskCookie.session, "", path: "/desk", maxAge: 0))
            notice = refused.code == .userDisabled ? refused.message : "Your session ended; sign in again."
        }
        return page(renderer.loginPage(loginToken: token, name: name, error: error, notice: notice), status: status, cookies: cookies)
    }

    // MARK: Handlers

    @Sendable func loginForm(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        // Signed in by the desk's cookie, not merely sent a bearer token (the desk cannot use one).
        if context.formToken != nil { return redirect(to: "/desk") }
        return signInPage(context: context)
    }

    @Sendable func login(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        let form = try await Self.fields(request)
        guard let expected = request.cookies[DeskCookie.login]?.value, let sent = form["csrf"], Passwords.sameToken(expected, sent) else {
            return signInPage(status: .forbidden, name: form["name"] ?? "", error: "The sign-in form had expired or came from another page; sign in again here.", context: context)
        }
        do {
            let (token, _, _) = try await SessionController.signIn(
                name: form["name"] ?? "", password: form["password"] ?? "", kind: .desk, environment: environment, throttle: throttle, logger: context.logger)
            let maxAge = Int(SessionController.lifetime(of: .desk, environment.configuration))
            return redirect(to: "/desk", cookies: [
                cookie(DeskCookie.session, token, path: "/desk", maxAge: maxAge),
                cookie(DeskCookie.login, "", path: "/desk/login", maxAge: 0),
            ])
        } catch let refusal as GalleyError {
            var response = signInPage(status: HTTPResponse.Status(code: refusal.code.status), name: form["name"] ?? "", error: refusal.message, context: context)
            if let wait = refusal.retryAfter { response.headers[.retryAfter] = String(wait) }
            return response
        }
    }

    @Sendable func logout(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        let form = try await Self.fields(request)
        guard context.formToken != nil, let hash = context.tokenHash else { return redirect(to: "/desk/login") }
        try Self.checkFormToken(form["csrf"], context)
        try await archive.revokeSession(tokenHash: hash, at: environment.now)
        return redirect(to: "/desk/login", cookies: [cookie(DeskCookie.session, "", path: "/desk", maxAge: 0)])
    }

    @Sendable func queue(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        guard let user = context.user, let formToken = context.formToken else { return redirect(to: "/desk/login") }
        let actor = ChangeApplier.Actor(name: user.name, role: user.role)
        let viewer = DeskRenderer.Viewer(name: user.name, role: user.role, formToken: formToken)
        let categories = try await archive.categories()
        var sections: [DeskRenderer.QueueSection] = []
        if actor.role.canReview {
            for (key, state, title, timeHeading, empty) in [
                ("waiting", ArticleState.submitted, "Waiting for review", "Last change", "Nothing is waiting for review."),
                ("sent-back", .changesRequested, "Sent back to the author", "Last change", "No article waits on its author."),
                ("approved", .approved, "Approved, not yet published", "Approved", "No approved article waits to be published."),
                ("scheduled", .scheduled, "Scheduled", "Publishes at", "Nothing is scheduled."),
            ] {
                // Oldest first: who has waited longest comes first, and a long queue pages on.
                var query = ArticleQuery(state: state, viewer: actor, limit: Self.queuePage)
                query.oldestFirst = true
                query.afterSeq = try Self.cursor(request, key)
                var section = try await self.section(query, key: key, title: title, timeHeading: timeHeading, empty: empty) {
                    state == .scheduled ? $0.workflowStatus.scheduledAt ?? $0.updatedAt : $0.updatedAt
                }
                section.total = try await archive.count(state: state)
                if state == .scheduled { section.rows.sort { $0.time < $1.time } }
                sections.append(section)
            }
        } else {
            var query = ArticleQuery(author: user.name, viewer: actor, limit: Self.queuePage)
            query.beforeSeq = try Self.cursor(request, "mine")
            sections = [
                try await section(
                    query, key: "mine", title: "Your articles", timeHeading: "Last change",
                    empty: "You have no articles yet; write one with galley new, then galley sync.", time: \.updatedAt)
            ]
        }
        let heading = actor.role.canReview ? "Review queue" : "Your articles"
        return page(renderer.queuePage(heading: heading, sections: sections, viewer: viewer, categories: categories))
    }

    @Sendable func stylesheet(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
            body: .init(byteBuffer: ByteBuffer(string: DeskRenderer.stylesheet)))
    }

    // MARK: Steps

    /// How many lines a section of the queue shows at once.
    static let queuePage = 200

    /// Where a section of the queue starts (`?waiting=SEQ`): a page of it past the first.
    static func cursor(_ request: Request, _ key: String) throws -> Int64? {
        guard try request.uri.form(key) != nil else { return nil }
        return Int64(try request.uri.intQuery(key, default: 0, range: 0...Int(Int64.max / 2)))
    }

    /// One section of the queue: a page of a query's articles, each with its open conflicts and
    /// notes, read and unread, and the address of the next page.
    func section(
        _ query: ArticleQuery, key: String, title: String, timeHeading: String, empty: String, time: (Article) -> Date
    ) async throws -> DeskRenderer.QueueSection {
        let page = try await archive.articles(query)
        let attention = try await archive.attention(of: page.articles.map(\.id), for: query.viewer?.name ?? "")
        let rows = page.articles.map { article in
            let seen = attention[article.id] ?? Attention()
            return DeskRenderer.QueueRow(
                article: article, openConflicts: seen.openConflicts, notes: seen.notes, unreadNotes: seen.unreadNotes, time: time(article))
        }
        return .init(key: key, title: title, timeHeading: timeHeading, empty: empty, rows: rows, next: page.next.map { "/desk?\(key)=\($0)#\(key)" })
    }

    /// A form post's fields, as a page's form sends them (`application/x-www-form-urlencoded`,
    /// UTF-8). Read strictly: a field twice, or an escape that is not UTF-8, is refused rather
    /// than guessed at (one value chosen, or U+FFFD stored in its place). A form that a page of
    /// another site posted is refused before it is read.
    static func fields(_ request: Request) async throws -> [String: String] {
        // Browsers say where a post comes from. A sibling subdomain is "same-site": it can plant
        // cookies for this host (the sign-in form's double-submit token among them), so only this
        // origin's own pages may post.
        if let site = request.headers[secFetchSite]?.lowercased(), !["same-origin", "none"].contains(site) {
            throw GalleyError(.notAllowed, "This form was posted from a page of another site; sign in and use the desk's own pages.")
        }
        let mediaType = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/x-www-form-urlencoded" else {
            throw GalleyError(.badRequest, "Desk forms are posted as application/x-www-form-urlencoded, as a browser's form sends them.")
        }
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let text = String(validating: body.readableBytesView, as: UTF8.self) else {
            throw GalleyError(.malformed, "The form is not UTF-8.")
        }
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
                let value = (parts.count > 1 ? String(parts[1]) : "").replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            else {
                throw GalleyError(.malformed, "The form holds an escape (%XX) that is not UTF-8.")
            }
            guard fields.updateValue(value, forKey: name) == nil else {
                throw GalleyError(.malformed, "The form holds the field '\(name.prefix(40))' twice.", field: String(name.prefix(40)))
            }
        }
        return fields
    }

    static let secFetchSite = HTTPFields.Element.Name("Sec-Fetch-Site")!

    /// A form that changes something must carry the session's form token: a post from another
    /// site (or one forged without the page) is refused.
    static func checkFormToken(_ sent: String?, _ context: GalleyRequestContext) throws {
        guard let expected = context.formToken, let sent, Passwords.sameToken(expected, sent) else {
            throw GalleyError(.notAllowed, "This form did not come from your desk page (its form token is missing or wrong); reload the page and try again.")
        }
    }
}
