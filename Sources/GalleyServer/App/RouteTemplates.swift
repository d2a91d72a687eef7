import Synchronization

/// The routed path templates (`/v1/articles/{id}`) and their methods, to answer "which methods
/// does this path take?" for a request the router did not match. Filled from the router's own
/// route list once every controller has added its routes.
final class RouteTemplates: Sendable {
    private let routes = Mutex<[(method: String, segments: [Substring])]>([])

    func load(_ list: [(method: String, path: String)]) {
        routes.withLock { $0 = list.map { ($0.method, $0.path.split(separator: "/")) } }
    }

    /// The methods registered for templates that match `path`, sorted; empty when none does.
    func methods(for path: String) -> [String] {
        let asked = path.split(separator: "/")
        let found = routes.withLock { routes in
            routes.filter { route in
                route.segments.count == asked.count
                    && zip(route.segments, asked).allSatisfy { template, segment in template.hasPrefix("{") || template == segment }
            }.map(\.method)
        }
        return Set(found).sorted()
    }
}
