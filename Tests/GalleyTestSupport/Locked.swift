import Synchronization

/// A value shared between test tasks. `Mutex` cannot be captured by an escaping closure, so
/// tests that hand state to `Task`s share it through this reference instead.
public final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    public init(_ value: Value) { mutex = Mutex(value) }
    public func withLock<R: Sendable>(_ body: (inout sending Value) throws -> sending R) rethrows -> R {
        try mutex.withLock(body)
    }
    public var value: Value { mutex.withLock { $0 } }
}
