import Foundation
import GalleyCore
import GalleyStore
import Hummingbird

/// Categories (an admin-managed list), the authors' names and the audit log.
struct AdminController {
    let environment: ServerEnvironment

    func addRoutes(to router: some RouterMethods<GalleyRequestContext>) {
        router.get("/v1/categories", use: categories)
        router.post("/v1/categories", use: addCategory)
        router.get("/v1/authors", use: authors)
        router.get("/v1/audit", use: audit)
    }

    struct NewCategory: Decodable {
        var slug: String
        var name: String

        enum CodingKeys: String, CodingKey, CaseIterable { case slug, name }
        init(from decoder: any Decoder) throws {
            try decoder.refuseUnknownKeys(CodingKeys.self)
            let c = try decoder.container(keyedBy: CodingKeys.self)
            slug = try c.decode(String.self, forKey: .slug)
            name = try c.decode(String.self, forKey: .name)
        }
    }

    struct AuditPage: Encodable, Sendable {
        var entries: [AuditEntry]
        /// Pass as `before` for older entries; absent on the last page.
        var next: Int64?
    }

    @Sendable func categories(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<[Category]> {
        _ = try context.requireUser()
        return JSONResponse(try await environment.archive.categories())
    }

    @Sendable func authors(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<[String]> {
        _ = try context.requireUser()
        return JSONResponse(try await environment.archive.users().filter { !$0.disabled }.map(\.name))
    }

    @Sendable func addCategory(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<Category> {
        let admin = try context.requireRole(.admin)
        var request = request
        let new = try await request.decodeJSON(NewCategory.self, limit: 64 * 1024)
        let category = Category(slug: new.slug, name: new.name)
        try await environment.archive.addCategory(category, by: admin.name, at: environment.now)
        return JSONResponse(category, status: .created)
    }

    @Sendable func audit(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<AuditPage> {
        _ = try context.requireRole(.admin)
        let limit = try request.uri.intQuery("limit", default: 100, range: 1...1000)
        let before = try request.uri.form("before") == nil
            ? nil : Int64(try request.uri.intQuery("before", default: 0, range: 0...Int(Int64.max / 2)))
        let entries = try await environment.archive.audit(limit: limit, before: before)
        return JSONResponse(AuditPage(entries: entries, next: entries.count == limit ? entries.last?.id : nil))
    }
}
