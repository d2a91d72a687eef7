import Foundation
import GalleyCore
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@testable import GalleyServer
import GalleyTestSupport

/// The server on a real socket: in process on port 0, and the built `galley-server` binary.
@Suite struct LiveServerTests {
    @Test func theSameFlowWorksOverASocket() async throws {
        let fixture = try await ServerFixture { $0.port = 0 }
        try await fixture.app().test(.live) { client in
            #expect(client.port != nil && client.port != 0)
            let anna = try await client.login("anna")
            let create = Make.create("Over the wire", body: "Bytes on a socket.\n", by: "anna", at: fixture.environment.now)
            #expect(try await client.push([create], token: anna).map(\.status) == [.applied])
            let (page, _) = try await client.pullAll(token: try await client.login("erik"))
            #expect(page.articles.map(\.article.content.title) == ["Over the wire"])
            let health = try await client.call(.get, "/healthz")
            #expect(health.status == .ok && health.headers.contains { $0.name.canonicalName == "x-request-id" })
        }
    }

    @Test func theBinaryStartsPrintsTheAdminPasswordServesAndStopsOnSIGTERM() async throws {
        let server = try ServerProcess.start()
        defer { server.stop() }
        let password = try #require(server.adminPassword, "no first-start password in: \(server.output)")

        let login = try await HTTP.request("POST", server.url("/v1/sessions"), json: ["name": "admin", "password": password])
        #expect(login.status == 201, "\(login.text)")
        let token = try #require((try? JSONSerialization.jsonObject(with: login.body)) as? [String: Any])["token"] as? String
        let me = try await HTTP.request("GET", server.url("/v1/me"), token: token)
        #expect(me.status == 200 && me.text.contains("\"admin\""))

        // Prometheus metrics: request counts and latencies, sync batch sizes.
        let create = Make.create("Counted", body: "x\n", by: "admin", at: Date())
        let push = try await HTTP.request("POST", server.url("/v1/sync/push"), token: token,
                                          json: ["changes": [try JSONSerialization.jsonObject(with: GalleyJSON.encoder().encode(create))]])
        #expect(push.status == 200, "\(push.text)")
        let metrics = try await HTTP.request("GET", server.url("/metrics"))
        for name in ["hb_requests", "http_server_request_duration", "galley_changes_total", "galley_push_batch_size"] {
            #expect(metrics.text.contains(name), "metrics lack \(name)")
        }

        // A consistent copy while serving; it opens, and carries a new epoch.
        let backup = server.dataDir.appendingPathComponent("backup.sqlite").path
        let status = try ServerProcess.run(["backup", backup], dataDir: server.dataDir.path)
        #expect(status == 0)
        let restored = try SQLiteArchive(path: backup)
        #expect(try await restored.user(named: "admin") != nil)
        let live = try await HTTP.request("GET", server.url("/healthz"))
        #expect(!live.text.contains(try await restored.epoch()), "a restored archive has a new epoch")

        let exit = server.terminate()
        #expect(exit == 0, "galley-server should stop cleanly on SIGTERM; output: \(server.output)")
        let reopened = try SQLiteArchive(path: server.dataDir.appendingPathComponent("archive.sqlite").path)
        #expect(try await reopened.user(named: "admin") != nil)
    }
}

