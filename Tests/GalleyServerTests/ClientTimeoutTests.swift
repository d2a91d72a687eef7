import Foundation
import GalleyCore
import GalleyStore
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import GalleyTestSupport
import Testing

@testable import GalleyServer

/// A client that stops reading an answer, or leaves its connection idle, has it closed after
/// `client_timeout_seconds`, so that no socket holds the server's files or memory forever.
@Suite struct ClientTimeoutTests {
    /// The handler's clock: a write that completes (the socket took its bytes, as happens when
    /// the client reads) is progress; a connection is closed only when writes wait the whole
    /// timeout with none completing. Large bodies go out in slices, so a slow reader completes
    /// some often.
    @Test func aStalledReaderIsClosedAndASlowOneIsNot() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: StalledClientHandler(timeout: .seconds(60)), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        // 4 MiB in one buffer leaves as 16 KiB slices, the same bytes in the same order.
        let big = ByteBuffer(bytes: (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try channel.writeOutbound(HTTPResponsePart.body(big))
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
        var sent = ByteBuffer()
        var slices = 0
        while case .body(var piece)? = try channel.readOutbound(as: HTTPResponsePart.self) {
            #expect(piece.readableBytes <= StalledClientHandler.slice)
            sent.writeBuffer(&piece)
            slices += 1
        }
        #expect(sent == big && slices == 256, "\(slices) slices")
        // A slow reader: each write waits 50 s (not flushed: the socket has not taken it), then
        // goes; never closed.
        for _ in 0..<5 {
            channel.write(HTTPResponsePart.body(ByteBuffer(bytes: [1, 2, 3])), promise: nil)
            loop.advanceTime(by: .seconds(50))
            #expect(channel.isActive, "a reader that keeps reading is left alone")
            channel.flush()
            loop.advanceTime(by: .seconds(1))
        }
        // Nothing waiting: no clock runs, however long the connection is quiet here.
        loop.advanceTime(by: .seconds(600))
        #expect(channel.isActive)
        // A stalled one: closed once 60 s pass without a write completing.
        channel.write(HTTPResponsePart.body(ByteBuffer(bytes: [4, 5, 6])), promise: nil)
        loop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive, "a client that reads nothing for the timeout is disconnected")
        _ = try? channel.finish()
    }

    /// On a real socket, a pull page of megabytes: a client reading it slowly, for longer than
    /// the timeout in all, gets all of it; one that stops reading is disconnected. (Loopback's
    /// socket buffers take in most of a page, so this checks the outcome; the slicing that
    /// keeps a slow reader's progress visible on a real link is checked above.)
    @Test func aSlowReaderGetsTheWholePageAndAStalledOneIsCutOff() async throws {
        let fixture = try await ServerFixture {
            $0.port = 0
            $0.clientTimeoutSeconds = 3
        }
        // Made before the first request: on a loaded machine making them can take longer than
        // the 3 s a kept-alive connection may idle, and the test client's would be closed.
        let paragraph = String(repeating: "Слова пра калій і эканоміку, cafe\u{301} 📰. ", count: 40) + "\n\n"
        let body = String(repeating: paragraph, count: 60)
        let changes = (0..<24).map { Make.create("Доўгі тэкст \($0)", body: body, by: "anna", at: fixture.environment.now) }
        // Stored directly, not pushed: a 5 MB upload to a server whose timeout is 3 s is cut
        // off on a loaded machine, where the route asks for the body's parts more slowly than
        // Hummingbird's idle clock (which counts a body not yet asked for as the client idling).
        let results = try await fixture.archive.apply(changes, by: .init(name: "anna", role: .analyst), at: fixture.environment.now)
        #expect(results.count == changes.count && results.allSatisfy { $0.status == .applied })
        try await fixture.app().test(.live) { client in
            // Every request on a connection of its own, sent as soon as it is open: the test
            // client keeps one connection, which a loaded machine can leave idle past 3 s.
            let port = try #require(client.port)
            func post(_ path: String, _ body: Data, token: String? = nil) async throws -> String {
                let socket = try RawSocket(port: port)
                let auth = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
                let head = "POST \(path) HTTP/1.1\r\nHost: x\r\n\(auth)Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
                return await socket.exchange(head + String(decoding: body, as: UTF8.self), giveUpAfter: 120).text
            }
            let login = try await post("/v1/sessions", Data(#"{"name":"anna","password":"password-anna"}"#.utf8))
            let anna = try #require(login.firstMatch(of: /"token":"([^"]+)"/)?.1).description
            let request = "GET /v1/sync/pull?since=0&limit=500 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(anna)\r\nConnection: close\r\n\r\n"

            let started = Date()
            let slow = try RawSocket(port: port)
            slow.shrinkReceiveBuffer(to: 16 << 10)
            let received = await slow.exchangeSlowly(request, chunk: 16 << 10, pause: 0.02, giveUpAfter: 30)
            let text = String(decoding: received, as: UTF8.self)
            let head = text.components(separatedBy: "\r\n\r\n").first ?? ""
            let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
            let bodyBytes = received.count - head.utf8.count - 4
            #expect(text.hasPrefix("HTTP/1.1 200") && length != nil && bodyBytes == length, "slow reader got \(bodyBytes) of \(length ?? -1) bytes")
            #expect((length ?? 0) > 2_000_000 && Date().timeIntervalSince(started) > 3.5, "the page must take longer than the timeout to read")

            // Three pages asked for at once on one connection: more than the kernel's buffers
            // take in for a client that reads nothing. The client waits out the server's making
            // of all three (timed here, as a loaded machine may take long over it) and the
            // timeout, then reads.
            let making = Date()
            _ = try await RawSocket(port: port).exchange(request, giveUpAfter: 120)
            let wait = 3 * Date().timeIntervalSince(making) + 3 + 3
            let stalled = try RawSocket(port: port)
            stalled.shrinkReceiveBuffer(to: 16 << 10)
            let again = request.replacingOccurrences(of: "Connection: close\r\n", with: "")
            try stalled.send(again + again + request)
            try await Task.sleep(for: .seconds(wait))
            let rest = await stalled.exchange(giveUpAfter: 20)
            #expect(rest.closed && rest.text.utf8.count < 3 * (length ?? 0), "a reader that stopped for \(wait) s got \(rest.text.utf8.count) bytes of \(3 * (length ?? 0)), closed: \(rest.closed)")
        }
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
