import Crypto

/// SHA-256 in one place, so that the rest of the module does not depend on swift-crypto's API.
enum RevisionIDHash {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: bytes))
    }
}
