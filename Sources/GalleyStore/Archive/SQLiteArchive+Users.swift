import Foundation
import GRDB
import GalleyCore

extension SQLiteArchive {
    package func createUser(_ user: StoredUser, by actor: String) async throws {
        try AccountRules.checkNewUserName(user.name)
        try await writer.write { db in
            // Names differing only in case would be told apart by the server but not by people.
            let folded = user.name.lowercased()
            if let existing = try String.fetchAll(db, sql: "SELECT name FROM users").first(where: { $0.lowercased() == folded }) {
                throw GalleyError(.alreadyExists, "There is already a user named '\(existing)'\(existing == user.name ? "" : " (names that differ only in case are one name)").", field: "name")
            }
            try db.execute(
                sql: "INSERT INTO users (name, role, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [user.name, user.role.rawValue, user.passwordHash, user.disabled, Timestamp.milliseconds(user.createdAt)])
            try Self.audit(db, AuditRecord(.userAdded, detail: "\(user.name) (\(user.role.rawValue))"), actor: actor, at: user.createdAt)
        }
    }

    package func user(named name: String) async throws -> StoredUser? {
        try await writer.read { db in try Self.user(db, named: name) }
    }

    static func user(_ db: Database, named name: String) throws -> StoredUser? {
        // SQLite reads a bound string up to its first NUL: "anna\0…" would find anna.
        guard AccountRules.isUserName(name) else { return nil }
        return try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE name = ?"), arguments: [name]).map(user)
    }

    static func user(_ row: Row) throws -> StoredUser {
        guard let role = Role(rawValue: row["role"]) else { throw StoreError.corrupt("a user row has an unknown role") }
        return StoredUser(
            name: row["name"], role: role, passwordHash: row["password_hash"], disabled: row["disabled"],
            createdAt: Timestamp.date(milliseconds: row["created_at"]))
    }

    package func users() async throws -> [StoredUser] {
        try await writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY name").map(Self.user) }
    }

    package func setDisabled(_ name: String, _ disabled: Bool, by actor: String, at time: Date) async throws {
        try await writer.write { db in
            guard try Self.user(db, named: name) != nil else {
                throw GalleyError(.notFound, "There is no user named '\(name)'.")
            }
            try db.execute(sql: "UPDATE users SET disabled = ? WHERE name = ?", arguments: [disabled, name])
            if disabled {
                try db.execute(
                    sql: "UPDATE sessions SET revoked_at = ? WHERE user_name = ? AND revoked_at IS NULL",
                    arguments: [Timestamp.milliseconds(time), name])
            }
            try Self.audit(db, AuditRecord(disabled ? .userDisabled : .userEnabled, detail: name), actor: actor, at: time)
        }
    }

    package func setRole(_ name: String, _ role: Role, by actor: String, at time: Date) async throws {
        try await writer.write { db in
            guard let user = try Self.user(db, named: name) else {
                throw GalleyError(.notFound, "There is no user named '\(name)'.")
            }
            // The role it already has: nothing changes, nothing to audit.
            guard user.role != role else { return }
            try db.execute(sql: "UPDATE users SET role = ? WHERE name = ?", arguments: [role.rawValue, name])
            try Self.audit(db, AuditRecord(.roleChanged, detail: "\(name): \(user.role.rawValue) → \(role.rawValue)"), actor: actor, at: time)
        }
    }

    package func setPassword(_ name: String, hash: String) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE name = ?", arguments: [hash, name])
            guard db.changesCount == 1 else { throw GalleyError(.notFound, "There is no user named '\(name)'.") }
        }
    }

    package func createSession(_ session: StoredSession) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "INSERT INTO sessions (token_hash, user_name, created_at, expires_at, kind) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    session.tokenHash, session.userName, Timestamp.milliseconds(session.createdAt),
                    Timestamp.milliseconds(session.expiresAt), session.kind.rawValue,
                ])
        }
    }

    package func session(tokenHash: String) async throws -> (StoredSession, StoredUser)? {
        try await writer.read { db in
            guard
                let row = try Row.fetchOne(
                    db.cachedStatement(sql: "SELECT * FROM sessions WHERE token_hash = ? AND revoked_at IS NULL"), arguments: [tokenHash]),
                let user = try Self.user(db, named: row["user_name"]), let kind = StoredSession.Kind(rawValue: row["kind"])
            else { return nil }
            let session = StoredSession(
                tokenHash: row["token_hash"], userName: row["user_name"],
                createdAt: Timestamp.date(milliseconds: row["created_at"]), expiresAt: Timestamp.date(milliseconds: row["expires_at"]), kind: kind)
            return (session, user)
        }
    }

    package func revokeSession(tokenHash: String, at time: Date) async throws {
        try await writer.write { db in
            try db.execute(
                sql: "UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                arguments: [Timestamp.milliseconds(time), tokenHash])
        }
    }

    // MARK: Login attempts

    package func reserveLoginAttempt(_ name: String, limit: Int, window: TimeInterval, now: Date) async throws -> Int? {
        let nowMS = Timestamp.milliseconds(now)
        let since = nowMS - Int64(window * 1000)
        return try await writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM login_attempts WHERE at <= ?").execute(arguments: [since])
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_attempts WHERE name = ?"), arguments: [name])
            let count: Int = row?["n"] ?? 0
            if count >= limit, let oldest: Int64 = row?["oldest"] {
                return max(1, Int(((Double(oldest - since)) / 1000).rounded(.up)))
            }
            try db.cachedStatement(sql: "INSERT INTO login_attempts (name, at) VALUES (?, ?)").execute(arguments: [name, nowMS])
            return nil
        }
    }

    package func clearLoginAttempts(_ name: String) async throws {
        try await writer.write { db in
            try db.cachedStatement(sql: "DELETE FROM login_attempts WHERE name = ?").execute(arguments: [name])
        }
    }
}
