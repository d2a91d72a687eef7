import Foundation
import GRDB

/// The client replica's migrations. Append only, like the server's.
enum ReplicaSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try ContentSchema.create(db, uniqueSlugs: false)
            try db.execute(sql: """
                -- One row: where this replica syncs and how far it got.
                CREATE TABLE sync_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    replica_id TEXT NOT NULL,
                    server_url TEXT,
                    user_name TEXT,
                    role TEXT,
                    epoch TEXT,
                    cursor INTEGER NOT NULL DEFAULT 0,
                    last_sync INTEGER
                );
                -- Local changes not yet acknowledged by the server, in the order they were made.
                CREATE TABLE outbox (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    change_id TEXT NOT NULL UNIQUE,
                    article_id TEXT NOT NULL,
                    change TEXT NOT NULL,
                    created_at INTEGER NOT NULL
                );
                CREATE INDEX outbox_article ON outbox(article_id, seq);
                -- The server's latest state of each article, which local changes are replayed on.
                CREATE TABLE server_articles (
                    article_id TEXT PRIMARY KEY,
                    article TEXT NOT NULL,
                    seq INTEGER NOT NULL
                );
                -- The server's answers to pushed changes that were not applied, kept with the change
                -- so that the text in them is never lost.
                CREATE TABLE rejected_changes (
                    change_id TEXT PRIMARY KEY,
                    article_id TEXT NOT NULL,
                    change TEXT NOT NULL,
                    code TEXT NOT NULL,
                    message TEXT NOT NULL,
                    at INTEGER NOT NULL
                );
                """)
            try db.execute(sql: "INSERT INTO sync_state (id, replica_id) VALUES (1, ?)", arguments: [UUID().uuidString.lowercased()])
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                -- A pushed change the server answered stays in the outbox, marked, and keeps being
                -- shown until a pull brings the server's state of its article: an interrupted sync
                -- never makes an edit vanish from view.
                ALTER TABLE outbox ADD COLUMN acknowledged INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE outbox ADD COLUMN result TEXT;
                -- The server's category list, so that validation works offline.
                CREATE TABLE categories (slug TEXT PRIMARY KEY, name TEXT NOT NULL);
                """)
        }
        migrator.registerMigration("v3: media") { db in
            // Images attached offline (files in .galley/media), and whether the server has them.
            try db.execute(sql: "CREATE TABLE media (name TEXT PRIMARY KEY, uploaded INTEGER NOT NULL DEFAULT 0)")
        }
        migrator.registerMigration("v4: full-text index written by the store") { db in
            try ContentSchema.dropIndexTriggers(db)
        }
        migrator.registerMigration("v5: local resolutions, users") { db in
            try db.execute(sql: """
                -- Conflicts that a change in the outbox settles: no longer open here, though the
                -- server has not heard yet. A refused change takes its resolutions with it.
                CREATE TABLE outbox_resolves (
                    change_id TEXT NOT NULL REFERENCES outbox(change_id) ON DELETE CASCADE,
                    conflict_id TEXT NOT NULL
                );
                CREATE INDEX outbox_resolves_conflict ON outbox_resolves(conflict_id);
                CREATE INDEX outbox_resolves_change ON outbox_resolves(change_id);
                -- The server's user names, so that co-authors are checked offline.
                CREATE TABLE users (name TEXT PRIMARY KEY);
                -- The server's sequence number of the article when the change was refused: a
                -- refusal that carries no words is forgotten once a later state arrives.
                ALTER TABLE rejected_changes ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
                -- Workflow steps of the articles this user may see in full, for `galley log`.
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY,
                    article_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    actor TEXT NOT NULL,
                    revision TEXT,
                    at INTEGER NOT NULL
                );
                CREATE INDEX events_article ON events(article_id, seq);
                """)
        }
        migrator.registerMigration("v6: the listing's order") { db in
            // `galley list` (newest change first) and its count read every row of a 20,000-article
            // replica, bodies and all, to sort them: 450 ms. Through this index: a page of rows.
            // Partial, not led by `deleted`: an index whose first column every listing names
            // looked selective to the planner, which then took it over the state and category
            // indexes and read every row to find the few scheduled ones.
            try db.execute(sql: "CREATE INDEX articles_recent ON articles(updated_at, num) WHERE deleted = 0")
        }
        return migrator
    }
}
