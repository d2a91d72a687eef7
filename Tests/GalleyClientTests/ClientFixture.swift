import Foundation
import GalleyTestSupport
import GalleyClient
import GalleyCore
import GalleyPostgres
import GalleyServer
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// A live in-process server on port 0 with users admin, erik (editor), anna and boris
/// (analysts), passwords `password-<name>`, and workspaces for whoever needs one.
struct ClientFixture {
    let archive: any ArchiveStore
    let environment: ServerEnvironment

    /// - Parameter backend: which archive the server keeps; the tests that take it run on each.
    init(_ backend: Backend = .sqlite, configure: (inout ServerConfiguration) -> Void = { _ in }) async throws {
        var config = ServerConfiguration()
        config.bcryptCost = 4
        config.port = 0
        config.dataDir = Scratch.path("data").path
        configure(&config)
        archive = try await backend.open()
        environment = ServerEnvironment(
            archive: archive, media: (archive as? PostgresArchive).map(PostgresMediaStore.init), configuration: config)
        for (name, role) in [("admin", Role.admin), ("erik", .editor), ("anna", .analyst), ("boris", .analyst)] {
            let hash = await Passwords.hash("password-\(name)", cost: 4)
            try await archive.createUser(StoredUser(name: name, role: role, passwordHash: hash, createdAt: Timestamp.canonical(Date())), by: "test")
        }
        try await archive.addCategory(Category(slug: "politics", name: "Politics"), by: "admin", at: Date())
    }

    /// Runs `body` with the server listening; `url` is its address.
    func withServer(_ body: @Sendable (_ url: String) async throws -> Void) async throws {
        let app = try buildApplication(environment: environment, logger: Logger.test)
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(client.port!)")
        }
    }

    /// A new workspace in a temporary folder, logged in as `user`.
    static func workspace(_ user: String, server: String) async throws -> GalleyApp {
        let dir = Scratch.path("ws-\(user)")
        let app = try GalleyApp.initialize(at: dir, server: server)
        _ = try await app.login(user: user, password: "password-\(user)")
        return app
    }
}

extension GalleyApp {
    /// Syncs and expects it to work.
    @discardableResult
    func syncOK() async throws -> SyncEngine.Report {
        let report = try await sync()
        #expect(report.rejected.isEmpty, "refused: \(report.rejected.map(\.message))")
        return report
    }

    func body(_ id: ArticleID) throws -> String { try find(id.description).content.body }
}
