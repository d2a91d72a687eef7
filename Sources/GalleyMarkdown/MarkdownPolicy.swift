import CCmarkGFM
import Foundation

/// Galley's safe-HTML policy, in one place, applied to the parsed tree before anything is
/// rendered:
///
/// - raw HTML (blocks and inline tags) is shown as the text it is, never as markup: every word
///   an analyst typed reaches the page, none of it can run. Three exceptions, none of which can
///   carry an attribute: `<sub>`, `<sup>` and `<kbd>` with their closing tag in the same
///   paragraph (CO<sub>2</sub>) are kept as those elements, `<br>` is a line break, and an HTML
///   comment is a note among writers, kept in the text and its history but not shown to readers;
/// - a link keeps its address only if it is http, https, mailto or relative; otherwise its text
///   stays and the link goes;
/// - an image loads only from http, https or a relative address (the archive's own media);
///   otherwise its alt text is shown;
/// - links that leave the site carry `rel="nofollow noopener"`; a relative address
///   (`other-article`) is resolved against the article's own address, as the live page does;
/// - headings get an `id` made from their text (`## Key findings` → `key-findings`), so a
///   table of contents (`[…](#key-findings)`) works as on GitHub.
///
/// cmark-gfm writes the HTML itself, so it is well-formed and its text escaped; with raw HTML
/// gone there is nothing in a body that could add an element, an attribute or an event handler.
package enum MarkdownPolicy {
    package static let externalLinkRel = "nofollow noopener"

    package static func allowsLink(_ url: String) -> Bool {
        guard isWellFormed(url) else { return false }
        guard let scheme = scheme(of: url) else { return hasValidHostIfAny(url) }
        return scheme == "mailto" || ((scheme == "http" || scheme == "https") && hasValidHostIfAny(url))
    }

    package static func allowsImage(_ url: String) -> Bool {
        guard isWellFormed(url) else { return false }
        guard let scheme = scheme(of: url) else { return !url.isEmpty && hasValidHostIfAny(url) }
        return (scheme == "http" || scheme == "https") && hasValidHostIfAny(url)
    }

    /// What any address must be to be a link a browser follows: every `%` starts an escape
    /// (`%zz` is not one) and there is at most one fragment.
    static func isWellFormed(_ url: String) -> Bool {
        let bytes = Array(url.utf8)
        var hashes = 0, i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "#") { hashes += 1 }
            if bytes[i] == UInt8(ascii: "%") {
                func isHex(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x41...0x46).contains(b) || (0x61...0x66).contains(b) }
                guard i + 2 < bytes.count, isHex(bytes[i + 1]), isHex(bytes[i + 2]) else { return false }
            }
            i += 1
        }
        return hashes <= 1
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
        // One user part at most: `https://a@b@evil.com` is read differently by different parsers.
        if authority.filter({ $0 == "@" }).count > 1 { return false }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        // An IPv6 literal: cmark percent-encodes its brackets, so the link would not work.
        if authority.hasPrefix("[") { return false }
        var host = authority
        if let colon = host.lastIndex(of: ":") {
            let port = host[host.index(after: colon)...]
            guard port.allSatisfy({ $0.isASCII && $0.isNumber }), port.isEmpty || (port.count <= 5 && Int(port)! <= 65535) else { return false }
            host = host[..<colon]
        }
        if host.hasSuffix(".") { host = host.dropLast() }
        // Letters and digits of any script (internationalised names), hyphens, underscores and
        // dots: what a registrable name or an IPv4 address is made of. Anything else
        // (`https://a`b`, an emoji) is a link no browser resolves, so it is not made one.
        guard !host.isEmpty, host.unicodeScalars.allSatisfy({
            $0.properties.isAlphabetic || $0.properties.numericType == .decimal || $0 == "-" || $0 == "_" || $0 == "."
        }) else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty }
    }

    /// Whether a link leaves the site: an absolute http(s) address or a scheme-relative one.
    package static func isExternal(_ url: String) -> Bool {
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
        // By byte: what is dropped is ASCII. Building a UnicodeScalarView one scalar at a time
        // was most of the cost of a body with thousands of links.
        let bytes = url.utf8.drop { $0 <= 0x20 }.filter { $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let keptInlineTags: Set<String> = ["sub", "sup", "kbd"]

    /// Rewrites the tree: raw HTML becomes text (but for the exceptions above), disallowed
    /// links and images become their text, relative addresses resolve against `linkBase`.
    static func apply(to document: Document, linkBase: String?) {
        var rawBlocks: [OpaquePointer] = [], rawInlines: [OpaquePointer] = [], unwrap: [OpaquePointer] = [], headings: [OpaquePointer] = []
        var notesInLinks: [(note: OpaquePointer, link: OpaquePointer)] = []
        document.walk { node in
            replaceUnshowable(in: node)
            switch cmark_node_get_type(node) {
            case CMARK_NODE_FOOTNOTE_REFERENCE:
                // A footnote mark is a link: inside a link or an image it would nest one `<a>` in
                // another (invalid, and browsers tear it apart). It goes just after them.
                var outer: OpaquePointer?
                var up = cmark_node_parent(node)
                while let parent = up {
                    let t = cmark_node_get_type(parent)
                    if t == CMARK_NODE_LINK || t == CMARK_NODE_IMAGE { outer = parent }
                    up = cmark_node_parent(parent)
                }
                if let outer { notesInLinks.append((node, outer)) }
            case CMARK_NODE_HTML_BLOCK: rawBlocks.append(node)
            case CMARK_NODE_HTML_INLINE: rawInlines.append(node)
            case CMARK_NODE_HEADING: headings.append(node)
            case CMARK_NODE_LINK:
                if !allowsLink(url(of: node)) { unwrap.append(node) } else { resolve(node, against: linkBase) }
            case CMARK_NODE_IMAGE:
                if !allowsImage(url(of: node)) { unwrap.append(node) } else { resolve(node, against: linkBase) }
            default: break
            }
        }
        for (note, link) in notesInLinks.reversed() { cmark_node_insert_after(link, note) }
        keepHarmlessInlineTags(&rawInlines)
        for node in rawInlines {
            let shown = withoutComments(literal(of: node))
            if shown.isEmpty { remove(node) } else { replace(node, with: text(shown)) }
        }
        for node in rawBlocks {
            // A paragraph of the block's lines as written, each on its own line as typed.
            var lines = withoutComments(literal(of: node)).split(separator: "\n", omittingEmptySubsequences: false)
            while lines.last?.allSatisfy(\.isWhitespace) == true { lines.removeLast() }
            while lines.first?.allSatisfy(\.isWhitespace) == true { lines.removeFirst() }
            guard !lines.isEmpty else {
                remove(node)
                continue
            }
            let paragraph = cmark_node_new(CMARK_NODE_PARAGRAPH)!
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
            remove(node)
        }
        anchorHeadings(headings, document: document)
    }

    /// Characters a reference can spell (`&#1;`, `&#x7f;`, `&#xffff;`) that the text rule refuses
    /// in what is typed: a control character makes a feed ill-formed XML and a page invalid.
    /// Each becomes U+FFFD, as a browser shows `&#0;`.
    private static func replaceUnshowable(in node: OpaquePointer) {
        func clean(_ get: (OpaquePointer) -> UnsafePointer<CChar>?, _ set: (OpaquePointer, String) -> Void) {
            guard let raw = get(node) else { return }
            let value = String(cString: raw)
            guard value.unicodeScalars.contains(where: isUnshowable) else { return }
            set(node, String(String.UnicodeScalarView(value.unicodeScalars.map { isUnshowable($0) ? "\u{FFFD}" : $0 })))
        }
        switch cmark_node_get_type(node) {
        case CMARK_NODE_TEXT, CMARK_NODE_CODE, CMARK_NODE_CODE_BLOCK:
            clean(cmark_node_get_literal) { cmark_node_set_literal($0, $1) }
            if cmark_node_get_type(node) == CMARK_NODE_CODE_BLOCK { clean(cmark_node_get_fence_info) { cmark_node_set_fence_info($0, $1) } }
        case CMARK_NODE_LINK, CMARK_NODE_IMAGE:
            clean(cmark_node_get_title) { cmark_node_set_title($0, $1) }
        default: break
        }
    }

    static func isUnshowable(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || (0x7F...0x9F).contains(v) || (0xFDD0...0xFDEF).contains(v) || v & 0xFFFE == 0xFFFE
    }

    /// `<sub>…</sub>`, `<sup>…</sup>`, `<kbd>…</kbd>` (exactly so, no attributes, opened and
    /// closed among the same siblings) become those elements; `<br>` a line break. The nodes
    /// handled are taken out of `raw`; the rest stay text.
    private static func keepHarmlessInlineTags(_ raw: inout [OpaquePointer]) {
        func tag(_ node: OpaquePointer) -> (name: String, closing: Bool)? {
            let lower = literal(of: node).lowercased()
            guard lower.hasPrefix("<"), lower.hasSuffix(">") else { return nil }
            var inner = lower.dropFirst().dropLast()
            let closing = inner.hasPrefix("/")
            if closing { inner = inner.dropFirst() }
            let name = inner.trimmingCharacters(in: .whitespaces)
            if name == "br" || name == "br/" || (name.hasPrefix("br") && name.dropFirst(2).trimmingCharacters(in: .whitespaces) == "/") {
                return closing ? nil : ("br", false)
            }
            return keptInlineTags.contains(String(inner)) ? (String(inner), closing) : nil
        }
        var handled: Set<OpaquePointer> = []
        var byParent: [OpaquePointer: [OpaquePointer]] = [:]
        var parents: [OpaquePointer] = []
        for node in raw {
            guard let parent = cmark_node_parent(node) else { continue }
            if byParent[parent] == nil { parents.append(parent) }
            byParent[parent, default: []].append(node)
        }
        for parent in parents {
            var open: [(String, OpaquePointer)] = []
            for node in byParent[parent]! {
                guard let (name, closing) = tag(node) else { continue }
                if name == "br" {
                    replace(node, with: cmark_node_new(CMARK_NODE_LINEBREAK)!)
                    handled.insert(node)
                } else if !closing {
                    open.append((name, node))
                } else if let at = open.lastIndex(where: { $0.0 == name }) {
                    let opener = open[at].1
                    open.removeSubrange(at...)
                    let element = cmark_node_new(CMARK_NODE_CUSTOM_INLINE)!
                    cmark_node_set_on_enter(element, "<\(name)>")
                    cmark_node_set_on_exit(element, "</\(name)>")
                    cmark_node_insert_before(opener, element)
                    var sibling = cmark_node_next(opener)
                    while let current = sibling, current != node {
                        sibling = cmark_node_next(current)
                        cmark_node_append_child(element, current)
                    }
                    remove(opener)
                    remove(node)
                    handled.insert(opener)
                    handled.insert(node)
                }
            }
        }
        raw.removeAll { handled.contains($0) }
    }

    /// What a reader sees of a piece of raw HTML: the text it is, without comments; nothing of
    /// the few tags kept as elements (they show as what they mark up).
    package static func shownText(ofRawHTML html: String) -> String {
        let lower = html.lowercased().replacingOccurrences(of: " ", with: "")
        let kept = keptInlineTags.flatMap { ["<\($0)>", "</\($0)>"] } + ["<br>", "<br/>"]
        return kept.contains(lower) ? "" : withoutComments(html)
    }

    /// `<!-- … -->` taken out (and `<!-->`, `<!--->`, which CommonMark 0.31 also counts as comments).
    static func withoutComments(_ html: String) -> String {
        guard html.contains("<!--") else { return html }
        // Bytes, one pass (see `markExternalLinks`).
        let bytes = Array(html.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let n = bytes.count
        var i = 0
        func at(_ k: Int, _ s: String) -> Bool { k + s.utf8.count <= n && bytes[k..<(k + s.utf8.count)].elementsEqual(s.utf8) }
        while i < n {
            guard at(i, "<!--") else {
                out.append(bytes[i])
                i += 1
                continue
            }
            var k = i + 4
            if at(k, ">") { i = k + 1; continue }
            if at(k, "->") { i = k + 2; continue }
            while k < n, !at(k, "-->") { k += 1 }
            if k >= n {
                out += bytes[i...]  // not closed: not a comment, shown as typed
                break
            }
            i = k + 3
        }
        let shown = String(decoding: out, as: UTF8.self)
        return shown.allSatisfy(\.isWhitespace) ? "" : shown
    }

    /// A relative address (`other-article`, `../media/x.png`) means what it means on the live
    /// page; made root-absolute, it means the same in a feed and in the static site.
    private static func resolve(_ node: OpaquePointer, against base: String?) {
        guard let base else { return }
        let address = url(of: node)
        guard !address.isEmpty, scheme(of: address) == nil, !address.hasPrefix("/"), !address.hasPrefix("#"), !address.hasPrefix("?") else { return }
        cmark_node_set_url(node, base + address)
    }

    /// Ids that the page around a body already uses, or that footnotes use.
    static let reservedIDs: Set<String> = ["similar-heading", "trends-heading"]

    /// Each heading's text as an id, GitHub's way: lowercased, letters, digits, `-` and `_`
    /// kept (any script), spaces as `-`, the rest dropped; a repeated one gets `-1`, `-2`.
    private static func anchorHeadings(_ headings: [OpaquePointer], document: Document) {
        var used = reservedIDs
        for heading in headings {
            let plain = Document.plainText(of: heading)
            var slug = String.UnicodeScalarView()
            for scalar in plain.lowercased().unicodeScalars {
                if scalar == " " || scalar == "-" {
                    slug.append("-")
                } else if scalar.properties.isAlphabetic || scalar.properties.numericType == .decimal || scalar == "_"
                    || scalar.properties.generalCategory == .nonspacingMark || scalar.properties.generalCategory == .spacingMark
                {
                    slug.append(scalar)
                }
            }
            var id = String(slug)
            if id.isEmpty || id.hasPrefix("fn-") || id.hasPrefix("fnref-") { id = "section" + (id.isEmpty ? "" : "-" + id) }
            var unique = id, n = 0
            while used.contains(unique) {
                n += 1
                unique = "\(id)-\(n)"
            }
            used.insert(unique)
            let level = cmark_node_get_heading_level(heading)
            let element = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK)!
            cmark_node_set_on_enter(element, "<h\(level) id=\"\(HTMLEscape.escape(unique))\">")
            cmark_node_set_on_exit(element, "</h\(level)>")
            while let child = cmark_node_first_child(heading) { cmark_node_append_child(element, child) }
            replace(heading, with: element)
        }
    }


    private static func remove(_ node: OpaquePointer) {
        cmark_node_unlink(node)
        cmark_node_free(node)
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
    /// One pass over the bytes: searching a `String` again from each match is quadratic
    /// (Foundation's `range(of:)` looks at the whole remainder each time).
    static func markExternalLinks(_ html: String) -> String {
        let opening = Array("<a href=\"".utf8)
        let withRel = Array("<a rel=\"\(externalLinkRel)\" href=\"".utf8)
        let bytes = Array(html.utf8)
        var out: [UInt8] = []
        var i = 0, copied = 0, any = false
        let n = bytes.count
        while i + opening.count <= n {
            guard bytes[i] == opening[0], bytes[i..<(i + opening.count)].elementsEqual(opening) else {
                i += 1
                continue
            }
            let start = i + opening.count
            var end = start
            while end < n, bytes[end] != UInt8(ascii: "\"") { end += 1 }
            let href = String(decoding: bytes[start..<end], as: UTF8.self).replacingOccurrences(of: "&amp;", with: "&")
            if isExternal(href) {
                if !any { out.reserveCapacity(n + 1024) }
                any = true
                out += bytes[copied..<i]
                out += withRel
                copied = start
            }
            i = end
        }
        guard any else { return html }
        out += bytes[copied...]
        return String(decoding: out, as: UTF8.self)
    }
}
