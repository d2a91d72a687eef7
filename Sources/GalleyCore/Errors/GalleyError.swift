/// An error a person can act on: a stable machine-readable `code` and a message that says what is
/// wrong and what to do about it.
///
/// Every layer reports failures through this one type, so that the server turns them into
/// `application/problem+json` in one place and the CLI prints them the same way everywhere.
public struct GalleyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable identifier (`title_empty`, `not_allowed`, …) that clients may match on.
    public var code: Code
    /// A sentence for a person: what is wrong and how to fix it.
    public var message: String
    /// The input field the error is about, when there is one (`title`, `tags`, …).
    public var field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { message }

    /// Stable error codes. New codes may be added; existing ones never change meaning.
    public struct Code: RawRepresentable, Hashable, Sendable, Codable, ExpressibleByStringLiteral,
        CustomStringConvertible
    {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { self.rawValue = value }
        public var description: String { rawValue }
    }
}

extension GalleyError.Code {
    // Validation
    public static let titleEmpty: Self = "title_empty"
    public static let titleTooLong: Self = "title_too_long"
    public static let leadTooLong: Self = "lead_too_long"
    public static let bodyTooLarge: Self = "body_too_large"
    public static let tagInvalid: Self = "tag_invalid"
    public static let unknownCategory: Self = "unknown_category"
    public static let slugInvalid: Self = "slug_invalid"
    public static let slugTaken: Self = "slug_taken"
    public static let fieldInvalid: Self = "field_invalid"
    /// A character no page, feed or database can carry (see ``TextRules``).
    public static let textInvalid: Self = "text_invalid"
    public static let messageRequired: Self = "message_required"
    // Workflow and authorization
    public static let notAllowed: Self = "not_allowed"
    public static let notAuthor: Self = "not_author"
    public static let invalidTransition: Self = "invalid_transition"
    public static let staleRevision: Self = "stale_revision"
    public static let openConflict: Self = "open_conflict"
    // Lookup and sync
    public static let notFound: Self = "not_found"
    public static let ambiguousID: Self = "ambiguous_id"
    public static let unknownBase: Self = "unknown_base_revision"
    public static let articleDeleted: Self = "article_deleted"
    public static let malformed: Self = "malformed"
    public static let alreadyExists: Self = "already_exists"
    public static let badQuery: Self = "bad_query"
    public static let frontMatter: Self = "front_matter"
    /// A change id the archive already holds for another change (or another user's).
    public static let changeIDReused: Self = "change_id_reused"
}
