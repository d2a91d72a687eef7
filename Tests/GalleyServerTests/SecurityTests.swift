import Foundation
import GalleyTestSupport
import GalleyCore
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import GalleyServer

/// Secrets stay secret, analysts see nothing of others' drafts, and a backup taken under load
/// holds everything acknowledged before it began.
@Suite struct SecurityTests {
    /// Keeps every log line, with its metadata, for inspection.
    final class LogStore: Sendable {
        let lines = Mutex<[String]>([])
        var all: String { lines.withLock { $0.joined(separator: "\n") } }
    }

    struct CapturingHandler: LogHandler {
        let store: LogStore
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
            let all = metadata.merging(explicit ?? [:]) { $1 }
            store.lines.withLock { $0.append("\(level) \(message) \(all)") }
        }
    }

    @Test(arguments: Backend.all) func passwordsAndTokensNeverReachLogsErrorsOrTheAuditLog(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        let store = LogStore()
        let logger = Logger(label: "test") { _ in CapturingHandler(store: store) }
        let app = try buildApplication(environment: fixture.environment, logger: logger)
        let (replies, token) = try await app.test(.router) { client in
            var replies = ""
            let token = try await client.login("anna")
            let wrong = try await client.call(.post, "/v1/sessions", json: ["name": "anna", "password": "hunter2-wrong-secret"])
            replies += wrong.text
            let tampered = try await client.call(.get, "/v1/me", token: token + "zz")
            replies += tampered.text
            let admin = try await client.login("admin")
            let created = try await client.call(.post, "/v1/users", token: admin, json: ["name": "newbie", "role": "analyst", "password": "newbie-secret-password"])
            replies += created.text
            let tooShort = try await client.call(.post, "/v1/users", token: admin, json: ["name": "x", "role": "analyst", "password": "short-pw"])
            replies += tooShort.text
            _ = try await client.call(.get, "/v1/articles", token: token)
            let audit = try await client.call(.get, "/v1/audit", token: admin)
            replies += audit.text
            return (replies, token)
        }
        let logs = store.all
        #expect(logs.contains("request"), "requests are logged")
        for secret in ["password-anna", "hunter2-wrong-secret", "newbie-secret-password", "short-pw", token, "password-admin"] {
            #expect(!logs.contains(secret), "a secret reached the log")
            #expect(!replies.contains(secret), "a secret was echoed in a reply")
        }
        // Tokens are stored only as hashes.
        let hash = Passwords.tokenHash(token)
        #expect(try await fixture.archive.session(tokenHash: hash) != nil)
        #expect(try await fixture.archive.session(tokenHash: token) == nil)
    }

    @Test(arguments: Backend.all) func analystsSeeNothingOfOthersDraftsInPullSearchOrConflicts(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        try await fixture.app().test(.router) { client in
            let anna = try await client.login("anna")
            let boris = try await client.login("boris")
            let erik = try await client.login("erik")
            var draft = Make.create("SECRETTITLE of Anna", body: "SECRETBODY words.\n", by: "anna", at: fixture.environment.now)
            draft.authors = SetEdit(add: ["erik"])
            _ = try await client.push([draft], token: anna)
            // A conflict on Anna's draft between Anna and the editor.
            let article = try await client.article(draft.articleID, token: anna)
            let a = Make.edit(article, by: "anna", at: fixture.environment.now) { _ in "SECRETBODY from Anna.\n" }
            let e = Make.edit(article, by: "erik", at: fixture.environment.now) { _ in "SECRETBODY from Erik.\n" }
            _ = try await client.push([a], token: anna)
            _ = try await client.push([e], token: erik)
            // Boris, another analyst: nothing in pull, search, lists, article or conflicts.
            let (page, _) = try await client.pullAll(token: boris)
            #expect(page.articles.isEmpty && page.conflicts.isEmpty && page.notes.isEmpty)
            for path in ["/v1/search?q=SECRETTITLE", "/v1/search?q=SECRETBODY", "/v1/articles", "/v1/articles?author=anna",
                         "/v1/articles/\(draft.articleID)", "/v1/articles/\(draft.articleID)/revisions", "/v1/review-queue"] {
                let reply = try await client.call(.get, path, token: boris)
                #expect(!reply.text.contains("SECRET"), "\(path) leaked to another analyst")
            }
            // An analyst cannot publish even by pushing the command; the attempt is audited.
            var publish = Change(articleID: draft.articleID, baseRevision: article.headRevision, command: .publish(at: nil), author: "anna", replicaID: UUID(), createdAt: fixture.environment.now)
            publish.author = "erik"  // claims to be the editor
            let result = try await client.push([publish], token: anna)
            #expect(result.first?.status == .rejected && result.first?.error?.code == .notAllowed)
            let audit = try await fixture.archive.audit(limit: 50, before: nil)
            #expect(audit.contains { $0.action == "rejected_publish" && $0.actor == "anna" })
        }
    }

    @Test func aBackupTakenUnderLoadHoldsEverythingAcknowledgedBeforeIt() async throws {
        let dir = Scratch.path("backup-load")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let archive = try SQLiteArchive(path: dir.appendingPathComponent("archive.sqlite").path)
        let now = Timestamp.canonical(Date())
        try await archive.createUser(StoredUser(name: "e", role: .editor, passwordHash: "x", createdAt: now), by: "test")
        try await archive.addCategory(Category(slug: "politics", name: "Politics"), by: "e", at: now)
        let actor = ChangeApplier.Actor(name: "e", role: .editor)
        final class Acknowledged: Sendable { let ids = Mutex<[ChangeID]>([]) }
        let acknowledged = Acknowledged()
        let writers = (0..<4).map { w in
            Task {
                for n in 0..<150 {
                    let change = Make.create("Writer \(w) article \(n)", body: "Body \(n).\n", by: "e", at: now)
                    let result = try await archive.apply([change], by: actor, at: now)
                    guard result.first?.status == .applied else { throw GalleyError(.malformed, "write refused: \(String(describing: result.first?.error))") }
                    acknowledged.ids.withLock { $0.append(change.id) }
                }
            }
        }
        // Start the backup once writes are under way, whatever the machine's speed.
        while acknowledged.ids.withLock({ $0.count }) < 20 { try await Task.sleep(for: .milliseconds(5)) }
        let before = Set(acknowledged.ids.withLock { $0 })
        let backup = dir.appendingPathComponent("backup.sqlite").path
        try await archive.backup(to: backup)
        let after = acknowledged.ids.withLock { $0.count }
        for w in writers { try await w.value }
        #expect(after < 600, "the backup should run while writes are under way")
        let restored = try SQLiteArchive(path: backup)
        #expect(try await restored.integrityCheck() == "ok")
        let stored = try await restored.appliedChangeIDs()
        #expect(before.isSubset(of: stored), "\(before.subtracting(stored).count) acknowledged changes are missing from the backup")
        #expect(try await restored.epoch() != archive.epoch())
    }
}
