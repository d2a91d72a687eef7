/// The lookups the sync engine makes while it decides (is this slug taken? does this user
/// exist?) cannot throw, because the engine is pure. A storage failure in one must not become an
/// answer ("taken", "no such user"): it is kept here, and the caller throws it once the engine
/// is done, so the change fails as the storage did and nothing is written.
final class LookupFailures {
    private(set) var first: (any Error)?

    /// `body`'s answer; when it throws, or a lookup before it threw, `fallback`, and the error is
    /// kept. The engine's answer is then thrown away, so the fallback only has to end its run
    /// soon (a slug search that asks "taken?" until it hears no).
    func guarding<T>(_ fallback: T, _ body: () throws -> T) -> T {
        guard first == nil else { return fallback }
        do {
            return try body()
        } catch {
            if first == nil { first = error }
            return fallback
        }
    }

    func check() throws {
        if let first { throw first }
    }
}
