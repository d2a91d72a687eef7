import Foundation
import GalleyCore
import GalleyStore
import Hummingbird
import Logging

/// Logging in and out, and the admin's user management.
struct SessionController {
    let environment: ServerEnvironment
    let throttle: LoginThrottle

    func addRoutes(to router: some RouterMethods<GalleyRequestContext>) {
        router.post("/v1/sessions", use: login)
        router.delete("/v1/sessions/current", use: logout)
        router.get("/v1/me", use: me)
        router.get("/v1/users", use: users)
        router.post("/v1/users", use: addUser)
        router.post("/v1/users/:name/disable") { request, context in try await setDisabled(true, context) }
        router.post("/v1/users/:name/enable") { request, context in try await setDisabled(false, context) }
        router.put("/v1/users/:name/role", use: setRole)
    }

    struct NewUser: Decodable {
        var name: String
        var role: Role
        var password: String

        enum CodingKeys: String, CodingKey, CaseIterable { case name, role, password }
        init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            role = try c.decode(Role.self, forKey: .role)
            password = try c.decode(String.self, forKey: .password)
        }
    }

    struct NewRole: Decodable {
        var role: Role

        enum CodingKeys: String, CodingKey, CaseIterable { case role }
        init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(CodingKeys.self)
            role = try decoder.container(keyedBy: CodingKeys.self).decode(Role.self, forKey: .role)
        }
    }

    @Sendable func login(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<SessionReply> {
        var request = request
        let login = try await request.decodeJSON(LoginRequest.self, limit: 64 * 1024)
        let (token, user, expires) = try await Self.signIn(name: login.name, password: login.password, environment: environment, throttle: throttle, logger: context.logger)
        return JSONResponse(SessionReply(token: token, expiresAt: expires, user: user.info), status: .created)
    }

    /// A new session for a name and password, under the rules every way in shares (the API's
    /// bearer tokens and the desk's cookie): one throttle, the same checks, the same refusals.
    static func signIn(
        name: String, password: String, kind: StoredSession.Kind = .api, environment: ServerEnvironment, throttle: LoginThrottle, logger: Logger
    ) async throws -> (token: String, user: StoredUser, expires: Date) {
        let name = AccountRules.canonicalUserName(name)
        let now = environment.now
        // Only a well-formed name can be a user's; any other is refused before it could be
        // counted under a key of its own ("anna\0x" is not anna, and never logs in as her).
        try AccountRules.checkUserName(name)
        try TextRules.check(password, field: "password", kind: .secret)
        // The attempt is counted before the password is checked, in the archive, so that
        // concurrent guesses, and guesses spread over several servers, all count.
        let limit = environment.configuration.loginAttemptsPerMinute
        if let wait = try await environment.archive.reserveLoginAttempt(name, limit: limit, window: 60, now: now) {
            throw GalleyError(.tooManyAttempts, "Too many login attempts for '\(name)'; try again in \(wait) seconds.", retryAfter: wait)
        }
        let user = try await environment.archive.user(named: name)
        // An unknown name is checked against a decoy hash, so it takes as long as a wrong password.
        let hash = if let user { user.passwordHash } else { await throttle.decoyHash(cost: environment.configuration.bcryptCost) }
        // bcrypt reads 72 bytes: a longer password would be checked as its beginning.
        let ok = await Passwords.verify(password, hash: hash) && password.utf8.count <= AccountRules.passwordBytes.upperBound
        guard let user, ok else {
            logger.notice("failed login", metadata: ["name": "\(name)"])
            throw GalleyError(.wrongCredentials, "Wrong user name or password.")
        }
        guard !user.disabled else {
            throw GalleyError(.userDisabled, "The account '\(user.name)' is disabled; ask an admin.")
        }
        try await environment.archive.clearLoginAttempts(name)
        let token = Passwords.newToken()
        let expires = now.addingTimeInterval(Self.lifetime(of: kind, environment.configuration))
        try await environment.archive.createSession(
            StoredSession(tokenHash: Passwords.tokenHash(token), userName: user.name, createdAt: now, expiresAt: expires, kind: kind))
        return (token, user, expires)
    }

    /// How long a session lasts. The desk's is a working day at most: editors sign in on laptops
    /// that are not theirs, and the CLI's token lives on the analyst's own machine.
    static func lifetime(of kind: StoredSession.Kind, _ configuration: ServerConfiguration) -> TimeInterval {
        let configured = TimeInterval(configuration.tokenTTLDays) * 86_400
        return switch kind {
        case .api: configured
        case .desk: min(configured, 12 * 3600)
        }
    }

    @Sendable func logout(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        _ = try context.requireUser()
        if let hash = context.tokenHash { try await environment.archive.revokeSession(tokenHash: hash, at: environment.now) }
        return Response(status: .noContent)
    }

    @Sendable func me(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<UserInfo> {
        JSONResponse(try context.requireUser().info)
    }

    @Sendable func users(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<[UserInfo]> {
        _ = try context.requireRole(.admin)
        return JSONResponse(try await environment.archive.users().map(\.info))
    }

    @Sendable func addUser(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<UserInfo> {
        let admin = try context.requireRole(.admin)
        var request = request
        let new = try await request.decodeJSON(NewUser.self, limit: 64 * 1024)
        let user = try await Self.createUser(name: new.name, role: new.role, password: new.password, by: admin, environment: environment, logger: context.logger)
        return JSONResponse(user.info, status: .created)
    }

    /// A new user, under the rules every way of adding one shares (the API and the desk).
    static func createUser(
        name: String, role: Role, password: String, by admin: StoredUser, environment: ServerEnvironment, logger: Logger
    ) async throws -> StoredUser {
        let name = AccountRules.canonicalUserName(name)
        try AccountRules.checkNewUserName(name)
        try AccountRules.checkPassword(password)
        let hash = await Passwords.hash(password, cost: environment.configuration.bcryptCost)
        let user = StoredUser(name: name, role: role, passwordHash: hash, createdAt: environment.now)
        try await environment.archive.createUser(user, by: admin.name)
        logger.info("user created", metadata: ["by": "\(admin.name)", "name": "\(user.name)"])
        return user
    }

    func setDisabled(_ disabled: Bool, _ context: GalleyRequestContext) async throws -> JSONResponse<UserInfo> {
        let admin = try context.requireRole(.admin)
        return JSONResponse(try await Self.setDisabled(disabled, name: try context.parameters.text("name"), by: admin, environment: environment).info)
    }

    @Sendable func setRole(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<UserInfo> {
        let admin = try context.requireRole(.admin)
        var request = request
        let new = try await request.decodeJSON(NewRole.self, limit: 4 * 1024)
        return JSONResponse(try await Self.setRole(new.role, name: try context.parameters.text("name"), by: admin, environment: environment).info)
    }

    /// Gives a user another role, at once in every session of theirs; nobody changes their own:
    /// an admin who could demote themselves could leave the archive with no admin at all.
    static func setRole(_ role: Role, name: String, by admin: StoredUser, environment: ServerEnvironment) async throws -> StoredUser {
        guard name != admin.name else { throw GalleyError(.invalidTransition, "You cannot change your own role; another admin can.") }
        try await environment.archive.setRole(name, role, by: admin.name, at: environment.now)
        guard let user = try await environment.archive.user(named: name) else {
            throw GalleyError(.notFound, "There is no user named '\(name)'.")
        }
        return user
    }

    /// Disables (ending every session of theirs) or enables a user; nobody disables themselves.
    static func setDisabled(_ disabled: Bool, name: String, by admin: StoredUser, environment: ServerEnvironment) async throws -> StoredUser {
        guard name != admin.name || !disabled else {
            throw GalleyError(.invalidTransition, "You cannot disable your own account.")
        }
        guard try await environment.archive.user(named: name) != nil else {
            throw GalleyError(.notFound, "There is no user named '\(name)'.")
        }
        try await environment.archive.setDisabled(name, disabled, by: admin.name, at: environment.now)
        guard let user = try await environment.archive.user(named: name) else {
            throw GalleyError(.notFound, "There is no user named '\(name)'.")
        }
        return user
    }
}
