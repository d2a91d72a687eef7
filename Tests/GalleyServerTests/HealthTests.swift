import Foundation
import GalleyCore
import GalleyPostgres
import GalleyStore
import GalleyTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import GalleyServer

@Suite struct HealthTests {
    @Test(arguments: Backend.all) func healthzAnswersOKAndNamesTheBackend(backend: Backend) async throws {
        var config = ServerConfiguration()
        config.bcryptCost = 4
        let environment = ServerEnvironment(archive: try await backend.open(), configuration: config)
        let app = try buildApplication(environment: environment, logger: Logger.test)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains("\"ok\""))
                #expect(body.contains(backend == .postgres ? "\"backend\":\"postgresql\"" : "\"backend\":\"sqlite\""), "\(body)")
            }
            try await client.execute(uri: "/no-such-page", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }

    /// On PostgreSQL every server tells, at each scrape, how long the writer's lock has been held
    /// and how many wait for it (a stalled pull cursor's cause); SQLite has one writer and no such line.
    @Test(arguments: Backend.all) func metricsTellTheWriterQueueOnPostgreSQL(backend: Backend) async throws {
        let environment = ServerEnvironment(archive: try await backend.open(), configuration: ServerConfiguration())
        let app = try buildApplication(environment: environment, logger: Logger.test, scheduling: false)
        try await app.test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains("\ngalley_writer_lock_held_seconds 0.0\n") == (backend == .postgres), "\(body)")
                #expect(body.contains("\ngalley_writer_lock_waiting 0\n") == (backend == .postgres), "\(body)")
            }
        }
    }

    /// A database URL that is not PostgreSQL's is refused with what to write; a password in one
    /// never shows in what the server prints of it.
    @Test func theDatabaseURLIsCheckedAndItsPasswordNeverShown() throws {
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.load(file: nil, environment: ["GALLEY_DATABASE_URL": "mysql://galley@db/galley"]) }
        let config = try ServerConfiguration.load(file: nil, environment: ["GALLEY_DATABASE_URL": "postgres://galley:s3cret%21@db.internal:6432/galley?sslmode=require"])
        let url = try DatabaseURL(try #require(config.databaseURL))
        #expect(url.password == "s3cret!" && url.port == 6432 && url.database == "galley" && url.sslmode == "require")
        #expect(!url.description.contains("s3cret"), "\(url)")
        #expect(throws: DatabaseURLError.self) { try DatabaseURL("postgres://galley@db.internal:5432/") }
        #expect(throws: DatabaseURLError.self) { try DatabaseURL("postgres://galley@db.internal/galley?sslmode=maybe") }
    }

    /// A server started on a database nobody answers for exits with a message that says what
    /// to check, and without the password.
    @Test func anUnreachableDatabaseAtStartSaysSo() async throws {
        var config = ServerConfiguration()
        config.databaseURL = "postgres://galley:s3cret@127.0.0.1:\(TestPostgres.freePort())/galley"
        do {
            _ = try await openArchive(config, logger: Logger.test)
            Issue.record("a database that does not answer was opened")
        } catch let error as StartupError {
            #expect(error.description.contains("Cannot reach the PostgreSQL database at postgres://galley:***@127.0.0.1"), "\(error)")
            #expect(!error.description.contains("s3cret"))
        }
    }

    @Test func firstStartCreatesAnAdminOnceWithAnAnnouncedPassword() async throws {
        var config = ServerConfiguration()
        config.bcryptCost = 4
        let archive = try SQLiteArchive.inMemory()
        let environment = ServerEnvironment(archive: archive, configuration: config)
        let said = Mutex<[String]>([])
        try await bootstrapAdmin(environment) { message in said.withLock { $0.append(message) } }
        try await bootstrapAdmin(environment) { message in said.withLock { $0.append(message) } }
        let messages = said.withLock { $0 }
        #expect(messages.count == 1, "the password is announced once, on the first start only")
        let admin = try #require(try await archive.user(named: "admin"))
        #expect(admin.role == .admin)
        let firstLine = try #require(messages.first?.split(separator: "\n").first)
        let password = try #require(firstLine.components(separatedBy: "password: ").last)
        #expect(password.count == 20)
        #expect(await Passwords.verify(password, hash: admin.passwordHash))
        #expect(!admin.passwordHash.contains(password))
    }

    /// Users added with `galley-server user add` before the first start are no admin: the server
    /// still makes one; an admin added that way is kept and no other is made.
    @Test func usersAddedBeforeTheFirstStartStillGetAnAdmin() async throws {
        var config = ServerConfiguration()
        config.bcryptCost = 4
        let archive = try SQLiteArchive.inMemory()
        try await archive.createUser(StoredUser(name: "anna", role: .analyst, passwordHash: "x", createdAt: Date()), by: "galley-server")
        try await bootstrapAdmin(ServerEnvironment(archive: archive, configuration: config)) { _ in }
        #expect(try await archive.user(named: "admin")?.role == .admin)

        let other = try SQLiteArchive.inMemory()
        try await other.createUser(StoredUser(name: "olga", role: .admin, passwordHash: "x", createdAt: Date()), by: "galley-server")
        try await bootstrapAdmin(ServerEnvironment(archive: other, configuration: config)) { _ in Issue.record("announced an admin that was not made") }
        #expect(try await other.user(named: "admin") == nil)
    }

    @Test func adminPasswordCanComeFromTheEnvironment() async throws {
        let config = try ServerConfiguration.load(file: nil, environment: ["GALLEY_ADMIN_PASSWORD": "correct horse", "GALLEY_BCRYPT_COST": "4", "GALLEY_PORT": "9999"])
        #expect(config.port == 9999)
        let archive = try SQLiteArchive.inMemory()
        try await bootstrapAdmin(ServerEnvironment(archive: archive, configuration: config)) { message in
            #expect(!message.contains("correct horse"), "a chosen password is never echoed")
        }
        let admin = try #require(try await archive.user(named: "admin"))
        #expect(await Passwords.verify("correct horse", hash: admin.passwordHash))
    }
}
