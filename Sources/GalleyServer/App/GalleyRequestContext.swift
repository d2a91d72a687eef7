import GalleyCore
import GalleyStore
import Hummingbird

/// The per-request context: Hummingbird's core storage plus the authenticated user, if any.
package struct GalleyRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware from the bearer token.
    package var user: StoredUser?
    /// The SHA-256 of the bearer token of this request's session (for logging out).
    package var tokenHash: String?
    /// Why the credentials the request sent were refused, for a route that needs a user.
    package var refusedCredentials: GalleyError?
    /// On the desk, signed in by its cookie: the token each of its forms must post back (derived
    /// from the session's secret, so another site can neither read nor make it).
    package var formToken: String?
    /// Asked with HEAD, answered as GET (``HeadAsGet``): a handler that writes as a side effect of
    /// reading (notes marked read) writes nothing.
    package var askedWithHead = false

    package init(source: Source) {
        coreContext = .init(source: source)
    }
}
