import CCmarkGFM
import Foundation

/// Article Markdown as readers get it: CommonMark with GitHub's extensions (tables, footnotes,
/// strikethrough, task lists, autolinks), parsed by GitHub's own cmark-gfm, under Galley's
/// safety policy (``MarkdownPolicy``). The server's pages, `galley site build`, the Atom feed
/// and every plain-text use (excerpts on cards, descriptions) go through here, so what a reader
/// sees, what a feed carries and what an excerpt says come from one parse.
package enum Markdown {
    /// Which Markdown to speak. The site always uses `.gfm`; `.commonMark` is the core language
    /// alone, which the spec's examples are written for (GFM's autolinks deliberately link bare
    /// URLs the core spec leaves as text).
    package enum Dialect: Sendable {
        case gfm, commonMark
    }

    /// The body as HTML: safe by ``MarkdownPolicy``, and well-formed (every element closed,
    /// attributes quoted, text escaped).
    ///
    /// - Parameter linkBase: where the body is shown (`/articles/`): relative addresses in it
    ///   are resolved against it, so they mean on a feed or a static page what they mean live.
    package static func html(_ markdown: String, dialect: Dialect = .gfm, linkBase: String? = nil) -> String {
        Document(markdown, dialect: dialect, linkBase: linkBase).html()
    }

    /// The words a reader sees, without markup: raw HTML shown as the text it is, link and
    /// image addresses dropped, alt text kept. Paragraphs are separated by blank lines.
    package static func plainText(_ markdown: String, dialect: Dialect = .gfm) -> String {
        Document(markdown, dialect: dialect).plainText()
    }

    /// The first `words` words of ``plainText(_:dialect:)`` on one line, with "…" if there is
    /// more: for a card or a description when an article has no lead.
    package static func excerpt(_ markdown: String, words: Int = 40) -> String {
        // Split by scalar: a space followed by a combining mark is one Character, and
        // splitting by Character would drop the mark with the space.
        var all: [String] = []
        var word = String.UnicodeScalarView()
        for scalar in plainText(markdown).unicodeScalars {
            if scalar.properties.isWhitespace {
                if !word.isEmpty { all.append(String(word)); word = String.UnicodeScalarView() }
            } else {
                word.append(scalar)
            }
            if all.count > words { break }
        }
        if !word.isEmpty { all.append(String(word)) }
        let kept = all.prefix(words).joined(separator: " ")
        return all.count > words ? kept + " …" : kept
    }

    /// cmark-gfm's own safe rendering of the same parse (raw HTML omitted, script addresses
    /// blanked) without Galley's policy: the reference the policy is measured against in tests.
    package static func referenceHTML(_ markdown: String, dialect: Dialect = .gfm) -> String {
        Document(markdown, dialect: dialect, applyPolicy: false).html()
    }

    /// The raw HTML the parser found (blocks and inline tags), as written: what the policy shows
    /// as text instead of markup. For tests and for telling an analyst what will not render.
    package static func rawHTML(in markdown: String, dialect: Dialect = .gfm) -> [String] {
        var found: [String] = []
        let document = Document(markdown, dialect: dialect, applyPolicy: false)
        document.walk { node in
            let type = cmark_node_get_type(node)
            if type == CMARK_NODE_HTML_BLOCK || type == CMARK_NODE_HTML_INLINE, let literal = cmark_node_get_literal(node) {
                found.append(String(cString: literal))
            }
        }
        return found
    }
}

/// One parsed body: owns the cmark parser and tree and frees both.
final class Document {
    private let parser: OpaquePointer
    private let root: OpaquePointer
    private let options: Int32

