import Foundation

/// The fields of an article that a revision snapshots and an approval vouches for: everything a
/// reader sees. Absent values are empty strings, so a change can always say "set to X".
public struct ArticleContent: Hashable, Sendable, Codable {
    public var title: String
    public var lead: String
    /// Markdown.
    public var body: String
    /// A category slug, or empty while the article has none.
    public var category: String
    public var tags: Set<String>
    public var slug: String
    /// The image path (a media URL or a path under the media folder), or empty.
    public var image: String
    /// The credit line shown as "Image: …", or empty.
    public var imageCredit: String

    public init(
        title: String = "", lead: String = "", body: String = "", category: String = "",
        tags: Set<String> = [], slug: String = "", image: String = "", imageCredit: String = ""
    ) {
        self.title = title
        self.lead = lead
        self.body = body
        self.category = category
        self.tags = tags
        self.slug = slug
        self.image = image
        self.imageCredit = imageCredit
    }

    /// The same content in the one form that is stored and hashed: Unicode NFC, `\n` line ends,
    /// trimmed single-line fields. Two machines that type the same text get the same bytes.
    public func normalized() -> ArticleContent {
        var c = self
        for field in ContentField.single { c[text: field] = Self.normalizedField(field, self[text: field]) }
        c.tags = Set(tags.map(Self.tag))
        return c
    }

    /// `value` normalized as `field` is normalized in ``normalized()``.
    public static func normalizedField(_ field: ContentField, _ value: String) -> String {
        switch field.form {
        case .line: singleLine(value)
        case .paragraph: text(value).trimmingCharacters(in: .whitespacesAndNewlines)
        case .text: text(value)
        case .tags:
            ArticleContent(tags: Set(value.split(separator: ",").map { tag($0.trimmingCharacters(in: .whitespaces)) })).sortedTags.joined(separator: ", ")
        case .none: value
        }
    }

    /// A field as text (tags as a sorted, comma-separated list).
    public subscript(text field: ContentField) -> String {
        get {
            if let path = field.keyPath { return self[keyPath: path] }
            return field == .tags ? sortedTags.joined(separator: ", ") : ""
        }
        set {
            if let path = field.keyPath {
                self[keyPath: path] = newValue
            } else if field == .tags {
                tags = Set(newValue.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            }
        }
    }

    static func text(_ s: String) -> String {
        if isNFCWithoutCR(s) { return s }
        var t = s.precomposedStringWithCanonicalMapping
        if t.contains("\r") {
            t = t.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        }
        return t
    }

    /// Whether `s` is certainly NFC already and has no carriage returns, checked cheaply: no
    /// combining marks and none of the few characters NFC replaces. Prose in Latin or Cyrillic
    /// script, with typographic quotes and dashes, passes; anything doubtful is normalized.
    static func isNFCWithoutCR(_ s: String) -> Bool {
        var ascii = true
        for byte in s.utf8 {
            if byte == 0x0D { return false }
            if byte >= 0x80 { ascii = false }
        }
        if ascii { return true }
        for scalar in s.unicodeScalars where scalar.value >= 0x300 {
            let v = scalar.value
            // Cyrillic letters (not its combining marks, U+0483–U+0489) and typographic dashes,
            // quotes and ellipses are their own NFC and never marks: most of what an article in
            // Belarusian or Russian holds, decided without a look-up of the character's category.
            if (0x0400...0x0482).contains(v) || (0x048A...0x052F).contains(v) || (0x2010...0x2027).contains(v) { continue }
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: return false
            default: break
            }
            if (0x0340...0x0344).contains(v) || v == 0x0374 || v == 0x037E || v == 0x0387 || (0x0900...0x0DFF).contains(v)
                || (0x0F00...0x0FFF).contains(v) || (0x1100...0x11FF).contains(v) || (0x1F00...0x1FFF).contains(v)
                || v == 0x2000 || v == 0x2001 || v == 0x2126 || v == 0x212A || v == 0x212B || v == 0x2329 || v == 0x232A
                || v == 0x2ADC || (0x3100...0x318F).contains(v) || (0xAC00...0xD7AF).contains(v) || (0xF900...0xFAFF).contains(v)
                || (0xFB1D...0xFB4F).contains(v) || (0x1D100...0x1D1FF).contains(v) || (0x2F800...0x2FA1F).contains(v)
            {
                return false
            }
        }
        return true
    }

    static func singleLine(_ s: String) -> String {
        text(s).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A tag as it is stored and looked up: one line, without the `#` people type before it, in
    /// lowercase, so that "#Кітай", "кітай" and "КІТАЙ" are one tag and one page.
    public static func tag(_ s: String) -> String {
        var t = Substring(singleLine(s))
        while t.first == "#" { t = t.dropFirst() }
        return t.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// The tags in the order they are shown and hashed: by Unicode scalar values.
    public var sortedTags: [String] { tags.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) } }
}

/// The fields a change can touch, named as on the wire and in conflict records.
///
/// The one table of content fields: what each is called on the wire, in front matter and in the
/// database, how it is normalized and merged, where it lives in ``ArticleContent``. Codable
/// forms, normalization, diffs, change values, the front matter and the stored columns are all
/// driven from it, so a new field is a case here, its row in each property below, a stored
/// property of ``ArticleContent`` and its column in a migration.
public enum ContentField: String, Hashable, Sendable, Codable, CaseIterable {
    case title, lead, body, category, tags, slug, image, imageCredit
    /// Not a content field: a conflict between an edit and a delete of the same article.
    case deletion

    /// The content fields, in the order they are shown, diffed and written.
    public static let content: [ContentField] = allCases.filter { $0 != .deletion }
    /// The content fields that hold one string (all but tags).
    public static let single: [ContentField] = content.filter { $0.keyPath != nil }

    /// Where a single-valued field lives in ``ArticleContent``.
    public var keyPath: WritableKeyPath<ArticleContent, String>? {
        switch self {
        case .title: \.title
        case .lead: \.lead
        case .body: \.body
        case .category: \.category
        case .slug: \.slug
        case .image: \.image
        case .imageCredit: \.imageCredit
        case .tags, .deletion: nil
        }
    }

    /// How a field's text is normalized before it is stored and hashed.
    public enum Form: Sendable {
        /// One line, trimmed.
        case line
        /// Several lines, trimmed at both ends.
        case paragraph
        /// Markdown, kept as written but for NFC and line ends.
        case text
        /// A set of tags, each normalized by ``ArticleContent/tag(_:)``.
        case tags
        case none
    }

    public var form: Form {
        switch self {
        case .title, .category, .slug, .image, .imageCredit: .line
        case .lead: .paragraph
        case .body: .text
        case .tags: .tags
        case .deletion: .none
        }
    }

    /// Free text, merged line by line and word by word; the other fields are merged as a whole.
    public var isText: Bool { self == .title || self == .lead || self == .body }

    /// Words someone wrote, which a refused change must keep until its writer has them back.
    public var holdsWords: Bool { isText || self == .imageCredit }

    /// The key in an article file's front matter.
    public var frontMatterKey: String { self == .imageCredit ? "credit" : rawValue }

    /// The column in the database tables that store content.
    public var column: String { self == .imageCredit ? "image_credit" : rawValue }
}
