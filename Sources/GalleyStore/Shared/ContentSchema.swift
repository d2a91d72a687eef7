import GRDB

/// The tables both sides keep in the same shape: articles with their FTS5 index, revisions,
/// conflicts and notes. Server and client migrations both call this, so that the code that reads
/// and writes these rows is shared too.
enum ContentSchema {
    /// - Parameter uniqueSlugs: the server enforces one live article per slug; a replica cannot,
    ///   because its unpushed drafts may clash until the server settles them.
    static func create(_ db: Database, uniqueSlugs: Bool) throws {
        try db.execute(sql: """
            CREATE TABLE articles (
                num INTEGER PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                short_id TEXT NOT NULL,
                slug TEXT NOT NULL,
                title TEXT NOT NULL,
                lead TEXT NOT NULL,
                body TEXT NOT NULL,
                category TEXT NOT NULL,
                tags TEXT NOT NULL,
                image TEXT NOT NULL,
                image_credit TEXT NOT NULL,
                authors TEXT NOT NULL,
                state TEXT NOT NULL,
                head_revision TEXT NOT NULL,
                approved_revision TEXT,
                published_revision TEXT,
                scheduled_at INTEGER,
                published_at INTEGER,
                related TEXT NOT NULL DEFAULT '[]',
                retraction_message TEXT,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL,
                deleted INTEGER NOT NULL DEFAULT 0,
                seq INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX articles_seq ON articles(seq);
            CREATE INDEX articles_short_id ON articles(short_id);
            CREATE INDEX articles_state ON articles(state, updated_at);
            CREATE INDEX articles_category ON articles(category, updated_at);
            CREATE INDEX articles_published ON articles(published_at) WHERE published_revision IS NOT NULL;

            CREATE TABLE article_tags (
                tag TEXT NOT NULL,
                article_num INTEGER NOT NULL REFERENCES articles(num) ON DELETE CASCADE,
                PRIMARY KEY (tag, article_num)
            ) WITHOUT ROWID;
            CREATE INDEX article_tags_article ON article_tags(article_num);

            CREATE TABLE article_authors (
                name TEXT NOT NULL,
                article_num INTEGER NOT NULL REFERENCES articles(num) ON DELETE CASCADE,
                PRIMARY KEY (name, article_num)
            ) WITHOUT ROWID;
            CREATE INDEX article_authors_article ON article_authors(article_num);

            CREATE TABLE revisions (
                id TEXT PRIMARY KEY,
                article_id TEXT NOT NULL,
                parents TEXT NOT NULL,
                title TEXT NOT NULL,
                lead TEXT NOT NULL,
                body TEXT NOT NULL,
                category TEXT NOT NULL,
                tags TEXT NOT NULL,
                slug TEXT NOT NULL,
                image TEXT NOT NULL,
                image_credit TEXT NOT NULL,
                author TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                change_id TEXT
            );
            CREATE INDEX revisions_article ON revisions(article_id, created_at);

            CREATE TABLE conflicts (
                id TEXT PRIMARY KEY,
                article_id TEXT NOT NULL,
                field TEXT NOT NULL,
                base TEXT NOT NULL,
                ours TEXT NOT NULL,
                theirs TEXT NOT NULL,
                change_ids TEXT NOT NULL,
                author TEXT NOT NULL,
                revision TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                resolved_by TEXT,
                resolved_at INTEGER,
                seq INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX conflicts_article ON conflicts(article_id, created_at);

            CREATE TABLE notes (
                id TEXT PRIMARY KEY,
                article_id TEXT NOT NULL,
                author TEXT NOT NULL,
                kind TEXT NOT NULL,
                text TEXT NOT NULL,
                revision TEXT,
                created_at INTEGER NOT NULL,
                seq INTEGER NOT NULL DEFAULT 0
            );
            CREATE INDEX notes_article ON notes(article_id, created_at);

            -- Full-text search over the head of every live article. unicode61 with diacritics
            -- folded, so 'cafe' finds 'café' and Cyrillic is split into words like Latin.
            CREATE VIRTUAL TABLE articles_fts USING fts5(
                title, lead, body, tags,
                content='articles', content_rowid='num',
                tokenize="unicode61 remove_diacritics 2"
            );
            CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles WHEN new.deleted = 0 BEGIN
                INSERT INTO articles_fts(rowid, title, lead, body, tags)
                VALUES (new.num, new.title, new.lead, new.body, new.tags);
            END;
            CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles WHEN old.deleted = 0 BEGIN
                INSERT INTO articles_fts(articles_fts, rowid, title, lead, body, tags)
                VALUES ('delete', old.num, old.title, old.lead, old.body, old.tags);
            END;
            CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, lead, body, tags, deleted ON articles BEGIN
                INSERT INTO articles_fts(articles_fts, rowid, title, lead, body, tags)
                SELECT 'delete', old.num, old.title, old.lead, old.body, old.tags WHERE old.deleted = 0;
                INSERT INTO articles_fts(rowid, title, lead, body, tags)
                SELECT new.num, new.title, new.lead, new.body, new.tags WHERE new.deleted = 0;
            END;
            """)
        try db.execute(sql: uniqueSlugs
            ? "CREATE UNIQUE INDEX articles_live_slug ON articles(slug) WHERE deleted = 0"
            : "CREATE INDEX articles_slug ON articles(slug)")
    }

    /// Hands the full-text index over from triggers to ``ContentRows`` (which writes it directly,
    /// and only when the text changed). The index itself is unchanged.
    static func dropIndexTriggers(_ db: Database) throws {
        try db.execute(sql: """
            DROP TRIGGER IF EXISTS articles_fts_insert;
            DROP TRIGGER IF EXISTS articles_fts_delete;
            DROP TRIGGER IF EXISTS articles_fts_update;
            """)
    }
}
