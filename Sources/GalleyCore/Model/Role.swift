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
