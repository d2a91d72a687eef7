import Foundation

/// The rules content must meet before it is stored. Every failure is a ``GalleyError`` that names
/// the field and says how to fix it.
public struct ArticleValidator: Sendable {
    public static let maxTitleLength = 300
    public static let maxLeadLength = 5_000
    public static let maxBodyBytes = 1 << 20
    public static let maxTagLength = 64
    public static let maxTags = 50
    public static let maxImageCreditLength = 300
    public static let maxImageLength = 2048
    /// Notes and the messages of requests for changes and retractions.
    public static let maxNoteLength = 20_000

    /// The categories an article may name; `nil` accepts any (a replica that has not synced the
    /// list yet, for example).
    public var categories: Set<String>?

    public init(categories: Set<String>? = nil) {
        self.categories = categories
    }

    /// Checks normalized content. `slugTaken` answers whether another article already uses a slug.
    public func validate(_ content: ArticleContent, slugTaken: (String) -> Bool = { _ in false }) throws(GalleyError) {
        // Characters first: a title of one control character is not "empty", it is unreadable.
        for field in ContentField.single {
            try TextRules.check(content[text: field], field: field.rawValue, kind: TextRules.kind(of: field))
        }
        for tag in content.sortedTags { try TextRules.check(tag, field: "tags", kind: .label) }
        let title = content.title
        if title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw GalleyError(.titleEmpty, "The title is empty; every article needs a title.", field: "title")
        }
        // Lengths count Unicode scalars: a character can carry any number of combining marks.
        if title.unicodeScalars.count > Self.maxTitleLength {
            throw GalleyError(
                .titleTooLong,
                "The title has \(title.unicodeScalars.count) characters; shorten it to at most \(Self.maxTitleLength).", field: "title")
        }
        if title.contains(where: \.isNewline) {
            throw GalleyError(.fieldInvalid, "The title must be one line.", field: "title")
        }
        if content.lead.unicodeScalars.count > Self.maxLeadLength {
            throw GalleyError(
                .leadTooLong,
                "The lead has \(content.lead.unicodeScalars.count) characters; shorten it to at most \(Self.maxLeadLength).", field: "lead")
        }
        let bodyBytes = content.body.utf8.count
        if bodyBytes > Self.maxBodyBytes {
            throw GalleyError(
                .bodyTooLarge,
                "The body is \(bodyBytes) bytes; the limit is 1 MiB (\(Self.maxBodyBytes) bytes). Split the article or move material out.",
                field: "body")
        }
        if content.tags.count > Self.maxTags {
            throw GalleyError(.tagInvalid, "The article has \(content.tags.count) tags; use at most \(Self.maxTags).", field: "tags")
        }
        for tag in content.sortedTags { try Self.validateTag(tag) }
        if !content.category.isEmpty, let categories, !categories.contains(content.category) {
            let known = categories.sorted().joined(separator: ", ")
            throw GalleyError(
                .unknownCategory,
                "There is no category '\(content.category)'. Known categories: \(known.isEmpty ? "none yet (an admin adds them)" : known).",
                field: "category")
        }
        if !Slug.isValid(content.slug) {
            throw GalleyError(
                .slugInvalid,
                "The slug '\(content.slug)' is not valid: use lowercase letters, digits and single hyphens, at most \(Slug.maxLength) characters (for example '\(Slug.make(from: content.title))').",
                field: "slug")
        }
        if slugTaken(content.slug) {
            throw GalleyError(
                .slugTaken,
                "Another article already uses the slug '\(content.slug)'; choose another (for example '\(content.slug)-2').",
                field: "slug")
        }
        if content.imageCredit.unicodeScalars.count > Self.maxImageCreditLength || content.imageCredit.contains(where: \.isNewline) {
            throw GalleyError(.fieldInvalid, "The image credit must be one line of at most \(Self.maxImageCreditLength) characters.", field: "imageCredit")
        }
        if content.image.utf8.count > Self.maxImageLength {
            throw GalleyError(.fieldInvalid, "The image address is longer than \(Self.maxImageLength) bytes.", field: "image")
        }
    }

    /// Tags are short labels: not empty, no commas (they separate tags on the command line), no
    /// control characters.
    public static func validateTag(_ tag: String) throws(GalleyError) {
        if tag.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw GalleyError(.tagInvalid, "A tag is empty; remove it or give it a name.", field: "tags")
        }
        if tag.contains(",") {
            throw GalleyError(.tagInvalid, "The tag '\(tag)' contains a comma; add several tags separately instead.", field: "tags")
        }
        try TextRules.check(tag, field: "tags", kind: .label)
        if tag.unicodeScalars.count > maxTagLength {
            throw GalleyError(.tagInvalid, "The tag '\(tag.prefix(20))…' is longer than \(maxTagLength) characters.", field: "tags")
        }
    }
}
