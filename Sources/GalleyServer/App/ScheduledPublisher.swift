import Foundation
import GalleyCore
import GalleyStore
import Logging
import Synchronization
import ServiceLifecycle

/// Publishes scheduled articles when their time comes. It checks once at start-up (so an
/// article due while the server was down goes out at once) and then sleeps until the next one
/// is due, waking at least every `interval` to notice new schedules.
///
/// Each attempt is a change with a fresh id the server makes: an id derived from public facts
/// could be claimed by anyone who pushes it first. An attempt the workflow refuses (an open
/// conflict, say) is written down where editors and authors see it, a note on the article and
/// the audit log, and tried again when the article changes, or after a growing pause (one
/// minute, doubling to an hour), never in a busy loop.
package struct ScheduledPublisher: Service {
    let environment: ServerEnvironment
    let logger: Logger
    var interval: Duration = .seconds(30)
    private let failures = Failures()

    /// The failed attempts, shared by copies of this value.
    final class Failures: Sendable {
        private let state = Mutex<[ArticleID: Failure]>([:])
        func withLock<T>(_ body: (inout [ArticleID: Failure]) -> T) -> T { state.withLock { body(&$0) } }
    }

    struct Failure: Sendable {
        /// The article's latest event when the attempt failed: a later one means it changed.
        var seq: Int64
        var retryAt: Date
        var pause: TimeInterval
    }

    static let firstPause: TimeInterval = 60
    static let longestPause: TimeInterval = 3600
    static let actor = ChangeApplier.Actor(name: "scheduler", role: .admin)

    package init(environment: ServerEnvironment, logger: Logger) {
        self.environment = environment
        self.logger = logger
    }

    /// One round: publish what is due now. Returns the ids published. Several servers on one
    /// archive take turns; one that finds another server publishing leaves the round to it.
    @discardableResult
    package func tick() async throws -> [ArticleID] {
        try await environment.archive.exclusively { try await publishDue() } ?? []
    }

    private func publishDue() async throws -> [ArticleID] {
        let now = environment.now
        var published: [ArticleID] = []
        for (id, seq) in try await environment.archive.dueScheduled(now: now) {
            if let failure = failures.withLock({ $0[id] }), failure.seq == seq, failure.retryAt > now { continue }
            guard let article = try await environment.archive.article(id) else { continue }
            let change = ServerRequest.transition(.publish(at: nil)).change(on: article, by: Self.actor.name, from: .scheduler, at: now)
            let result = try await environment.archive.apply([change], by: Self.actor, at: now)[0]
            if result.status != .rejected {
                failures.withLock { _ = $0.removeValue(forKey: id) }
                published.append(id)
                logger.info("published on schedule", metadata: ["article": "\(id)"])
                continue
            }
            try await recordFailure(article, reason: result.error?.message ?? "the workflow refused it", now: now)
        }
        return published
    }

    private func recordFailure(_ article: Article, reason: String, now: Date) async throws {
        let scheduled = article.scheduledAt.map(Timestamp.format) ?? "its time"
        logger.warning("scheduled publishing refused", metadata: ["article": "\(article.id)", "reason": "\(reason)"])
        // One note per reason: a retry that fails the same way says nothing new.
        let text = "Publishing on schedule (\(scheduled)) did not happen: \(reason) It is tried again when the article changes."
        let last = try await environment.archive.notes(of: article.id).last { $0.author == Self.actor.name }
        if last?.text != text {
            let note = ServerRequest.note(text).change(on: article, by: Self.actor.name, from: .scheduler, at: now)
            _ = try await environment.archive.apply([note], by: Self.actor, at: now)
        }
        let seq = try await environment.archive.sequence(of: article.id) ?? 0
        failures.withLock { failures in
            let pause = failures[article.id].map { min(Self.longestPause, $0.pause * 2) } ?? Self.firstPause
            failures[article.id] = Failure(seq: seq, retryAt: now.addingTimeInterval(pause), pause: pause)
        }
    }

    /// How long to sleep: until the next article is due or a failed one may be retried, at most `interval`.
    func pause() async -> Duration {
        let now = environment.now
        var wake = now.addingTimeInterval(TimeInterval(interval.components.seconds))
        do {
            if let next = try await environment.archive.nextScheduled(after: now) { wake = min(wake, next) }
        } catch {
            // Waking at the interval is still right; the archive's trouble is the log's to tell.
            logger.error("cannot read the next scheduled time", metadata: ["error": "\(error)"])
        }
        if let retry = failures.withLock({ $0.values.map(\.retryAt).min() }) { wake = min(wake, retry) }
        return .milliseconds(Int64(max(200, wake.timeIntervalSince(now) * 1000)))
    }

    package func run() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await tick()
                } catch {
                    logger.error("scheduled publishing failed; will retry", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                }
                do {
                    try await Task.sleep(for: await pause())
                } catch {
                    return  // shutting down
                }
            }
        }
    }
}
