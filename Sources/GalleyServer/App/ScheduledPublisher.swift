import Foundation
import GalleyCore
import GalleyStore
import Logging
import ServiceLifecycle

/// Publishes scheduled articles when their time comes. It checks once at start-up (so an
/// article due while the server was down goes out at once) and then sleeps until the next one
/// is due, waking at least every `interval` to notice new schedules.
public struct ScheduledPublisher: Service {
    let environment: ServerEnvironment
    let logger: Logger
    var interval: Duration = .seconds(30)

    public init(environment: ServerEnvironment, logger: Logger) {
        self.environment = environment
        self.logger = logger
    }

    /// One round: publish what is due now. Returns the ids published.
    @discardableResult
    public func tick() async throws -> [ArticleID] {
        let published = try await environment.archive.publishDue(now: environment.now)
        for id in published { logger.info("published on schedule", metadata: ["article": "\(id)"]) }
        return published
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await tick()
                } catch {
                    logger.error("scheduled publishing failed; will retry", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                }
                var wait = interval
                if let next = try? await environment.archive.nextScheduled() {
                    let seconds = max(0.2, next.timeIntervalSince(environment.now))
                    wait = min(wait, .milliseconds(Int64(seconds * 1000)))
                }
                do {
                    try await Task.sleep(for: wait)
                } catch {
                    return  // shutting down
                }
            }
        }
    }
}
