import Foundation
import GalleyCore
import GalleyStore
import Hummingbird
import Logging

/// Reads `Authorization: Bearer <token>` and, when the token belongs to a live session of an
/// enabled user, puts that user in the context. Routes decide for themselves whether they need
/// one (``GalleyRequestContext/requireUser()``): a token that is no good is refused there, with
/// its reason, and nowhere else, so a browser or proxy that sends other credentials still reads
/// the public site, and an old token does not stand in the way of logging in. The token itself
/// is never logged or stored: the archive is asked for its SHA-256.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = GalleyRequestContext
    let environment: ServerEnvironment

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            do {
                let (session, user) = try await authenticate(header, kind: .api)
                context.user = user
                context.tokenHash = session.tokenHash
                context.logger[metadataKey: "user"] = .string(user.name)
            } catch let refusal as GalleyError {
                context.refusedCredentials = refusal
            }
        } else if DeskCookie.applies(to: request.uri.path), let token = request.cookies[DeskCookie.session]?.value {
            // Only the desk reads its cookie: an API call a browser was tricked into sending
            // carries the cookie but is never signed in by it.
            do {
                let (session, user) = try await authenticate(token: token, kind: .desk)
                context.user = user
                context.tokenHash = session.tokenHash
                context.formToken = Passwords.formToken(for: token)
                context.logger[metadataKey: "user"] = .string(user.name)
            } catch let refusal as GalleyError {
                context.refusedCredentials = refusal
            }
        }
        return try await next(request, context)
    }

    func authenticate(_ header: String, kind: StoredSession.Kind) async throws -> (StoredSession, StoredUser) {
        guard header.lowercased().hasPrefix("bearer ") else {
            throw GalleyError(.unauthorized, "Use 'Authorization: Bearer <token>'; get a token from POST /v1/sessions.")
        }
        return try await authenticate(token: String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), kind: kind)
    }

    /// The session of a token, and its user, if both are still good and the session was made
    /// for this way in.
    func authenticate(token: String, kind: StoredSession.Kind) async throws -> (StoredSession, StoredUser) {
        guard let (session, user) = try await environment.archive.session(tokenHash: Passwords.tokenHash(token)) else {
            throw GalleyError(.unauthorized, "The token is not valid (wrong, revoked or from another server). Log in again.")
        }
        guard session.kind == kind else {
            throw GalleyError(
                .unauthorized,
                kind == .api
                    ? "This is the desk's sign-in, not an API token; get a token from POST /v1/sessions."
                    : "This token is the API's, not a desk sign-in; sign in at /desk/login.")
        }
        guard session.expiresAt > environment.now else {
            throw GalleyError(.tokenExpired, "The token expired at \(Timestamp.format(session.expiresAt)). Log in again.")
        }
        guard !user.disabled else {
            throw GalleyError(.userDisabled, "The account '\(user.name)' is disabled; ask an admin.")
        }
        return (session, user)
    }
}

extension GalleyRequestContext {
    /// The logged-in user, or 401.
    func requireUser() throws -> StoredUser {
        guard let user else {
            if let refusedCredentials { throw refusedCredentials }
            throw GalleyError(.unauthorized, "Log in first: POST /v1/sessions gives a bearer token.")
        }
        return user
    }

    /// The logged-in user if their role is at least `role`, else 401/403.
    func requireRole(_ role: Role) throws -> StoredUser {
        let user = try requireUser()
        guard user.role >= role else {
            throw GalleyError(.notAllowed, "This needs the \(role.rawValue) role; your role is \(user.role.rawValue).")
        }
        return user
    }

    var actor: ChangeApplier.Actor? { user.map { ChangeApplier.Actor(name: $0.name, role: $0.role) } }

    func requireActor() throws -> ChangeApplier.Actor {
        let user = try requireUser()
        return ChangeApplier.Actor(name: user.name, role: user.role)
    }
}

/// The hash an unknown user name is checked against, so that it takes as long as a wrong
/// password. (Attempts themselves are counted in the archive: ``ArchiveStore/reserveLoginAttempt(_:limit:window:now:)``.)
actor LoginThrottle {
    private var decoy: String?

    /// A hash of a random password with the server's cost, made once.
    func decoyHash(cost: Int) async -> String {
        if let decoy { return decoy }
        let hash = await Passwords.hash(Passwords.newPassword(), cost: cost)
        decoy = hash
        return hash
    }
}
