import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The built `galley-server`, started on a free port with a temporary data dir.
public final class ServerProcess: @unchecked Sendable {
    // @unchecked: the output buffer is only touched under `lock`.
    public let process = Process()
    public let dataDir: URL
    public let port: Int
    private let lock = NSLock()
    private var buffer = ""

    public static func binary(_ name: String = "galley-server") -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
    }

    public var output: String { lock.withLock { buffer } }

    public var adminPassword: String? {
        output.split(separator: "\n").first { $0.contains("password: ") }.map { String($0.components(separatedBy: "password: ").last!) }
    }

    public func url(_ path: String) -> URL { URL(string: "http://127.0.0.1:\(port)\(path)")! }

    public static func start(dataDir: URL? = nil, port: Int? = nil, environment extra: [String: String] = [:]) throws -> ServerProcess {
        let dir = dataDir ?? Scratch.path("galley-server")
        let server = ServerProcess(dataDir: dir, port: try port ?? freePort())
        try server.launch(extra)
        return server
    }

    public init(dataDir: URL, port: Int) {
        self.dataDir = dataDir
        self.port = port
    }

    private func launch(_ extra: [String: String]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary().path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: Self.binary().path + " (run swift build first)"])
        }
        process.executableURL = Self.binary()
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
    public func terminate() -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGKILL, for crash tests.
    public func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public func stop() {
        if process.isRunning { terminate() }
    }

    /// Runs another galley-server subcommand against the same data dir.
    public static func run(_ arguments: [String], dataDir: String) throws -> Int32 {
        let p = Process()
        p.executableURL = binary()
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["GALLEY_DATA_DIR"] = dataDir
        p.environment = env
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    public static func freePort() throws -> Int {
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

    public static func connect(port: Int) throws -> Int32 {
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
public enum HTTP {
    public struct Reply: Sendable {
        public let status: Int
        public let body: Data
        public var text: String { String(decoding: body, as: UTF8.self) }
    }

    public static func request(_ method: String, _ url: URL, token: String? = nil, json: Any? = nil) async throws -> Reply {
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

/// What a run of the `galley` binary printed and how it ended.
public struct CLIResult: Sendable, CustomStringConvertible {
    public let status: Int32
    public let stdout: String
    public let stderr: String
    public var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
}

/// Runs the built `galley` with arguments in `directory`.
public func runGalley(_ arguments: [String], in directory: URL, environment extra: [String: String] = [:], stdin: String? = nil, program: String = "galley") throws -> CLIResult {
    let process = Process()
    process.executableURL = ServerProcess.binary(program)
    process.arguments = arguments
    process.currentDirectoryURL = directory
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    env["GALLEY_CONNECT_TIMEOUT"] = "2"
    env.removeValue(forKey: "GALLEY_WORKSPACE")
    for (k, v) in extra { env[k] = v }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    // Read both pipes to the end before waiting, so a chatty command cannot block on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.enter()
    DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
    group.wait()
    process.waitUntilExit()
    return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
}
