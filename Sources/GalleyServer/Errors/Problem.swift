import Foundation
import GalleyCore
import Hummingbird

/// An error response as RFC 9457 `application/problem+json`, with a stable `code` clients can
/// match on. Every error the server sends goes through here.
public struct Problem: Error, Sendable, Encodable, ResponseGenerator {
    public var status: Int
    public var code: String
    public var title: String
    public var detail: String
    /// The request field the problem is about, when there is one.
    public var field: String?
    /// Seconds to wait before retrying (429, 503).
    public var retryAfter: Int?
    /// The methods the address does accept (405).
    public var allow: [String]?

    public init(_ status: HTTPResponse.Status, code: String, detail: String, field: String? = nil, retryAfter: Int? = nil) {
        self.status = status.code
        self.code = code
        self.title = status.reasonPhrase
        self.detail = detail
        self.field = field
        self.retryAfter = retryAfter
    }

    enum CodingKeys: String, CodingKey { case status, code, title, detail, field, type }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("about:blank", forKey: .type)
        try c.encode(status, forKey: .status)
        try c.encode(code, forKey: .code)
        try c.encode(title, forKey: .title)
        try c.encode(detail, forKey: .detail)
        try c.encodeIfPresent(field, forKey: .field)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try GalleyJSON.encoder().encode(self)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        addHeaders(to: &headers)
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `Retry-After` and `Allow`, whichever apply; the HTML rendering of a problem sends them too.
    func addHeaders(to headers: inout HTTPFields) {
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow.joined(separator: ", ") }
    }

    /// The HTTP status for an error the model or store raised.
    static func status(for code: GalleyError.Code) -> HTTPResponse.Status {
        switch code {
        case .notFound: .notFound
        case .notAllowed, .notAuthor: .forbidden
        case .staleRevision, .openConflict, .invalidTransition, .alreadyExists, .slugTaken, .articleDeleted, .changeIDReused: .conflict
        case .bodyTooLarge: .contentTooLarge
        default: .badRequest
        }
    }

    public init(_ error: GalleyError) {
        self.init(Self.status(for: error.code), code: error.code.rawValue, detail: error.message, field: error.field)
    }
}
