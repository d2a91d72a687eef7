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

/// The built `galley-server`, started on a free port with a temporary data dir.
final class ServerProcess: @unchecked Sendable {
    // @unchecked: the output buffer is only touched under `lock`.
    let process = Process()
    let dataDir: URL
    let port: Int
    private let lock = NSLock()
    private var buffer = ""

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("galley-server")
    }

    var output: String { lock.withLock { buffer } }

    var adminPassword: String? {
        output.split(separator: "\n").first { $0.contains("password: ") }.map { String($0.components(separatedBy: "password: ").last!) }
    }

    func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    static func start(dataDir: URL? = nil, environment extra: [String: String] = [:]) throws -> ServerProcess {
        let dir = dataDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("galley-server-\(UUID())")
        let server = ServerProcess(dataDir: dir, port: try freePort())
        try server.launch(extra)
        return server
    }

    init(dataDir: URL, port: Int) {
        self.dataDir = dataDir
        self.port = port
    }

    private func launch(_ extra: [String: String]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: Self.binary.path + " (run swift build first)"])
        }
        process.executableURL = Self.binary
        var env = ProcessInfo.processInfo.environment
        env["GALLEY_DATA_DIR"] = dataDir.path
        env["GALLEY_PORT"] = String(port)
        env["GALLEY_BCRYPT_COST"] = "4"
        env["GALLEY_LOG_LEVEL"] = "warning"
        env.removeValue(forKey: "GALLEY_ADMIN_PASSWORD")
        for (k, v) in extra { env[k] = v }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.buffer += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        // Wait until it answers.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if !process.isRunning { break }
            if let socket = try? Self.connect(port: port) {
                close(socket)
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "galley-server did not start: \(output)"])
    }

    /// SIGTERM, then wait; returns the exit status.
    @discardableResult
    func terminate() -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL, for crash tests.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning { terminate() }
    }

    /// Runs another galley-server subcommand against the same data dir.
    static func run(_ arguments: [String], dataDir: String) throws -> Int32 {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["GALLEY_DATA_DIR"] = dataDir
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func connect(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else {
            close(fd)
            throw CocoaError(.fileReadUnknown)
        }
        return fd
    }
}

/// A minimal HTTP client over URLSession, for talking to a real process.
enum HTTP {
    struct Reply {
        let status: Int
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func request(_ method: String, _ url: URL, token: String? = nil, json: Any? = nil) async throws -> Reply {
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return Reply(status: (response as? HTTPURLResponse)?.statusCode ?? 0, body: data)
    }
}
