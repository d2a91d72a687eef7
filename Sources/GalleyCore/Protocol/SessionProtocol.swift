import Foundation

/// `POST /v1/sessions`: a user's name and password, for a bearer token.
public struct LoginRequest: Sendable, Codable {
    public var name: String
    public var password: String

    public init(name: String, password: String) {
        self.name = name
        self.password = password
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, password }

    public init(from decoder: any Decoder) throws {
        try decoder.refuseUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        password = try c.decode(String.self, forKey: .password)
    }
}

/// A user as the API shows them (never their password hash).
public struct UserInfo: Hashable, Sendable, Codable {
    public var name: String
    public var role: Role
    public var disabled: Bool
    public var createdAt: Date

    public init(name: String, role: Role, disabled: Bool, createdAt: Date) {
        self.name = name
        self.role = role
        self.disabled = disabled
        self.createdAt = createdAt
    }
}

/// A new session: the bearer token (shown once), when it expires, and whose it is.
public struct SessionReply: Sendable, Codable {
    public var token: String
    public var expiresAt: Date
    public var user: UserInfo

    public init(token: String, expiresAt: Date, user: UserInfo) {
        self.token = token
        self.expiresAt = expiresAt
        self.user = user
    }
}
