/// What a user may do. Analysts write; editors review and publish; admins run the archive.
public enum Role: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    case analyst, editor, admin

    /// Editors and admins may review, approve, publish and retract.
    public var canReview: Bool { self != .analyst }

    private var rank: Int {
        switch self {
        case .analyst: 0
        case .editor: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// A person who uses Galley, as the model sees them (credentials live in the server's store).
public struct User: Hashable, Sendable, Codable {
    /// The login name; also how authors are named on articles.
    public var name: String
    public var role: Role
    public var disabled: Bool

    public init(name: String, role: Role, disabled: Bool = false) {
        self.name = name
        self.role = role
        self.disabled = disabled
    }
}
