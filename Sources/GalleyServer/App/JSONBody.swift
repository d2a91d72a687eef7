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
            throw GalleyError(.malformed, "The request needs a JSON body.")
        }
        let data = Data(buffer.readableBytesView)
        guard String(validating: data, as: UTF8.self) != nil else {
            throw GalleyError(.malformed, "The body is not valid UTF-8.")
        }
        return try GalleyJSON.decoder().decode(T.self, from: data)
    }
}

extension Parameters {
    /// A path parameter as the text it encodes: `/articles/%D0%BC%D1%96…` names the slug `мі…`.
    /// Every route reads its parameters through here, so that no address works in one place and
    /// 404s in another. A segment that is not UTF-8, or that holds a character no Galley name can
    /// have, names nothing: 404.
    func text(_ name: String) throws -> String {
        let raw = get(name) ?? ""
        guard let decoded = raw.removingPercentEncoding, TextRules.problem(in: decoded, kind: .label) == nil else {
            throw GalleyError(.notFound, "There is nothing at this address ('\(raw)' is not a name Galley gives).")
        }
        // In the form Galley stores names in (NFC): "ў" typed as у and a combining breve finds it too.
        return decoded.precomposedStringWithCanonicalMapping
    }

    /// The `{id}` path parameter as an article id, or a 404 that says what was wrong.
    func articleID(_ name: String = "id") throws -> ArticleID {
        let raw = try text(name)
        guard let id = ArticleID(raw) else {
            throw GalleyError(.notFound, "'\(raw)' is not an article id; use the full UUID.")
        }
        return id
    }
}

extension URI {
    /// A query parameter as an HTML form sends it (`+` is a space, `%XX` a UTF-8 byte), or nil
    /// when absent. Every route reads its query through here. A value that is not UTF-8 text, or
    /// that holds a control character, is a 400 naming the parameter.
    func form(_ name: String) throws -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard Self.formDecode(parts[0]) == name else { continue }
            let raw = parts.count > 1 ? parts[1] : ""
            guard let value = Self.formDecode(raw) else {
                throw GalleyError(.malformed, "The query parameter \(name) is not valid UTF-8 text.", field: name)
            }
            try TextRules.check(value, field: name, kind: .line)
            return value.precomposedStringWithCanonicalMapping
        }
        return nil
    }

    static func formDecode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// An integer query parameter within `range`, or a 400 naming it.
    func intQuery(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = try form(name) else { return value }
        guard let n = Int(raw), range.contains(n) else {
            throw GalleyError(.malformed, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound); got '\(raw)'.", field: name)
        }
        return n
    }
}