    init(_ markdown: String, dialect: Markdown.Dialect, applyPolicy: Bool = true, linkBase: String? = nil) {
        _ = Extensions.registered
        var options = CMARK_OPT_VALIDATE_UTF8
        if dialect == .gfm { options |= CMARK_OPT_FOOTNOTES | CMARK_OPT_TABLE_PREFER_STYLE_ATTRIBUTES }
        self.options = options
        let parser: OpaquePointer = cmark_parser_new(options)
        self.parser = parser
        let prepared = ParserGuard.prepare(markdown)
        if dialect == .gfm {
            for name in Extensions.gfm where prepared.tables || name != "table" {
                if let extensionPointer = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(parser, extensionPointer) }
            }
        }
        var text = prepared.text
        root = Extensions.parsing.withLock {
            text.withUTF8 { bytes in
                bytes.withMemoryRebound(to: CChar.self) { cmark_parser_feed(parser, $0.baseAddress, $0.count) }
            }
            return cmark_parser_finish(parser)
        }
        if applyPolicy { MarkdownPolicy.apply(to: self, linkBase: linkBase) }
    }

    deinit {
        cmark_node_free(root)
        cmark_parser_free(parser)
    }

    func html() -> String {
        // Rendered without CMARK_OPT_UNSAFE: the policy has already turned raw HTML into text and
        // checked every address, so cmark's own safe mode is only a second line of defence.
        guard let rendered = cmark_render_html(root, options, cmark_parser_get_syntax_extensions(parser)) else { return "" }
        defer { free(rendered) }
        var html = String(cString: rendered)
        // cmark puts a custom block (a heading with its id) on lines of its own.
        if html.contains(" id=\"") {
            html = html.replacingOccurrences(of: #"(<h[1-6] id="[^"]*">)\n"#, with: "$1", options: .regularExpression)
                .replacingOccurrences(of: #"\n(</h[1-6]>)"#, with: "$1", options: .regularExpression)
        }
        return MarkdownPolicy.markExternalLinks(html)
    }

    /// The text a reader sees, block by block. cmark's own plain-text renderer keeps Markdown
    /// syntax it does not know (`~`, `|`, `[^1]`, list markers), so this walks the tree instead.
    func plainText() -> String { Self.plainText(of: root) }

    static func plainText(of root: OpaquePointer) -> String {
        guard let iterator = cmark_iter_new(root) else { return "" }
        defer { cmark_iter_free(iterator) }
        var out = ""
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            guard let node = cmark_iter_get_node(iterator) else { continue }
            let type = cmark_node_get_type(node)
            if event == CMARK_EVENT_ENTER {
                switch type {
                case CMARK_NODE_TEXT, CMARK_NODE_CODE, CMARK_NODE_HTML_INLINE, CMARK_NODE_CODE_BLOCK, CMARK_NODE_HTML_BLOCK:
                    if let literal = cmark_node_get_literal(node) { out += String(cString: literal) }
                case CMARK_NODE_SOFTBREAK, CMARK_NODE_LINEBREAK: out += "\n"
                default: break
                }
            } else if event == CMARK_EVENT_EXIT, type.rawValue & UInt32(CMARK_NODE_TYPE_MASK) == UInt32(CMARK_NODE_TYPE_BLOCK), node != root {
                switch cmark_node_get_type_string(node).map({ String(cString: $0) }) {
                case "table_cell": out += " "
                case "table_row", "item": out += "\n"
                default: out += "\n\n"
                }
            }
        }
        // Blocks end with a separator each; nested ones would pile them up.
        var lines: [Substring] = []
        for line in out.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace), lines.last?.allSatisfy(\.isWhitespace) ?? true { continue }
            lines.append(line.allSatisfy(\.isWhitespace) ? "" : line)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    /// Calls `visit` on every node, entering order; the tree must not change meanwhile.
    func walk(_ visit: (OpaquePointer) -> Void) {
        guard let iterator = cmark_iter_new(root) else { return }
        defer { cmark_iter_free(iterator) }
        while true {
            let event = cmark_iter_next(iterator)
            if event == CMARK_EVENT_DONE { break }
            if event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator) { visit(node) }
        }
    }
}

private enum Extensions {
    /// cmark-gfm's registry is a process-wide list that is not safe to fill from two threads;
    /// a Swift global is initialised once, atomically.
    static let registered: Void = cmark_gfm_core_extensions_ensure_registered()
    static let gfm = ["table", "strikethrough", "autolink", "tasklist"]
    /// One parse at a time in the process. Debian's cmark-gfm (0.29.0.gfm.6) keeps the
    /// characters that start an extension's inline syntax in one static table, which every
    /// parse fills as it reads inlines (the document's and each table row's) and empties after:
    /// a parse on another thread meanwhile missed its links and struck-out text, or found
    /// them where there were none. Rendering the parsed tree touches no shared state.
    static let parsing = NSLock()
}
