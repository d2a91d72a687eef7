import Foundation
import GRDB

/// The server archive's migrations. Append only: a shipped migration is never edited, because
/// archives in the field have already run it.
enum ArchiveSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE users (
                    name TEXT PRIMARY KEY,
                    role TEXT NOT NULL CHECK (role IN ('analyst', 'editor', 'admin')),
                    password_hash TEXT NOT NULL,
                    disabled INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL
                );
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY,
                    user_name TEXT NOT NULL REFERENCES users(name),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );
                CREATE INDEX sessions_user ON sessions(user_name);
                CREATE TABLE categories (slug TEXT PRIMARY KEY, name TEXT NOT NULL);
                -- One sequence numbers every event a client may need to pull. AUTOINCREMENT never
                -- reuses a number, and SQLite runs one write transaction at a time, so numbers are
                -- given in commit order: a reader never sees seq n+1 without seq n.
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    article_id TEXT,
                    revision TEXT,
                    actor TEXT NOT NULL,
                    at INTEGER NOT NULL
                );
                CREATE TABLE applied_changes (
                    change_id TEXT PRIMARY KEY,
                    article_id TEXT NOT NULL,
                    user_name TEXT NOT NULL,
                    status TEXT NOT NULL,
                    result TEXT NOT NULL,
                    applied_at INTEGER NOT NULL
                );
                CREATE TABLE audit_log (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at INTEGER NOT NULL,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    article_id TEXT,
                    revision TEXT,
                    detail TEXT
                );
                """)
            try ContentSchema.create(db, uniqueSlugs: true)
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('epoch', ?)", arguments: [UUID().uuidString.lowercased()])
        }
        return migrator
    }
}
