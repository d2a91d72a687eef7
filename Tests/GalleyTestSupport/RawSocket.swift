import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP socket to 127.0.0.1, for what a well-behaved HTTP client would not do.
package final class RawSocket: @unchecked Sendable {
    package let fd: Int32

    package init(port: Int) throws {
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

    /// Sends `request` (if any) and reads until the server closes, on a thread of its own: a
    /// blocking socket call on one of Swift concurrency's few threads would starve the
    /// in-process server that is to answer it.
    package func exchange(_ request: String? = nil, giveUpAfter seconds: Int) async -> (closed: Bool, text: String) {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                if let request { try? self.send(request) }
                continuation.resume(returning: self.readUntilClosed(giveUpAfter: seconds))
            }
            thread.start()
        }
    }

    /// Sends `request`, then reads `chunk` bytes at a time with `pause` seconds between reads
    /// (a client on a slow link), on a thread of its own, until the server closes or `seconds`
    /// pass without a byte; returns what arrived.
    package func exchangeSlowly(_ request: String, chunk: Int, pause: Double, receiveBuffer: Int32? = nil, giveUpAfter seconds: Int) async -> [UInt8] {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                try? self.send(request)
                var timeout = timeval(tv_sec: seconds, tv_usec: 0)
                setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                var data: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: chunk)
                while true {
                    let n = recv(self.fd, &buffer, chunk, 0)
                    guard n > 0 else { break }
                    data += buffer[0..<n]
                    usleep(useconds_t(pause * 1_000_000))
                }
                continuation.resume(returning: data)
            }
            thread.start()
        }
    }

    /// A small receive buffer, so that the server sees a reader that stops at once.
    package func shrinkReceiveBuffer(to bytes: Int32) {
        var size = bytes
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    package func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, 0) == bytes.count else { throw POSIXError(.EPIPE) }
    }

    /// Reads until the server closes the connection (`closed`) or `seconds` pass without it.
    package func readUntilClosed(giveUpAfter seconds: Int) -> (closed: Bool, text: String) {
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
