import Foundation
import GalleyCore
import Hummingbird
import HummingbirdCore

/// A JSON response in Galley's wire conventions (RFC 3339 times with milliseconds, sorted keys).
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator, Sendable {
    var status: HTTPResponse.Status = .ok
    var value: Value

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try GalleyJSON.encoder().encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Request {
    /// Reads the whole body, at most `limit` bytes (413 beyond), and decodes it as Galley JSON.
    /// Malformed JSON, invalid UTF-8 and wrong types become 400 problems naming the field.
    mutating func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int) async throws -> T {
        let buffer = try await collectBody(upTo: limit)
        guard buffer.readableBytes > 0 else {
            throw Problem(.badRequest, code: "malformed", detail: "The request needs a JSON body.")
        }
        let data = Data(buffer.readableBytesView)
        guard String(validating: data, as: UTF8.self) != nil else {
            throw Problem(.badRequest, code: "malformed", detail: "The body is not valid UTF-8.")
        }
        return try GalleyJSON.decoder().decode(T.self, from: data)
    }
}

extension Parameters {
    /// The `{id}` path parameter as an article id, or a 404 that says what was wrong.
    func articleID(_ name: String = "id") throws -> ArticleID {
        let raw = get(name) ?? ""
        guard let id = ArticleID(raw) else {
            throw Problem(.notFound, code: "not_found", detail: "'\(raw)' is not an article id; use the full UUID.")
        }
        return id
    }
}

extension URI {
    /// An integer query parameter within `range`, or a 400 naming it.
    func intQuery(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = queryParameters.get(name) else { return value }
        guard let n = Int(raw), range.contains(n) else {
            throw Problem(.badRequest, code: "malformed", detail: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound); got '\(raw)'.", field: name)
        }
        return n
    }
}
