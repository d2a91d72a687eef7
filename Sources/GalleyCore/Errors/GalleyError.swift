/// An error a person can act on: a stable machine-readable `code` and a message that says what is
/// wrong and what to do about it.
///
/// Every layer reports failures through this one type: the model's checks, the store, the
/// server's routes and the client. On the wire it is one RFC 9457 problem document, the same for
/// a refused request (`application/problem+json`) and a refused change (a push result's `error`),
/// and the client decodes it back into this type.
public struct GalleyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable identifier (`title_empty`, `not_allowed`, …) that clients may match on.
    public var code: Code
    /// A sentence for a person: what is wrong and how to fix it.
    public var message: String
    /// The input field the error is about, when there is one (`title`, `tags`, …).
    public var field: String?
    /// Seconds to wait before trying again (too many attempts, storage unavailable).
    public var retryAfter: Int?

    public init(_ code: Code, _ message: String, field: String? = nil, retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.retryAfter = retryAfter
    }

    public var description: String { message }

    /// The catalogue of stable codes. New codes may be added; existing ones never change meaning.
    /// Each has one HTTP status (``status``): the server answers with it and the client reads it back.
    public enum Code: String, Hashable, Sendable, Codable, CaseIterable, CustomStringConvertible {
        // Input
        case titleEmpty = "title_empty"
        case titleTooLong = "title_too_long"
        case leadTooLong = "lead_too_long"
        case bodyTooLarge = "body_too_large"
        case tagInvalid = "tag_invalid"
        case unknownCategory = "unknown_category"
        case slugInvalid = "slug_invalid"
        case fieldInvalid = "field_invalid"
        /// A character no page, feed or database can carry (see ``TextRules``).
        case textInvalid = "text_invalid"
        case messageRequired = "message_required"
        /// A body, header or query the server cannot read (not JSON, a wrong type, an unknown field).
        case malformed
        case badQuery = "bad_query"
        case frontMatter = "front_matter"
        /// A request the server refused for a reason of HTTP's own.
        case badRequest = "bad_request"
        case tooLarge = "too_large"
        case tooManyChanges = "too_many_changes"
        case notAnImage = "not_an_image"
        // Who asks
        case unauthorized
        case tokenExpired = "token_expired"
        case userDisabled = "user_disabled"
        case wrongCredentials = "wrong_credentials"
        case tooManyAttempts = "too_many_attempts"
        case notAllowed = "not_allowed"
        case notAuthor = "not_author"
        // Workflow and sync
        case invalidTransition = "invalid_transition"
        case staleRevision = "stale_revision"
        case openConflict = "open_conflict"
        case slugTaken = "slug_taken"
        case alreadyExists = "already_exists"
        case articleDeleted = "article_deleted"
        /// A change id the archive already holds for another change (or another user's).
        case changeIDReused = "change_id_reused"
        case unknownBase = "unknown_base_revision"
        // Lookup
        case notFound = "not_found"
        case ambiguousID = "ambiguous_id"
        case methodNotAllowed = "method_not_allowed"
        // The server itself
        case storageUnavailable = "storage_unavailable"
        case serverError = "server_error"

        public var description: String { rawValue }

        /// The HTTP status of the code: the one table from code to status.
        public var status: Int {
            switch self {
            case .titleEmpty, .titleTooLong, .leadTooLong, .tagInvalid, .unknownCategory, .slugInvalid, .fieldInvalid, .textInvalid,
                .messageRequired, .malformed, .badQuery, .frontMatter, .badRequest, .unknownBase, .ambiguousID:
                400
            case .unauthorized, .tokenExpired, .userDisabled, .wrongCredentials: 401
            case .notAllowed, .notAuthor: 403
            case .notFound: 404
            case .methodNotAllowed: 405
            case .invalidTransition, .staleRevision, .openConflict, .slugTaken, .alreadyExists, .articleDeleted, .changeIDReused: 409
            case .bodyTooLarge, .tooLarge, .tooManyChanges: 413
            case .notAnImage: 415
            case .tooManyAttempts: 429
            case .serverError: 500
            case .storageUnavailable: 503
            }
        }

        /// The code a client gives an answer whose code it does not know (from a newer server, or
        /// not from Galley at all): the status still says whose fault it was.
        public static func unrecognized(status: Int) -> Code {
            switch status {
            case 401: .unauthorized
            case 403: .notAllowed
            case 404: .notFound
            case 405: .methodNotAllowed
            case 409: .invalidTransition
            case 413: .tooLarge
            case 429: .tooManyAttempts
            case 503: .storageUnavailable
            case 500...: .serverError
            default: .badRequest
            }
        }
    }

    /// The status's reason phrase, the problem document's `title`.
    public var title: String {
        switch code.status {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 409: "Conflict"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 429: "Too Many Requests"
        case 503: "Service Unavailable"
        default: "Internal Server Error"
        }
    }
}
