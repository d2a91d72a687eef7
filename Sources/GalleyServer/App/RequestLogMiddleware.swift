import Foundation
import GalleyCore
import Hummingbird
import Logging

/// Gives every request an id (`X-Request-Id`, taken from the request if a proxy set one) that is
/// in every log line about it, and logs one line per request: method, path (without the query,
/// which may hold search terms), status and duration. Bodies and headers are never logged, so
/// passwords and tokens cannot reach the log.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let incoming = request.headers.first { $0.name.canonicalName == "x-request-id" }?.value
        let id = incoming.flatMap { $0.count <= 64 && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } ? $0 : nil }
            ?? UUIDText.lowercased(UUID())
        context.logger[metadataKey: "request_id"] = .string(id)
        let start = DispatchTime.now().uptimeNanoseconds
        var response = try await next(request, context)
        response.headers.append(.init(name: .init("X-Request-Id")!, value: id))
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
        context.logger.info("request", metadata: [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path),
            "status": .stringConvertible(response.status.code), "ms": .string(String(format: "%.1f", ms)),
        ])
        return response
    }
}
