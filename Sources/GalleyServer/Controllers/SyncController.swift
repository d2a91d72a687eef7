import Foundation
import GalleyCore
import GalleyStore
import Hummingbird
import Metrics

/// Push and pull: how replicas exchange changes with the archive.
struct SyncController {
    let environment: ServerEnvironment
    static let maxChanges = 500
    static let maxPushBytes = 8 << 20
    static let maxPullBytes = 4 << 20

    func addRoutes(to router: some RouterMethods<GalleyRequestContext>) {
        router.post("/v1/sync/push", use: push)
        router.get("/v1/sync/pull", use: pull)
        router.get("/v1/sync/snapshot", use: snapshot)
    }

    @Sendable func push(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<PushReply> {
        let actor = try context.requireActor()
        var request = request
        let push = try await request.decodeJSON(PushRequest.self, limit: min(Self.maxPushBytes, environment.configuration.maxBodyBytes))
        guard push.changes.count <= Self.maxChanges else {
            throw GalleyError(.tooManyChanges, "A push carries at most \(Self.maxChanges) changes; this one has \(push.changes.count). Send the rest in another push.")
        }
        Recorder(label: "galley_push_batch_size").record(push.changes.count)
        let results = try await environment.archive.apply(push.changes, by: actor, at: environment.now)
        for result in results {
            Counter(label: "galley_changes_total", dimensions: [("status", result.status.rawValue)]).increment()
            if !result.conflicts.isEmpty { Counter(label: "galley_conflicts_total").increment(by: result.conflicts.count) }
        }
        return JSONResponse(PushReply(results: results))
    }

    @Sendable func pull(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<PullPage> {
        let actor = try context.requireActor()
        let since = try request.uri.intQuery("since", default: 0, range: 0...Int(Int64.max / 2))
        let limit = try request.uri.intQuery("limit", default: 100, range: 1...500)
        let page = try await environment.archive.pull(since: Int64(since), limit: limit, maxBytes: Self.maxPullBytes, viewer: actor)
        Recorder(label: "galley_pull_page_size").record(page.articles.count)
        return JSONResponse(page)
    }

    /// A prepared replica for a reviewer's first sync, as a SQLite file (``ReplicaSnapshots``).
    /// 404 whenever there is none for this viewer and replica schema: the laptop then pulls.
    @Sendable func snapshot(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        let actor = try context.requireActor()
        // A form-encoded space (+) reads as one: no schema's name holds a plus.
        guard let schema = request.uri.queryParameters.get("schema")?.replacingOccurrences(of: "+", with: " "), !schema.isEmpty else {
            throw GalleyError(.malformed, "Say which replica schema the snapshot is for: ?schema= and the replica's last migration (galley sends it).", field: "schema")
        }
        guard actor.role.canReview else {
            throw GalleyError(.notFound, "Prepared replicas are for editors and admins, who all see the same archive; an analyst's first sync pulls (/v1/sync/pull).")
        }
        guard let snapshot = await environment.snapshots.snapshot() else {
            throw GalleyError(.notFound, "No prepared replica yet (the archive is small, or one is being made); pull instead (/v1/sync/pull).")
        }
        guard snapshot.schema == schema else {
            throw GalleyError(.notFound, "The prepared replica has replica schema '\(snapshot.schema)', not '\(schema.prefix(80))'; pull instead (/v1/sync/pull).", field: "schema")
        }
        let body: ResponseBody
        do {
            body = try await FileIO().loadFile(path: snapshot.path, context: context)
        } catch {
            throw GalleyError(.notFound, "The prepared replica was just replaced by a newer one; ask again, or pull (/v1/sync/pull).")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/vnd.sqlite3"
        return Response(status: .ok, headers: headers, body: body)
    }
}
