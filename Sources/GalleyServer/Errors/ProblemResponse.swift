import Foundation
import GalleyCore
import Hummingbird

/// A ``GalleyError`` as an HTTP answer: RFC 9457 `application/problem+json` with the status its
/// code has in the catalogue. Every error the server sends goes through here.
struct ProblemResponse: ResponseGenerator, Sendable {
    var error: GalleyError
    /// The methods the address does accept (405).
    var allow: [String]? = nil

    var status: HTTPResponse.Status { .init(code: error.code.status) }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try GalleyJSON.encoder().encode(error)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        addHeaders(to: &headers)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `Retry-After` and `Allow`, whichever apply; the HTML rendering of a problem sends them too.
    func addHeaders(to headers: inout HTTPFields) {
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow.joined(separator: ", ") }
        // RFC 9110: a 401 names the scheme that would do.
        if error.code.status == 401 { headers[.wwwAuthenticate] = "Bearer" }
    }
}
