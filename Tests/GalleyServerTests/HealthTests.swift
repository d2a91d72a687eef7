import Foundation
import GalleyCore
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import GalleyServer

@Suite struct HealthTests {
    @Test func healthzAnswersOK() async throws {
        var config = ServerConfiguration()
        config.bcryptCost = 4
        let environment = ServerEnvironment(archive: try SQLiteArchive.inMemory(), configuration: config)
        let app = try buildApplication(environment: environment, logger: Logger(label: "test"))
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"ok\""))
            }
            try await client.execute(uri: "/no-such-page", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == "application/problem+json")
            }
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
