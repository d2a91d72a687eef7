import Foundation
import GalleyCore
import GalleyStore
import Hummingbird
import Logging
import NIOHTTP1

/// Turns every error a route throws into a problem response, in one place. Input errors become
/// 4xx with a message; a database that cannot be written becomes 503; anything unexpected is
/// logged (without request bodies or secrets) and answered 500 with no internals.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Renders a problem as a page of the public site, for readers' browsers.
    var htmlPage: (@Sendable (_ problem: GalleyError, _ path: String) -> String)? = nil
    /// The routes, to tell "no such address" (404) from "not with this method" (405).
    var routes: RouteTemplates? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = ProblemResponse(error: Self.problem(for: error, logger: context.logger))
            // Hummingbird's router answers a known address asked with an unknown method as if the
            // address did not exist; say which methods it takes instead.
            if problem.error.code == .notFound, let allowed = routes?.methods(for: request.uri.path), !allowed.isEmpty,
                !allowed.contains(request.method.rawValue)
            {
                problem = ProblemResponse(
                    error: GalleyError(.methodNotAllowed, "\(request.method.rawValue) is not accepted at this address; it takes \(allowed.joined(separator: ", "))."),
                    allow: allowed)
            }
            if let htmlPage, Self.isReader(request) {
                var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
                problem.addHeaders(to: &headers)
                return Response(status: problem.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: htmlPage(problem.error, request.uri.path))))
            }
            return try problem.response(from: request, context: context)
        }
    }

    /// A browser asking for a page outside the API: it gets HTML, everything else (the CLI,
    /// scripts, API clients, which never send `Accept: text/html`) gets problem+json.
    static func isReader(_ request: Request) -> Bool {
        let path = request.uri.path
        guard !path.hasPrefix("/v1/"), path != "/v1" else { return false }
        return request.headers[values: .accept].contains { $0.contains("text/html") }
    }

    static func problem(for error: any Error, logger: Logger) -> GalleyError {
        switch error {
        case let error as GalleyError:
            return error
        case is HTTPParserError:
            // A body that is not HTTP (a broken chunk, a connection closed mid-body) is the
            // client's to fix, and no reason to log an error.
            return GalleyError(.badRequest, "The request body could not be read as HTTP (a malformed chunk, or the connection ended before the body did).")
        case let error as DecodingError:
            return GalleyError(.malformed, Self.describe(error), field: Self.field(of: error))
        case let error as any HTTPResponseError:
            // Hummingbird's own errors (and NIO's, such as a body over the size limit).
            let detail = (error as? HTTPError)?.body
            switch error.status {
            case .contentTooLarge: return GalleyError(.tooLarge, "The request body is larger than this server accepts.")
            case .notFound: return GalleyError(.notFound, detail ?? "There is nothing at this address.")
            case .methodNotAllowed: return GalleyError(.methodNotAllowed, "This address does not accept that method.")
            default:
                logger.error("unexpected HTTP error", metadata: ["status": "\(error.status.code)"])
                return GalleyError(error.status.code < 500 ? .badRequest : .serverError, detail ?? error.status.reasonPhrase)
            }
        case StoreError.unavailable(.unreachable):
            logger.error("archive unavailable", metadata: ["storage": "the database cannot be reached"])
            return GalleyError(
                .storageUnavailable, "The archive's database cannot be reached right now; nothing was changed. Try again in a moment.", retryAfter: 5)
        case StoreError.unavailable(let why):
            logger.error("archive unavailable for writing", metadata: ["storage": "\(why)"])
            return GalleyError(
                .storageUnavailable,
                "The archive cannot be written right now (\(why == .diskFull ? "the disk is full" : "storage error")); nothing was changed. Try again later.",
                retryAfter: 30)
        case let error as StoreError:
            // The store's message names the failing statement; statement arguments (which may hold
            // article text) are never in it, because GRDB keeps them out unless asked.
            logger.error("unexpected storage error", metadata: ["storage": "\(error)"])
            return GalleyError(.serverError, "Something went wrong on the server; nothing was changed. The error was logged.")
        default:
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return GalleyError(.serverError, "Something went wrong on the server; nothing was changed. The error was logged.")
        }
    }

    static func field(of error: DecodingError) -> String? {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        @unknown default: path = []
        }
        let names = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return names.isEmpty ? nil : names.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
    }

    static func describe(_ error: DecodingError) -> String {
        // "The field 'title'" where there is a path, "The body" at the top.
        let subject = Self.field(of: error).map { "The field '\($0)'" } ?? "The body"
        switch error {
        case .keyNotFound(let key, let context):
            let at = Self.field(of: .keyNotFound(key, .init(codingPath: context.codingPath, debugDescription: "")))
            return "The field '\(key.stringValue)' is missing\(at.map { $0 == key.stringValue ? "" : " (at \($0))" } ?? "")."
        case .typeMismatch(let type, _): return "\(subject) has the wrong type; expected \(Self.typeName(type))."
        case .valueNotFound(let type, _): return "\(subject) is null; expected \(Self.typeName(type))."
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "The body is not valid JSON in UTF-8 (\(context.debugDescription.trimmingCharacters(in: CharacterSet(charactersIn: "."))))." }
            return "\(subject) is invalid: \(context.debugDescription)"
        @unknown default: return "The body could not be read."
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "a whole number"
        case is Bool.Type: "true or false"
        case is Double.Type: "a number"
        default: "\(type)".contains("Array") ? "an array" : "an object"
        }
    }
}
