import Crypto
import Foundation
import HummingbirdBcrypt

/// Password hashing and token making. bcrypt is slow on purpose, so it runs on a Dispatch queue
/// instead of holding one of the few cooperative threads that request handlers need.
package enum Passwords {
    private static let queue = DispatchQueue(label: "galley.bcrypt", attributes: .concurrent)

    package static func hash(_ password: String, cost: Int) async -> String {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Bcrypt.hash(password, cost: UInt8(cost))) }
        }
    }

    package static func verify(_ password: String, hash: String) async -> Bool {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Bcrypt.verify(password, hash: hash)) }
        }
    }

    /// A new bearer token: 256 random bits, URL-safe base64.
    package static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// What the archive stores instead of the token. Tokens are looked up by this hash, so no
    /// comparison ever runs over the secret itself.
    package static func tokenHash(_ token: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: Array(token.utf8)) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The token a desk form carries for the session of `token`: a hash of the secret with a
    /// purpose of its own, so the form token never reveals the session's token, and only the
    /// holder of the cookie (never another site) can know it.
    package static func formToken(for token: String) -> String {
        tokenHash("galley desk form\n" + token)
    }

    /// Compares two tokens in time that does not depend on where they first differ.
    package static func sameToken(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// A password for the first admin: 20 characters from an alphabet without look-alikes.
    package static func newPassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var rng = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet.randomElement(using: &rng)! })
    }
}
