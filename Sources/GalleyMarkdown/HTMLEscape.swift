/// Escaping for text put into HTML and XML, text and attribute values alike: the one escape
/// the renderer's own markup (heading ids) and the site's templates and feeds use.
package enum HTMLEscape {
    /// By UTF-8 byte, which is by scalar: `<` followed by a combining mark is one Swift
    /// `Character` but still a `<` to every HTML and XML parser, and the five characters are
    /// ASCII while no byte of a longer scalar is. One buffer, one pass.
    package static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        for byte in text.utf8 {
            switch byte {
            case 0x26: out += "&amp;".utf8
            case 0x3C: out += "&lt;".utf8
            case 0x3E: out += "&gt;".utf8
            case 0x22: out += "&quot;".utf8
            case 0x27: out += "&#39;".utf8
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
