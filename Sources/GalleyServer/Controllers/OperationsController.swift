import Foundation
import GalleyCore
import GalleyStore
import Hummingbird
import Prometheus

/// Health, metrics and the API contract.
struct OperationsController {
    let environment: ServerEnvironment

    func addRoutes(to router: some RouterMethods<GalleyRequestContext>) {
        router.get("/healthz", use: health)
        router.get("/metrics", use: metrics)
        router.get("/openapi.yaml", use: contract)
    }

    /// No sequence number: anyone may ask, and its movement would tell them when someone edits a draft.
    struct Health: Encodable, Sendable {
        var status: String
        var epoch: String
        /// "sqlite" or "postgresql"; the answer itself says the database answered (else 503).
        var backend: String
    }

    @Sendable func health(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<Health> {
        JSONResponse(Health(status: "ok", epoch: try await environment.archive.epoch(), backend: environment.archive.backend))
    }

    @Sendable func metrics(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        var text = environment.metrics?.emitToBuffer() ?? Array("# metrics are not enabled in this process\n".utf8)
        // Read at each scrape from the database, so every server of one archive tells the same:
        // a writer holding the lock long is what stalls every pull cursor behind it.
        if let queue = try await environment.archive.writerQueue() {
            text += Array("""
                # HELP galley_writer_lock_held_seconds How long the transaction holding the archive's writer lock has been open (0: none); pulls see nothing newer until it ends.
                # TYPE galley_writer_lock_held_seconds gauge
                galley_writer_lock_held_seconds \(queue.heldSeconds)
                # HELP galley_writer_lock_waiting Transactions of every server waiting for the archive's writer lock.
                # TYPE galley_writer_lock_waiting gauge
                galley_writer_lock_waiting \(queue.waiting)

                """.utf8)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: text)))
    }

    @Sendable func contract(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml)))
    }
}
