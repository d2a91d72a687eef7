import Foundation

/// The identity of an article: a UUIDv7, so ids sort by creation time and can be made offline on
/// any laptop without coordination.
///
/// People see the ``short`` form: 8 hex digits. They are taken from the *random* tail of the UUID,
/// not its head: the head is a millisecond timestamp, so every article made in the same minute (an
/// import, say) would share its first 8 digits.
public struct ArticleID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let uuid: UUID

    public init(_ uuid: UUID) { self.uuid = uuid }

    /// Parses the canonical form (`0193a5f2-…`), case-insensitively, with or without dashes.
    public init?(_ string: String) {
        guard let uuid = UUIDText.parseLoosely(string) else { return nil }
        self.uuid = uuid
    }

    /// A new UUIDv7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then random bits.
    public static func generate<R: RandomNumberGenerator>(at date: Date, using rng: inout R) -> ArticleID {
        let millis = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down)))
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> (8 * (5 - UInt64(i)))) }
        for i in 6..<16 { bytes[i] = UInt8.random(in: 0...255, using: &rng) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70  // version 7
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        let uuid = UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                               bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
        return ArticleID(uuid)
    }

    public static func generate(at date: Date = Date()) -> ArticleID {
        var rng = SystemRandomNumberGenerator()
        return generate(at: date, using: &rng)
    }

    /// The canonical lowercase form with dashes, as stored and sent over the wire.
    public var description: String { UUIDText.lowercased(uuid) }

    /// 8 hex digits for people: the last 32 random bits of the UUID.
    public var short: String { String(description.suffix(8)) }

    /// The creation time encoded in the id.
    public var timestamp: Date {
        let b = uuid.uuid
        let millis = [b.0, b.1, b.2, b.3, b.4, b.5].reduce(UInt64(0)) { ($0 << 8) | UInt64($1) }
        return Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    public static func < (lhs: ArticleID, rhs: ArticleID) -> Bool { UUIDText.precedes(lhs.uuid, rhs.uuid) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let id = ArticleID(string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(string)' is not an article id (a UUID)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
