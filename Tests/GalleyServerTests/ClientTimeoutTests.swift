import Foundation
import GalleyCore
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import GalleyTestSupport
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
            let read = await idle.exchange(giveUpAfter: 20)
            #expect(read.closed, "the server kept an idle connection open for 20 s")
            #expect(Date().timeIntervalSince(started) >= 0.9, "closed before the timeout")
            let asking = try RawSocket(port: port)
            let answer = await asking.exchange("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", giveUpAfter: 20)
            #expect(answer.text.hasPrefix("HTTP/1.1 200"), "\(answer.text.prefix(200))")
        }
    }
}

/// What NIO's parser refuses before any route sees it still gets a problem+json body that says
/// what was wrong, and the server goes on serving.
@Suite struct UnparsableRequestTests {
    @Test func aRequestThatIsNotHTTPItCanReadIsToldWhy() async throws {
        let fixture = try await ServerFixture { $0.port = 0 }
        try await fixture.app().test(.live) { client in
            let port = try #require(client.port)
            let cases: [(request: String, says: String)] = [
                ("GET /articles/\(String(repeating: "%D1%8F", count: 20_000)) HTTP/1.1\r\nHost: x\r\n\r\n", "longer than 80 KiB"),
                ("GET /articles/я HTTP/1.1\r\nHost: x\r\n\r\n", "URL is not a valid one"),
                ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 100_000))\r\n\r\n", "longer than 80 KiB"),
                ("GARBAGE\r\n\r\n", "not HTTP/1.1"),
            ]
            for (request, says) in cases {
                let socket = try RawSocket(port: port)
                let answer = await socket.exchange(request, giveUpAfter: 20).text
                #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
                #expect(answer.contains("application/problem+json") && answer.contains(says), "\(request.prefix(40)): \(answer.prefix(400))")
            }
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
        }
    }
}
