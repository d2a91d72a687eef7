import Foundation
import GRDB
import GalleyMarkdown

/// The server archive's migrations. Append only: a shipped migration is never edited, because
/// archives in the field have already run it.
package enum ArchiveSchema {
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
        migrator.registerMigration("v2: the published archive") { db in
            try db.execute(sql: """
                -- What readers see: the published revision of each public article, kept in step by
                -- the server on every change, with its own search index so that no draft or
                -- unapproved head can ever surface on the public site.
                CREATE TABLE published_articles (
                    article_num INTEGER PRIMARY KEY REFERENCES articles(num) ON DELETE CASCADE,
                    id TEXT NOT NULL UNIQUE,
                    slug TEXT NOT NULL,
                    revision TEXT NOT NULL,
                    title TEXT NOT NULL,
                    lead TEXT NOT NULL,
                    body TEXT NOT NULL,
                    category TEXT NOT NULL,
                    tags TEXT NOT NULL,
                    image TEXT NOT NULL,
                    image_credit TEXT NOT NULL,
                    authors TEXT NOT NULL,
                    related TEXT NOT NULL,
                    published_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    retracted INTEGER NOT NULL,
                    retraction_message TEXT
                );
                CREATE INDEX published_slug ON published_articles(slug, published_at);
                CREATE INDEX published_time ON published_articles(published_at);
                CREATE INDEX published_category ON published_articles(category, published_at);
                CREATE TABLE published_tags (
                    tag TEXT NOT NULL,
                    article_num INTEGER NOT NULL REFERENCES published_articles(article_num) ON DELETE CASCADE,
                    published_at INTEGER NOT NULL,
                    PRIMARY KEY (tag, article_num)
                ) WITHOUT ROWID;
                CREATE INDEX published_tags_time ON published_tags(published_at, tag);
                CREATE INDEX published_tags_article ON published_tags(article_num);
                CREATE VIRTUAL TABLE published_fts USING fts5(
                    title, lead, body, tags,
                    content='published_articles', content_rowid='article_num',
                    tokenize="unicode61 remove_diacritics 2"
                );
                CREATE TRIGGER published_fts_insert AFTER INSERT ON published_articles BEGIN
                    INSERT INTO published_fts(rowid, title, lead, body, tags) VALUES (new.article_num, new.title, new.lead, new.body, new.tags);
                END;
                CREATE TRIGGER published_fts_delete AFTER DELETE ON published_articles BEGIN
                    INSERT INTO published_fts(published_fts, rowid, title, lead, body, tags) VALUES ('delete', old.article_num, old.title, old.lead, old.body, old.tags);
                END;
                CREATE TRIGGER published_fts_update AFTER UPDATE OF title, lead, body, tags ON published_articles BEGIN
                    INSERT INTO published_fts(published_fts, rowid, title, lead, body, tags) VALUES ('delete', old.article_num, old.title, old.lead, old.body, old.tags);
                    INSERT INTO published_fts(rowid, title, lead, body, tags) VALUES (new.article_num, new.title, new.lead, new.body, new.tags);
                END;
                -- How many published articles hold each term: what makes a term distinctive.
                CREATE VIRTUAL TABLE published_vocab USING fts5vocab('published_fts', 'row');
                -- "Similar articles", computed when an article is published and stored.
                CREATE TABLE similar_articles (
                    article_num INTEGER NOT NULL,
                    rank INTEGER NOT NULL,
                    similar_num INTEGER NOT NULL,
                    PRIMARY KEY (article_num, rank)
                ) WITHOUT ROWID;
                CREATE INDEX articles_scheduled ON articles(scheduled_at) WHERE state = 'scheduled';
                """)
            // Archives that already had published articles get their public rows from v7, which
            // writes them with the code of the schema it leaves (this one used to, with code that
            // has since come to need v7's columns).
        }
        migrator.registerMigration("v3: term statistics") { db in
            // How many published articles use each word: what makes a word distinctive for
            // "similar articles". Kept by the server on every publication; the FTS5 vocabulary
            // table can tell too, but only by reading the whole posting list of each word.
            try db.execute(sql: "CREATE TABLE published_terms (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID")
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT title, lead, body FROM published_articles") {
                for term in SQLiteArchive.distinctTerms(row["title"], row["lead"], row["body"]) { counts[term, default: 0] += 1 }
            }
            try SQLiteArchive.addTermCounts(db, counts)
        }
        migrator.registerMigration("v4: pull indexes") { db in
            // A pull reads notes and conflicts after a cursor: without these it read them all.
            try db.execute(sql: """
                CREATE INDEX notes_seq ON notes(seq);
                CREATE INDEX conflicts_seq ON conflicts(seq);
                """)
        }
        migrator.registerMigration("v5: full-text index written by the store") { db in
            try ContentSchema.dropIndexTriggers(db)
        }
        migrator.registerMigration("v6: public index written by the store") { db in
            try db.execute(sql: """
                DROP TRIGGER IF EXISTS published_fts_insert;
                DROP TRIGGER IF EXISTS published_fts_delete;
                DROP TRIGGER IF EXISTS published_fts_update;
                """)
            // Every public row is indexed, so the index can be rebuilt from the rows; this also
            // undoes the double entries v2 made when it filled the rows of an older archive
            // while its triggers were in place and the store wrote the index too.
            try db.execute(sql: "INSERT INTO published_fts(published_fts) VALUES ('rebuild')")
        }
        migrator.registerMigration("v7: viewers, change identities, login attempts") { db in
            try db.execute(sql: """
                -- Drafts of different people may share a slug. Only live addresses are one article's
                -- each (checked when publishing); a slug given to one person must not tell them of
                -- another's draft.
                DROP INDEX IF EXISTS articles_live_slug;
                CREATE INDEX IF NOT EXISTS articles_slug ON articles(slug);
                -- What a change id was given for: the same id with other content is refused.
                ALTER TABLE applied_changes ADD COLUMN digest TEXT;
                -- The event that last changed the public row: all that others than its authors may
                -- learn of an article, its timing included.
                ALTER TABLE published_articles ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
                UPDATE published_articles SET seq = (SELECT a.seq FROM articles a WHERE a.num = article_num);
                CREATE INDEX published_seq ON published_articles(seq);
                -- Login attempts per user name, counted before the password is checked, shared by
                -- every process that serves this archive.
                CREATE TABLE login_attempts (name TEXT NOT NULL, at INTEGER NOT NULL);
                CREATE INDEX login_attempts_name ON login_attempts(name, at);
                CREATE INDEX login_attempts_at ON login_attempts(at);
                -- An analyst's pull reads the workflow events of their own articles.
                CREATE INDEX events_article ON events(article_id, seq);
                """)
            // Public rows missing from archives older than v2 are filled by v8, whose columns the
            // code that writes them needs.
        }
        migrator.registerMigration("v8: public search over the words readers see") { db in
            // The public index held the Markdown source: link addresses and syntax matched a
            // search that the page did not show. It now indexes the rendered text, kept beside
            // the source; the FTS5 table reads it through a view so its column stays `body`.
            try db.execute(sql: """
                ALTER TABLE published_articles ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
                DROP TABLE IF EXISTS published_vocab;
                DROP TABLE IF EXISTS published_fts;
                """)
            let update = try db.makeStatement(sql: "UPDATE published_articles SET body_text = ? WHERE article_num = ?")
            // In batches: an archive of 100,000 bodies need not be in memory at once.
            var last: Int64 = .min
            while true {
                let rows = try Row.fetchAll(
                    db, sql: "SELECT article_num, body FROM published_articles WHERE article_num > ? ORDER BY article_num LIMIT 500", arguments: [last])
                guard let end = rows.last?["article_num"] as Int64? else { break }
                for row in rows { try update.execute(arguments: [Markdown.plainText(row["body"]), row["article_num"] as Int64]) }
                last = end
            }
            try db.execute(sql: """
                CREATE VIEW published_fts_content AS SELECT article_num, title, lead, body_text AS body, tags FROM published_articles;
                CREATE VIRTUAL TABLE published_fts USING fts5(
                    title, lead, body, tags,
                    content='published_fts_content', content_rowid='article_num',
                    tokenize="unicode61 remove_diacritics 2"
                );
                INSERT INTO published_fts(published_fts) VALUES ('rebuild');
                CREATE VIRTUAL TABLE published_vocab USING fts5vocab('published_fts', 'row');
                DELETE FROM published_terms;
                """)
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT title, lead, body_text FROM published_articles") {
                for term in SQLiteArchive.distinctTerms(row["title"], row["lead"], row["body_text"]) { counts[term, default: 0] += 1 }
            }
            try SQLiteArchive.addTermCounts(db, counts)
            // Public articles of an archive from before v2 that have no public row yet.
            let missing = try Row.fetchAll(db, sql: """
                SELECT \(ContentRows.articleColumns) FROM articles
                WHERE published_revision IS NOT NULL AND num NOT IN (SELECT article_num FROM published_articles)
                """)
            for row in missing {
                try SQLiteArchive.refreshPublished(db, try ContentRows.article(row), seq: row["seq"], publishing: true)
            }
        }
        migrator.registerMigration("v9: the desk's read notes and session kinds") { db in
            try db.execute(sql: ArchiveSchema.deskTables)
        }
        return migrator
    }

    /// What each person has read of each article's notes (the highest note sequence number they
    /// have seen there), and which way in a session was made for. Sessions made before this were
    /// all the API's: a desk cookie from then signs in again.
    package static let deskTables = """
        CREATE TABLE note_reads (
            user_name TEXT NOT NULL,
            article_id TEXT NOT NULL,
            seen_seq BIGINT NOT NULL,
            PRIMARY KEY (user_name, article_id)
        );
        ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'api';
        """
}
