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
        // A key twice in one object is read by different parsers differently (the first or the
        // last wins): a proxy, a log and the server could each see another request. Refused.
        if let key = JSONKeys.repeated(in: data) {
            throw GalleyError(.malformed, "The body names '\(key.prefix(40))' twice in one object; send it once.", field: String(key.prefix(40)))
        }
        return try GalleyJSON.decoder().decode(T.self, from: data)
    }
}

/// Finds a key repeated within one JSON object. Reads structure only (strings, objects, arrays,
/// commas); whether the text is JSON at all is the decoder's to say.
enum JSONKeys {
    static func repeated(in data: Data) -> String? {
        enum Container { case object(keys: Set<String>, expectingKey: Bool), array }
        var stack: [Container] = []
        return data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> String? in
            var i = 0
            let n = bytes.count
            while i < n {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    let start = i + 1
                    var escaped = false
                    i += 1
                    while i < n, bytes[i] != UInt8(ascii: "\"") {
                        if bytes[i] == UInt8(ascii: "\\") { escaped = true; i += 1 }
                        i += 1
                    }
                    if case .object(var keys, true)? = stack.last {
                        let raw = Data(bytes[start..<min(i, n)])
                        // An escaped key ("r\u006fle") is the key it spells.
                        let key = escaped
                            ? (try? JSONDecoder().decode(String.self, from: Data("\"".utf8) + raw + Data("\"".utf8))) ?? String(decoding: raw, as: UTF8.self)
                            : String(decoding: raw, as: UTF8.self)
                        guard keys.insert(key).inserted else { return key }
                        stack[stack.count - 1] = .object(keys: keys, expectingKey: false)
                    }
                case UInt8(ascii: "{"): stack.append(.object(keys: [], expectingKey: true))
                case UInt8(ascii: "["): stack.append(.array)
                case UInt8(ascii: "}"), UInt8(ascii: "]"): if !stack.isEmpty { stack.removeLast() }
                case UInt8(ascii: ","):
                    if case .object(let keys, _)? = stack.last { stack[stack.count - 1] = .object(keys: keys, expectingKey: true) }
                default: break
                }
                i += 1
            }
            return nil
        }
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
