import Foundation
import GalleyCore
import Yams

/// An article as a Markdown file with YAML front matter: what `galley edit` opens in the
/// editor and what `export`/`import` read and write. Static site generators read the same shape.
///
/// ```
/// ---
/// title: Minsk hopes to boost cooperation with Beijing
/// lead: Minsk aspires to replace the Kremlin with Beijing in some spheres.
/// category: politics
/// tags: [belarus, china]
/// slug: minsk-hopes-to-boost-cooperation-with-beijing
/// image: /media/3f/…jpg
/// credit: Catholic.by
/// ---
/// The body, in Markdown.
/// ```
///
/// Its keys are the content fields (``ContentField``, by their ``ContentField/frontMatterKey``),
/// in their order, the body after the front matter.
@dynamicMemberLookup
package struct ArticleDocument: Equatable, Sendable {
    /// The one-string fields as written in the file, the body included.
    private var values: [ContentField: String] = [:]
    /// The tags in the order the file lists them.
    package var tags: [String]
    /// Extra keys written on export (id, state, dates); ignored on import.
    package var extra: [(String, String)] = []

    /// The front matter's keys, in the order they are written.
    package static let keys = ContentField.content.filter { $0 != .body }.map(\.frontMatterKey)
    static let informational: Set<String> = ["id", "state", "authors", "published", "updated", "date"]

    package init(_ content: ArticleContent) {
        for field in ContentField.single { values[field] = content[text: field] }
        tags = content.sortedTags
    }

    /// A field as the file has it: `document.title`, `document.imageCredit`.
    package subscript(dynamicMember path: WritableKeyPath<ArticleContent, String>) -> String {
        get { ContentField.single.first { $0.keyPath == path }.flatMap { values[$0] } ?? "" }
        set { if let field = ContentField.single.first(where: { $0.keyPath == path }) { values[field] = newValue } }
    }

    package static func == (a: ArticleDocument, b: ArticleDocument) -> Bool {
        a.content == b.content
    }

    package var content: ArticleContent {
        var content = ArticleContent(tags: Set(tags))
        for field in ContentField.single { content[text: field] = values[field] ?? "" }
        return content.normalized()
    }

    /// The file text.
    package func render() -> String {
        func scalar(_ s: String) -> String {
            // Yams quotes what YAML would otherwise misread (a colon, a leading dash, "yes", …).
            let dumped = (try? Yams.dump(object: s, width: -1, allowUnicode: true)) ?? "\"\(s)\"\n"
            var line = dumped.hasSuffix("\n") ? String(dumped.dropLast()) : dumped
            if line.hasPrefix("--- ") { line.removeFirst(4) }
            if line.hasSuffix("\n...") { line.removeLast(4) }
            // libyaml writes characters beyond the Basic Multilingual Plane (emoji) as \U escapes,
            // unreadable in an editor: quote such a value ourselves, keeping them as they are.
            return line.contains("\\U") || line.contains("\\u") || line.contains("\\x") ? Self.doubleQuoted(s) : line
        }
        var out = "---\n"
        for field in ContentField.content where field != .body {
            let value = field == .tags ? "[\(tags.map(scalar).joined(separator: ", "))]" : scalar(values[field] ?? "")
            out += "\(field.frontMatterKey): \(value)\n"
        }
        for (key, value) in extra { out += "\(key): \(scalar(value))\n" }
        out += "---\n"
        let body = values[.body] ?? ""
        out += body
        if !body.isEmpty && !body.hasSuffix("\n") { out += "\n" }
        return out
    }

    /// A YAML double-quoted scalar that escapes only what YAML requires.
    static func doubleQuoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{2028}": out += "\\L"
            case "\u{2029}": out += "\\P"
            default:
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0xFEFF {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A plain `~`, `null` or empty value; a quoted "null" is text.
    static func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar else { return false }
        return scalar.style == .plain && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// Reads a file's text. Every problem is a `GalleyError` that says where and what.
    package static func parse(_ text: String, source: String = "the file") throws(GalleyError) -> ArticleDocument {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n")
        guard normalized.hasPrefix("---\n") else {
            throw GalleyError(.frontMatter, "\(source) does not start with front matter: the first line must be '---', then 'title: …', then '---'.")
        }
        // The front matter ends at the next line that is exactly '---'.
        let lines = normalized.split(separator: "\n", omittingEmptySubsequences: false)
        guard let close = lines.dropFirst().firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "---" }) else {
            throw GalleyError(.frontMatter, "\(source): the front matter is not closed; add a line '---' after its last key.")
        }
        let yaml = lines[1..<close].joined(separator: "\n")
        let body = lines[(close + 1)...].joined(separator: "\n")
        // Composed to nodes rather than loaded as values: Yams.load traps on a mapping key that
        // is not text (`{a: b}: c`), and a typo in a file must never crash the client.
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw GalleyError(.frontMatter, "\(source): the front matter is not valid YAML (\(String(describing: error).prefix(200))).")
        }
        var map: [String: Node] = [:]
        if let root, !Self.isNull(root) {
            guard let mapping = root.mapping else {
                throw GalleyError(.frontMatter, "\(source): the front matter must be keys and values such as 'title: …'.")
            }
            for (keyNode, value) in mapping {
                guard let key = keyNode.scalar?.string else {
                    throw GalleyError(.frontMatter, "\(source): every key in the front matter must be a word such as 'title'.")
                }
                map[key] = value
            }
        }
        for key in map.keys.sorted() where !keys.contains(key) && !informational.contains(key) {
            throw GalleyError(.frontMatter, "\(source): unknown key '\(key)' in the front matter; the keys are \(keys.joined(separator: ", ")).")
        }
        // Scalars are taken as written, so `title: 1.50` stays "1.50" and `slug: 007` stays "007".
        func string(_ key: String) throws(GalleyError) -> String {
            guard let value = map[key], !Self.isNull(value) else { return "" }
            guard let scalar = value.scalar else {
                throw GalleyError(.frontMatter, "\(source): '\(key)' must be text, not a list or a mapping.", field: key)
            }
            return scalar.string
        }
        var tags: [String] = []
        if let value = map["tags"], !Self.isNull(value) {
            if let list = value.sequence {
                for item in list {
                    guard let tag = item.scalar?.string, !Self.isNull(item) else {
                        throw GalleyError(.frontMatter, "\(source): every tag must be text.", field: "tags")
                    }
                    tags.append(tag)
                }
            } else if let scalar = value.scalar {
                tags = scalar.string.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            } else {
                throw GalleyError(.frontMatter, "\(source): 'tags' must be a list such as [belarus, china].", field: "tags")
            }
        }
        var doc = ArticleDocument(ArticleContent())
        for field in ContentField.single where field != .body { doc.values[field] = try string(field.frontMatterKey) }
        doc.tags = tags
        doc.body = body
        return doc
    }
}
