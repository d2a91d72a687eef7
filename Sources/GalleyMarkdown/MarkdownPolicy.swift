import CCmarkGFM
import Foundation

/// Galley's safe-HTML policy, in one place, applied to the parsed tree before anything is
/// rendered:
///
/// - raw HTML (blocks and inline tags) is shown as the text it is, never as markup: every word
///   an analyst typed reaches the page, none of it can run;
/// - a link keeps its address only if it is http, https, mailto or relative; otherwise its text
///   stays and the link goes;
/// - an image loads only from http, https or a relative address (the archive's own media);
///   otherwise its alt text is shown;
/// - links that leave the site carry `rel="nofollow noopener"`.
///
/// cmark-gfm writes the HTML itself, so it is well-formed and its text escaped; with raw HTML
/// gone there is nothing in a body that could add an element, an attribute or an event handler.
public enum MarkdownPolicy {
    public static let externalLinkRel = "nofollow noopener"

    public static func allowsLink(_ url: String) -> Bool {
        guard let scheme = scheme(of: url) else { return hasValidHostIfAny(url) }
        return scheme == "mailto" || ((scheme == "http" || scheme == "https") && hasValidHostIfAny(url))
    }

    public static func allowsImage(_ url: String) -> Bool {
        guard let scheme = scheme(of: url) else { return !url.isEmpty && hasValidHostIfAny(url) }
        return (scheme == "http" || scheme == "https") && hasValidHostIfAny(url)
    }

    /// An address that names a host (`https://…`, `//…`) must name one a browser can reach:
    /// `https://../` is a dead link to a reader and an error to the HTML checker.
    static func hasValidHostIfAny(_ url: String) -> Bool {
        let s = squeezed(url)
        var rest = Substring(s)
        if let scheme = scheme(of: s) {
            rest = rest.dropFirst(scheme.count + 1)
            guard rest.hasPrefix("//") else { return scheme != "http" && scheme != "https" }
        } else if !rest.hasPrefix("//") {
            return true  // a path on this site
        }
        rest = rest.dropFirst(2)
        var authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" && $0 != "\\" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        if authority.hasPrefix("[") { return authority.contains("]") }  // an IPv6 literal
        var host = authority
        if let colon = host.lastIndex(of: ":") {
            guard host[host.index(after: colon)...].allSatisfy(\.isASCII) && host[host.index(after: colon)...].allSatisfy(\.isNumber) else { return false }
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        // Letters and digits of any script (internationalised names), hyphens, underscores and
        // dots: what a registrable name or an IPv4 address is made of. Anything else
        // (`https://a`b`, an emoji) is a link no browser resolves, so it is not made one.
        guard !host.isEmpty, host.unicodeScalars.allSatisfy({
            $0.properties.isAlphabetic || $0.properties.numericType == .decimal || $0.properties.generalCategory == .nonspacingMark
                || $0.properties.generalCategory == .spacingMark || $0 == "-" || $0 == "_" || $0 == "."
        }) else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty }
    }

    /// Whether a link leaves the site: an absolute http(s) address or a scheme-relative one.
    public static func isExternal(_ url: String) -> Bool {
        if let scheme = scheme(of: url) { return scheme == "http" || scheme == "https" }
        return squeezed(url).hasPrefix("//")
    }

    /// The scheme a browser would see, lowercased, or nil for a relative address. Browsers drop
    /// leading spaces and controls and every tab and line break before they look, so
    /// `" java\tscript:"` is `javascript:` to them and is here.
    static func scheme(of url: String) -> String? {
        let s = squeezed(url)
        guard let colon = s.firstIndex(of: ":") else { return nil }
        let candidate = s[..<colon]
        guard let first = candidate.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else { return nil }
        let schemeCharacters = candidate.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "+" || $0 == "-" || $0 == ".")
        }
        // "/a:b", "?x:y", "#p:q" are relative: no valid scheme ends where they do.
        return schemeCharacters ? candidate.lowercased() : nil
    }

    private static func squeezed(_ url: String) -> String {
        let scalars = url.unicodeScalars.drop { $0.value <= 0x20 }.filter { $0 != "\t" && $0 != "\n" && $0 != "\r" }
        return String(String.UnicodeScalarView(scalars))
    }

    /// Rewrites the tree: raw HTML becomes text, disallowed links and images become their text.
    static func apply(to document: Document) {
        var rawBlocks: [OpaquePointer] = [], rawInlines: [OpaquePointer] = [], unwrap: [OpaquePointer] = []
        document.walk { node in
            switch cmark_node_get_type(node) {
            case CMARK_NODE_HTML_BLOCK: rawBlocks.append(node)
            case CMARK_NODE_HTML_INLINE: rawInlines.append(node)
            case CMARK_NODE_LINK:
                if !allowsLink(url(of: node)) { unwrap.append(node) }
            case CMARK_NODE_IMAGE:
                if !allowsImage(url(of: node)) { unwrap.append(node) }
            default: break
            }
        }
        for node in rawInlines {
            replace(node, with: text(literal(of: node)))
        }
        for node in rawBlocks {
            // A paragraph of the block's lines as written, each on its own line as typed.
            let paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH)!
            var lines = literal(of: node).split(separator: "\n", omittingEmptySubsequences: false)
            while lines.last?.isEmpty == true { lines.removeLast() }
            for (i, line) in lines.enumerated() {
                if i > 0 { cmark_node_append_child(paragraph, cmark_node_new(CMARK_NODE_LINEBREAK)) }
                if !line.isEmpty { cmark_node_append_child(paragraph, text(String(line))) }
            }
            replace(node, with: paragraph)
        }
        // Innermost first is not needed: a link cannot hold a link, and an image inside a
        // removed link moves out with the link's other children.
        for node in unwrap {
            while let child = cmark_node_first_child(node) { cmark_node_insert_before(node, child) }
            cmark_node_unlink(node)
            cmark_node_free(node)
        }
    }

    private static func url(of node: OpaquePointer) -> String {
        cmark_node_get_url(node).map { String(cString: $0) } ?? ""
    }

    private static func literal(of node: OpaquePointer) -> String {
        cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
    }

    private static func text(_ literal: String) -> OpaquePointer {
        let node = cmark_node_new(CMARK_NODE_TEXT)!
        cmark_node_set_literal(node, literal)
        return node
    }

    private static func replace(_ old: OpaquePointer, with new: OpaquePointer) {
        cmark_node_replace(old, new)
        cmark_node_free(old)
    }

    /// Adds `rel` to the links that leave the site. With raw HTML gone, `<a href="` in
    /// cmark's output is always a link cmark wrote, and its address is escaped up to the quote.
    static func markExternalLinks(_ html: String) -> String {
        let opening = "<a href=\""
        guard html.contains(opening) else { return html }
        var out = ""
        out.reserveCapacity(html.utf8.count + 64)
        var rest = html[...]
        while let range = rest.range(of: opening) {
            out += rest[..<range.lowerBound]
            let afterQuote = range.upperBound
            let end = rest[afterQuote...].firstIndex(of: "\"") ?? rest.endIndex
            let href = String(rest[afterQuote..<end]).replacingOccurrences(of: "&amp;", with: "&")
            out += isExternal(href) ? "<a rel=\"\(externalLinkRel)\" href=\"" : opening
            rest = rest[afterQuote...]
        }
        out += rest
        return out
    }
}
