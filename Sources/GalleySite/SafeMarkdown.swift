import GalleyMarkdown

/// Markdown as the public site shows it: CommonMark + GFM under Galley's safety policy
/// (``GalleyMarkdown/MarkdownPolicy``). Pages, `galley site build` and feeds all call this.
public enum SafeMarkdown {
    /// Bodies are shown at `/articles/{slug}`: a relative link in one resolves from there.
    public static func html(_ markdown: String) -> String { Markdown.html(markdown, linkBase: "/articles/") }

    /// The words of a body without markup, for a card or description when there is no lead.
    public static func excerpt(_ markdown: String, words: Int = 40) -> String { Markdown.excerpt(markdown, words: words) }
}

/// Escaping for text that Galley itself puts into HTML and XML (titles, leads, names, feeds).
public enum HTMLSanitizer {
    /// Escapes by Unicode scalar, not by character: `<` followed by a combining mark is one
    /// Swift `Character` but still a `<` to every HTML and XML parser, and a `"` so joined would
    /// end an attribute value.
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        // By UTF-8 byte, which is by scalar: these five are ASCII, and no byte of a longer
        // scalar is ASCII. One buffer, one pass: appending to a UnicodeScalarView copies it.
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
