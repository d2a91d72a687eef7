import Foundation

/// UUIDs to and from their text. Every id crosses this boundary several times per stored row and
/// per JSON field; Foundation's `UUID(uuidString:)` goes through `sscanf`, and the ids' text was
/// built by parsing into a Character array and joining five Strings: two percent of a server
/// under push load, and more of a first sync, spent on ids.
package enum UUIDText {
    private static let digits = Array("0123456789abcdef".utf8)

    /// The canonical form, lowercase: `0193a5f2-7c4e-7d1a-8b2f-0c3d4e5f6a7b`.
    package static func lowercased(_ uuid: UUID) -> String {
        withUnsafeBytes(of: uuid.uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var o = 0
                for (i, byte) in bytes.enumerated() {
                    if i == 4 || i == 6 || i == 8 || i == 10 {
                        out[o] = UInt8(ascii: "-")
                        o += 1
                    }
                    out[o] = digits[Int(byte >> 4)]
                    out[o + 1] = digits[Int(byte & 0x0F)]
                    o += 2
                }
                return o
            }
        }
    }

    /// The canonical form in either case (what `UUID(uuidString:)` accepts), or nil.
    package static func parse(_ string: String) -> UUID? {
        var string = string
        return string.withUTF8 { text in
            guard text.count == 36 else { return nil }
            for dash in [8, 13, 18, 23] where text[dash] != UInt8(ascii: "-") { return nil }
            return decode(text) { $0 == 8 || $0 == 13 || $0 == 18 || $0 == 23 }
        }
    }

    /// 32 hex digits in either case, with dashes anywhere among them ignored, or nil.
    package static func parseLoosely(_ string: String) -> UUID? {
        var string = string
        return string.withUTF8 { text in
            guard text.count <= 64 else { return nil }
            return decode(text) { text[$0] == UInt8(ascii: "-") }
        }
    }

    /// The 16 bytes of the hex digits in `text`, skipping the positions `skip` names; nil unless
    /// there are exactly 32 digits and nothing else.
    private static func decode(_ text: UnsafeBufferPointer<UInt8>, skip: (Int) -> Bool) -> UUID? {
        var bytes = (UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0),
                     UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0), UInt8(0))
        var count = 0
        let complete = withUnsafeMutableBytes(of: &bytes) { out -> Bool in
            for i in text.indices where !skip(i) {
                guard count < 32, let value = nibble(text[i]) else { return false }
                out[count / 2] |= count % 2 == 0 ? value << 4 : value
                count += 1
            }
            return count == 32
        }
        return complete ? UUID(uuid: bytes) : nil
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The order of the canonical lowercase texts, which is the order of the bytes.
    package static func precedes(_ a: UUID, _ b: UUID) -> Bool {
        withUnsafeBytes(of: a.uuid) { x in withUnsafeBytes(of: b.uuid) { y in x.lexicographicallyPrecedes(y) } }
    }
}
