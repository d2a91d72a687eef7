import GalleyCore
import GalleyStore
import Hummingbird

/// The per-request context: Hummingbird's core storage plus the authenticated user, if any.
public struct GalleyRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the authentication middleware from the bearer token.
    public var user: StoredUser?

    public init(source: Source) {
        coreContext = .init(source: source)
    }
}
