import Foundation
import GalleyCore
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import Testing

@testable import GalleyServer

/// A client that stops reading an answer, or leaves its connection idle, has it closed after
/// `client_timeout_seconds`, so that no socket holds the server's files or memory forever.
@Suite struct ClientTimeoutTests {
    /// The handler's clock: a stall is counted from the moment the channel stops being
    /// writable, restarts whenever the client reads again, and ends the connection only when it
    /// lasts the whole timeout.
    @Test func aStalledReaderIsClosedAndASlowOneIsNot() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: StalledClientHandler(timeout: .seconds(60)), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        func writable(_ value: Bool) {
            channel.isWritable = value
            channel.pipeline.fireChannelWritabilityChanged()
        }
        // A slow reader: unwritable for 50 s at a time, then it reads some; never closed.
        for _ in 0..<5 {
            writable(false)
            loop.advanceTime(by: .seconds(50))
            #expect(channel.isActive, "a reader that keeps reading is left alone")
            writable(true)
            loop.advanceTime(by: .seconds(1))
        }
        // A stalled one: closed once 60 s pass without a byte read.
        writable(false)
        loop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "a client that reads nothing for the timeout is disconnected")
        _ = try? channel.finish()
    }

    /// On a real socket: a connection that sends nothing is closed after the timeout, while one
    /// that asks is answered.
    @Test func anIdleConnectionIsClosedAfterTheTimeout() async throws {
        let fixture = try await ServerFixture {
            $0.port = 0
            $0.clientTimeoutSeconds = 1
        }
        try await fixture.app().test(.live) { client in
            let port = try #require(client.port)
            let idle = try RawSocket(port: port)
            let started = Date()
            let read = idle.readUntilClosed(giveUpAfter: 20)
            #expect(read.closed, "the server kept an idle connection open for 20 s")
            #expect(Date().timeIntervalSince(started) >= 0.9, "closed before the timeout")
            let asking = try RawSocket(port: port)
            try asking.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let answer = asking.readUntilClosed(giveUpAfter: 20)
            #expect(answer.text.hasPrefix("HTTP/1.1 200"), "\(answer.text.prefix(200))")
        }
    }
}

/// A blocking TCP socket to 127.0.0.1, for what a well-behaved HTTP client would not do.
final class RawSocket {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, 0) == bytes.count else { throw POSIXError(.EPIPE) }
    }

    /// Reads until the server closes the connection (`closed`) or `seconds` pass without it.
    func readUntilClosed(giveUpAfter seconds: Int) -> (closed: Bool, text: String) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 { data += buffer[0..<n]; continue }
            return (n == 0 || errno == ECONNRESET, String(decoding: data, as: UTF8.self))
        }
    }
}
