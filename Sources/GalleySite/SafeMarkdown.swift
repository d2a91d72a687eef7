import GalleyMarkdown
import Synchronization

/// Markdown as the public site shows it: CommonMark + GFM under Galley's safety policy
/// (``GalleyMarkdown/MarkdownPolicy``). Pages, `galley site build` and feeds all call this.
package enum SafeMarkdown {
    /// Bodies are shown at `/articles/{slug}`: a relative link in one resolves from there.
    package static func html(_ markdown: String) -> String {
        htmlCache.value(for: markdown) { Markdown.html($0, linkBase: "/articles/") }
    }

    /// The words of a body without markup, for a card or description when there is no lead.
    package static func excerpt(_ markdown: String) -> String {
        excerptCache.value(for: markdown) { Markdown.excerpt($0, words: 40) }
    }

    // A published body is rendered once, not on every view: a page of 20 cards parsed 20 bodies
    // per request, and a 1 MiB body costs about a second to parse on this machine.
    static let htmlCache = RenderCache(limitBytes: 48 << 20)
    static let excerptCache = RenderCache(limitBytes: 16 << 20)
}

/// Rendered text by source text, bounded in bytes; the oldest entries go first.
final class RenderCache: Sendable {
    private struct State {
        var entries: [String: String] = [:]
        var order: [String] = []
        var head = 0
        var bytes = 0
    }

    private let state = Mutex(State())
    private let limitBytes: Int

    init(limitBytes: Int) { self.limitBytes = limitBytes }

    func value(for source: String, _ render: (String) -> String) -> String {
        if let hit = state.withLock({ $0.entries[source] }) { return hit }
        let rendered = render(source)
        let size = source.utf8.count + rendered.utf8.count
        guard size <= limitBytes / 4 else { return rendered }
        state.withLock { s in
            guard s.entries[source] == nil else { return }
            s.entries[source] = rendered
            s.order.append(source)
            s.bytes += size
            while s.bytes > limitBytes, s.head < s.order.count {
                let old = s.order[s.head]
                s.head += 1
                if let value = s.entries.removeValue(forKey: old) { s.bytes -= old.utf8.count + value.utf8.count }
            }
            if s.head > 1024, s.head * 2 > s.order.count {
                s.order.removeFirst(s.head)
                s.head = 0
            }
        }
        return rendered
    }
}

/// Escaping for text that Galley itself puts into HTML and XML (titles, leads, names, feeds):
/// ``GalleyMarkdown/HTMLEscape``, under the name the site's code and tests know.
package enum HTMLSanitizer {
    package static func escape(_ text: String) -> String { HTMLEscape.escape(text) }
}
