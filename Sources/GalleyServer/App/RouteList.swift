import Hummingbird

/// Registers routes on the router and remembers each (method, path), so that a test can hold
/// the router against Schemas/openapi.yaml: a route that is not documented fails the build.
struct RouteList {
    let router: Router<GalleyRequestContext>
    private(set) var entries: [(method: HTTPRequest.Method, path: String)] = []

    init(router: Router<GalleyRequestContext>) { self.router = router }

    mutating func add<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping @Sendable (Request, GalleyRequestContext) async throws -> Output
    ) {
        router.on(RouterPath(path), method: method, use: handler)
        entries.append((method, path))
    }

    /// Paths in OpenAPI form: `/v1/articles/{id}` for `/v1/articles/:id`.
    var openAPIPaths: [(method: String, path: String)] {
        entries.map { entry in
            let path = entry.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return (entry.method.rawValue.lowercased(), "/" + path)
        }
    }
}
