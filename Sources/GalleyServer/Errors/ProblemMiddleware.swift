import Foundation
import GRDB
import GalleyCore
import GalleyStore
import Hummingbird
import Logging

/// Turns every error a route throws into a problem response, in one place. Input errors become
/// 4xx with a message; a database that cannot be written becomes 503; anything unexpected is
/// logged (without request bodies or secrets) and answered 500 with no internals.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Renders a problem as a page of the public site, for readers' browsers.
    var htmlPage: (@Sendable (_ problem: Problem, _ path: String) -> String)? = nil
    /// The routes, to tell "no such address" (404) from "not with this method" (405).
    var routes: RouteTemplates? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Self.problem(for: error, logger: context.logger)
            // Hummingbird's router answers a known address asked with an unknown method as if the
            // address did not exist; say which methods it takes instead.
            if problem.status == 404, let allowed = routes?.methods(for: request.uri.path), !allowed.isEmpty, !allowed.contains(request.method.rawValue) {
                problem = Problem(.methodNotAllowed, code: "method_not_allowed",
                                  detail: "\(request.method.rawValue) is not accepted at this address; it takes \(allowed.joined(separator: ", ")).")
                problem.allow = allowed
            }
            if let htmlPage, Self.isReader(request) {
                var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
                problem.addHeaders(to: &headers)
                return Response(status: .init(code: problem.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: htmlPage(problem, request.uri.path))))
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

    static func problem(for error: any Error, logger: Logger) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as GalleyError:
            return Problem(error)
        case let error as DecodingError:
            return Problem(.badRequest, code: "malformed", detail: Self.describe(error), field: Self.field(of: error))
        case let error as any HTTPResponseError:
            // Hummingbird's own errors (and NIO's, such as a body over the size limit).
            let detail = (error as? HTTPError)?.body
            switch error.status {
            case .contentTooLarge:
                return Problem(.contentTooLarge, code: "too_large", detail: "The request body is larger than this server accepts.")
            case .notFound:
                return Problem(.notFound, code: "not_found", detail: detail ?? "There is nothing at this address.")
            case .methodNotAllowed:
                return Problem(.methodNotAllowed, code: "method_not_allowed", detail: "This address does not accept that method.")
            default:
                return Problem(error.status, code: error.status.code < 500 ? "bad_request" : "server_error", detail: detail ?? error.status.reasonPhrase)
            }
        case let error as DatabaseError where [.SQLITE_READONLY, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_ABORT].contains(error.resultCode):
            logger.error("archive unavailable for writing", metadata: ["sqlite": "\(error.resultCode)"])
            return Problem(.serviceUnavailable, code: "storage_unavailable",
                           detail: "The archive cannot be written right now (\(error.resultCode == .SQLITE_FULL ? "the disk is full" : "storage error")); nothing was changed. Try again later.",
                           retryAfter: 30)
        case let error as DatabaseError:
            // The SQLite message names the failing statement; statement arguments (which may hold
            // article text) are never in it, because GRDB keeps them out unless asked.
            logger.error("unexpected database error", metadata: ["sqlite": "\(error.extendedResultCode)", "message": "\(error.message ?? "")"])
            return Problem(.internalServerError, code: "server_error", detail: "Something went wrong on the server; nothing was changed. The error was logged.")
        default:
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: type(of: error)))"])
            return Problem(.internalServerError, code: "server_error", detail: "Something went wrong on the server; nothing was changed. The error was logged.")
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
        let field = Self.field(of: error).map { "'\($0)'" } ?? "the body"
        switch error {
        case .keyNotFound(let key, _): return "The field '\(key.stringValue)' is missing\(Self.field(of: error).map { " (at \($0))" } ?? "")."
        case .typeMismatch(let type, _): return "The field \(field) has the wrong type; expected \(Self.typeName(type))."
        case .valueNotFound(let type, _): return "The field \(field) is null; expected \(Self.typeName(type))."
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "The body is not valid JSON (UTF-8): \(context.debugDescription)" }
            return "The field \(field) is invalid: \(context.debugDescription)"
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
