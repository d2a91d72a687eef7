/// A section of the publication (an admin-managed list); articles name one by its slug.
public struct Category: Hashable, Sendable, Codable {
    public var slug: String
    public var name: String
    public init(slug: String, name: String) {
        self.slug = slug
        self.name = name
    }
}
