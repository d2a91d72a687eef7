import Hummingbird
import Synchronization

/// Registers routes on the router and remembers each (method, path), so that a test can hold
/// the router against Schemas/openapi.yaml: a route that is not documented fails the build.
struct RouteList {
    let router: Router<GalleyRequestContext>
    private(set) var entries: [(method: HTTPRequest.Method, path: String)] = []

    /// Filled as routes are added; the problem middleware, added before any route, reads it.
    let templates: RouteTemplates

    init(router: Router<GalleyRequestContext>, templates: RouteTemplates = RouteTemplates()) {
        self.router = router
        self.templates = templates
    }

    mutating func add<Output: ResponseGenerator>(
        _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping @Sendable (Request, GalleyRequestContext) async throws -> Output
    ) {
        router.on(RouterPath(path), method: method, use: handler)
        entries.append((method, path))
        templates.add(method.rawValue, path)
    }

    /// Paths in OpenAPI form: `/v1/articles/{id}` for `/v1/articles/:id`.
    var openAPIPaths: [(method: String, path: String)] {
        entries.map { entry in
            let path = entry.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
            return (entry.method.rawValue.lowercased(), "/" + path)
        }
    }
}

/// The registered path templates (`/v1/articles/:id`) and their methods, to answer "which
/// methods does this path take?" for a request the router did not match.
final class RouteTemplates: Sendable {
    private let routes = Mutex<[(method: String, segments: [Substring])]>([])

    func add(_ method: String, _ path: String) {
        let segments = path.split(separator: "/")
        routes.withLock { $0.append((method, segments)) }
    }

    /// The methods registered for templates that match `path`, sorted; empty when none does.
    func methods(for path: String) -> [String] {
        let asked = path.split(separator: "/")
        let found = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == asked.count
                    && zip(route.segments, asked).allSatisfy { template, segment in template.hasPrefix(":") || template == segment }
            }.map(\.method)
        }
        return Set(found).sorted()
    }
}
