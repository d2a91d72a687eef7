import Foundation
import GalleyCore
import GalleyStore
import Hummingbird
import Prometheus

/// Health, metrics and the API contract.
struct OperationsRoutes {
    let environment: ServerEnvironment

    /// No sequence number: anyone may ask, and its movement would tell them when someone edits a draft.
    struct Health: Encodable, Sendable {
        var status: String
        var epoch: String
    }

    func register(_ routes: inout RouteList) {
        let environment = environment
        routes.add(.get, "/healthz") { _, _ in
            JSONResponse(Health(status: "ok", epoch: try await environment.archive.epoch()))
        }
        routes.add(.get, "/metrics") { _, _ in
            let text = environment.metrics?.emitToBuffer() ?? Array("# metrics are not enabled in this process\n".utf8)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        routes.add(.get, "/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_yaml)))
        }
    }
}
