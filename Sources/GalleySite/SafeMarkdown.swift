import Foundation
import Ink

/// Markdown to HTML for the public site, with everything an article could use to run script in
/// a reader's browser taken out: raw HTML is shown as text, links and images keep only safe
/// addresses, and the result passes an allow-list of tags and attributes as well.
public enum SafeMarkdown {
    public static func html(_ markdown: String) -> String {
        var parser = MarkdownParser()
        // Anything Ink still takes for raw HTML is shown as text, not markup.
        parser.addModifier(Modifier(target: .html) { input in HTMLSanitizer.escape(String(input.markdown)) })
        return HTMLSanitizer.clean(parser.html(from: escapeRawHTML(markdown)))
    }

    /// Turns `<tag …>` in the text into `&lt;tag …>` before parsing, outside code, so that raw
    /// HTML reads as text and cannot swallow the Markdown around it. Autolinks (`<https://…>`)
    /// and code are left alone.
    static func escapeRawHTML(_ markdown: String) -> String {
        var out = ""
        out.reserveCapacity(markdown.utf8.count)
        var inFence = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") {
                inFence.toggle()
                out += line + "\n"
                continue
            }
            if inFence || line.hasPrefix("    ") || line.hasPrefix("\t") {
                out += line + "\n"
                continue
            }
            // By scalar: a `<` with a combining mark after it is still a `<` (see `escape`).
            var inCode = false
            let scalars = line.unicodeScalars
            var kept = String.UnicodeScalarView()
            var i = scalars.startIndex
            while i < scalars.endIndex {
                let c = scalars[i]
                if c == "`" { inCode.toggle() }
                if c == "<" && !inCode {
                    // Every `<` that does not open an autolink is text: Ink takes `<` before
                    // anything (`<<b>`, `<3`) for the start of raw HTML and swallows the rest.
                    let lower = String(String.UnicodeScalarView(scalars[scalars.index(after: i)...].prefix(8))).lowercased()
                    let isAutolink = lower.hasPrefix("http://") || lower.hasPrefix("https:/") || lower.hasPrefix("mailto:")
                    if !isAutolink {
                        kept.append(contentsOf: "&lt;".unicodeScalars)
                        i = scalars.index(after: i)
                        continue
                    }
                }
                kept.append(c)
                i = scalars.index(after: i)
            }
            out += String(kept) + "\n"
        }
        if !markdown.hasSuffix("\n"), out.hasSuffix("\n") { out.removeLast() }
        return out
    }
}

/// An allow-list filter for HTML that Ink produced: known tags with known attributes pass,
/// everything else is escaped so it shows as text; URLs must be http(s), mailto or relative.
public enum HTMLSanitizer {
    static let tags: Set<String> = [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "del", "code", "pre", "blockquote",
        "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
    ]
    static let attributes: [String: Set<String>] = [
        "a": ["href", "title"], "img": ["src", "alt", "title"], "ol": ["start"], "th": ["align"], "td": ["align"],
    ]

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

    /// Whether an address may appear in href/src: no script schemes, whatever the spelling.
    public static func isSafeURL(_ raw: String) -> Bool {
        let decoded = raw.replacingOccurrences(of: "&amp;", with: "&")
        let squeezed = decoded.unicodeScalars.filter { !CharacterSet.whitespacesAndNewlines.contains($0) && !CharacterSet.controlCharacters.contains($0) }
        let lower = String(String.UnicodeScalarView(squeezed)).lowercased()
        if lower.contains("&#") || lower.contains("\\") { return false }
        guard let colon = lower.firstIndex(of: ":") else { return true }  // relative
        if let slash = lower.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }), slash < colon { return true }
        let scheme = lower[..<colon]
        return ["http", "https", "mailto"].contains(String(scheme))
    }

    /// Tags are found by scalar, as a browser finds them (see `escape`).
    public static func clean(_ html: String) -> String {
        var out = ""
        out.reserveCapacity(html.utf8.count)
        let scalars = html.unicodeScalars
        var i = scalars.startIndex
        while i < scalars.endIndex {
            guard scalars[i] == "<", let close = scalars[i...].firstIndex(of: ">") else {
                if scalars[i] == "<" { out += "&lt;" } else if scalars[i] == ">" { out += "&gt;" } else { out.unicodeScalars.append(scalars[i]) }
                i = scalars.index(after: i)
                continue
            }
            let inner = String(String.UnicodeScalarView(scalars[scalars.index(after: i)..<close]))
            out += filterTag(inner) ?? escape(String(String.UnicodeScalarView(scalars[i...close])))
            i = scalars.index(after: close)
        }
        return out
    }

    /// A safe rendering of one tag, or nil if it must be shown as text.
    static func filterTag(_ inner: String) -> String? {
        var body = Substring(inner)
        let closing = body.hasPrefix("/")
        if closing { body = body.dropFirst() }
        let selfClosing = body.hasSuffix("/")
        if selfClosing { body = body.dropLast() }
        let nameEnd = body.firstIndex(where: { $0 == " " || $0 == "\n" || $0 == "\t" }) ?? body.endIndex
        let name = body[..<nameEnd].lowercased()
        guard tags.contains(name) else { return nil }
        if closing { return "</\(name)>" }
        var kept: [String] = []
        for (key, value) in parseAttributes(String(body[nameEnd...])) {
            guard attributes[name]?.contains(key) == true else { continue }
            if key == "href" || key == "src" {
                guard isSafeURL(value) else { continue }
            }
            kept.append("\(key)=\"\(escape(unescape(value)))\"")
        }
        if name == "a" { kept.append("rel=\"nofollow noopener\"") }
        return "<\(name)\(kept.isEmpty ? "" : " " + kept.joined(separator: " "))\(selfClosing ? "/" : "")>"
    }

    static func unescape(_ s: String) -> String {
        s.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// `key="value"` pairs (also single-quoted or bare); anything else is dropped.
    static func parseAttributes(_ s: String) -> [(String, String)] {
        var result: [(String, String)] = []
        let chars = Array(s)
        var k = 0
        while k < chars.count {
            while k < chars.count, chars[k].isWhitespace { k += 1 }
            var key = ""
            while k < chars.count, !chars[k].isWhitespace, chars[k] != "=" { key.append(chars[k]); k += 1 }
            while k < chars.count, chars[k].isWhitespace { k += 1 }
            var value = ""
            if k < chars.count, chars[k] == "=" {
                k += 1
                while k < chars.count, chars[k].isWhitespace { k += 1 }
                if k < chars.count, chars[k] == "\"" || chars[k] == "'" {
                    let quote = chars[k]
                    k += 1
                    while k < chars.count, chars[k] != quote { value.append(chars[k]); k += 1 }
                    k += 1
                } else {
                    while k < chars.count, !chars[k].isWhitespace { value.append(chars[k]); k += 1 }
                }
            }
            if !key.isEmpty { result.append((key.lowercased(), value)) }
        }
        return result
    }
}
