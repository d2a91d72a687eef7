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
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
