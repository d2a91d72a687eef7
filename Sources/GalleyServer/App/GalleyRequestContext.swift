import GalleyCore
import GalleyStore
import Hummingbird

/// The per-request context: Hummingbird's core storage plus the authenticated user, if any.
public struct GalleyRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware from the bearer token.
    public var user: StoredUser?
    /// The SHA-256 of the bearer token of this request's session (for logging out).
    public var tokenHash: String?

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
