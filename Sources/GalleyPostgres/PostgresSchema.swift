import Foundation
import GalleyCore
import GalleyStore
import Logging
import PostgresNIO

/// The PostgreSQL archive's migrations. Append only, as the SQLite archive's: a shipped migration
/// is never edited. Servers that start together take turns (an advisory lock), so each migration
/// runs once, in its own transaction.
enum PostgresSchema {
    static let migrations: [(name: String, sql: String)] = [
        ("v1", v1),
        ("v2", v2),
        ("v3", v3),
        ("v4", ArchiveSchema.deskTables),
    ]

    /// A tsvector holds at most 1 MiB: a body near its 1 MiB limit of distinct words made
    /// `to_tsvector` fail, and with it the search entry and every search that read the text of
    /// rows still waiting for theirs. The entry indexes the first 200,000 characters of the body
    /// (at most about 750 KB of tsvector, whatever the script); entries are the same for any
    /// body shorter than that.
    static let v3 = """
        CREATE OR REPLACE FUNCTION galley_search(title text, lead text, tags text, body text) RETURNS tsvector
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT setweight(to_tsvector('galley', title), 'A') || setweight(to_tsvector('galley', tags), 'B')
                || setweight(to_tsvector('galley', lead), 'C') || setweight(to_tsvector('galley', left(body, 200000)), 'D')
            $$;
        """

    /// An article's search entry is written after its change commits, not under the writer's
    /// lock (`to_tsvector` over an article's text was a third of the time PostgreSQL spent on
    /// each change): NULL marks an entry still to write, and searches read those articles'
    /// text directly meanwhile (``PostgresArchive/searchMatch``).
    static let v2 = """
        ALTER TABLE articles ALTER COLUMN search DROP NOT NULL;
        CREATE INDEX articles_search_pending ON articles(num) WHERE search IS NULL;
        """

    /// The SQLite archive's tables as of its v8, in PostgreSQL's types: times are milliseconds
    /// since 1970 (BIGINT), JSON arrays are text as there, flags are booleans. The full-text
    /// columns are `tsvector`s written by the store when the text changes.
    static let v1 = """
        CREATE EXTENSION IF NOT EXISTS unaccent;
        -- Words as the SQLite index (unicode61, remove_diacritics 2) cuts them: any script's
        -- letters split at non-letters, lowercased, accents folded ('cafe' finds 'café'), no
        -- stemming (the archive is in three languages).
        CREATE TEXT SEARCH CONFIGURATION galley (COPY = pg_catalog.simple);
        ALTER TEXT SEARCH CONFIGURATION galley
            ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart
            WITH unaccent, simple;
        CREATE FUNCTION galley_search(title text, lead text, tags text, body text) RETURNS tsvector
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT setweight(to_tsvector('galley', title), 'A') || setweight(to_tsvector('galley', tags), 'B')
                || setweight(to_tsvector('galley', lead), 'C') || setweight(to_tsvector('galley', body), 'D')
            $$;

        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE users (
            name TEXT PRIMARY KEY,
            role TEXT NOT NULL CHECK (role IN ('analyst', 'editor', 'admin')),
            password_hash TEXT NOT NULL,
            disabled BOOLEAN NOT NULL DEFAULT false,
            created_at BIGINT NOT NULL
        );
        -- Names that differ only in case are one name, whichever server is asked.
        CREATE UNIQUE INDEX users_folded ON users (lower(name));
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_name TEXT NOT NULL REFERENCES users(name),
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL,
            revoked_at BIGINT
        );
        CREATE INDEX sessions_user ON sessions(user_name);
        CREATE TABLE login_attempts (name TEXT NOT NULL, at BIGINT NOT NULL);
        CREATE INDEX login_attempts_name ON login_attempts(name, at);
        CREATE INDEX login_attempts_at ON login_attempts(at);
        CREATE TABLE categories (slug TEXT PRIMARY KEY, name TEXT NOT NULL);
        -- Numbers are taken only under the writer's lock (see PostgresArchive), so they are
        -- given in commit order; a rolled-back writer leaves a gap, which no cursor minds.
        CREATE TABLE events (
            seq BIGSERIAL PRIMARY KEY,
            kind TEXT NOT NULL,
            article_id TEXT,
            revision TEXT,
            actor TEXT NOT NULL,
            at BIGINT NOT NULL
        );
        CREATE INDEX events_article ON events(article_id, seq);
        CREATE TABLE applied_changes (
            change_id TEXT PRIMARY KEY,
            article_id TEXT NOT NULL,
            user_name TEXT NOT NULL,
            status TEXT NOT NULL,
            result TEXT NOT NULL,
            applied_at BIGINT NOT NULL,
            digest TEXT
        );
        CREATE TABLE audit_log (
            id BIGSERIAL PRIMARY KEY,
            at BIGINT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            article_id TEXT,
            revision TEXT,
            detail TEXT
        );

        CREATE TABLE articles (
            num BIGSERIAL PRIMARY KEY,
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
            scheduled_at BIGINT,
            published_at BIGINT,
            related TEXT NOT NULL DEFAULT '[]',
            retraction_message TEXT,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            deleted BOOLEAN NOT NULL DEFAULT false,
            seq BIGINT NOT NULL DEFAULT 0,
            search TSVECTOR NOT NULL
        );
        CREATE INDEX articles_seq ON articles(seq);
        CREATE INDEX articles_short_id ON articles(short_id);
        CREATE INDEX articles_slug ON articles(slug);
        CREATE INDEX articles_state ON articles(state, updated_at);
        CREATE INDEX articles_category ON articles(category, updated_at);
        CREATE INDEX articles_scheduled ON articles(scheduled_at) WHERE state = 'scheduled';
        CREATE INDEX articles_search ON articles USING gin(search);
        CREATE TABLE article_tags (
            tag TEXT NOT NULL,
            article_num BIGINT NOT NULL REFERENCES articles(num) ON DELETE CASCADE,
            PRIMARY KEY (tag, article_num)
        );
        CREATE INDEX article_tags_article ON article_tags(article_num);
        CREATE TABLE article_authors (
            name TEXT NOT NULL,
            article_num BIGINT NOT NULL REFERENCES articles(num) ON DELETE CASCADE,
            PRIMARY KEY (name, article_num)
        );
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
            created_at BIGINT NOT NULL,
            change_id TEXT,
            ord BIGSERIAL
        );
        CREATE INDEX revisions_article ON revisions(article_id, created_at, ord);
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
            created_at BIGINT NOT NULL,
            resolved_by TEXT,
            resolved_at BIGINT,
            seq BIGINT NOT NULL DEFAULT 0
        );
        CREATE INDEX conflicts_article ON conflicts(article_id, created_at);
        CREATE INDEX conflicts_seq ON conflicts(seq);
        CREATE TABLE notes (
            id TEXT PRIMARY KEY,
            article_id TEXT NOT NULL,
            author TEXT NOT NULL,
            kind TEXT NOT NULL,
            text TEXT NOT NULL,
            revision TEXT,
            created_at BIGINT NOT NULL,
            seq BIGINT NOT NULL DEFAULT 0
        );
        CREATE INDEX notes_article ON notes(article_id, created_at);
        CREATE INDEX notes_seq ON notes(seq);

        -- What readers see: the published revision of each public article (see the SQLite
        -- archive's v2), searched on the words the page shows (body_text).
        CREATE TABLE published_articles (
            article_num BIGINT PRIMARY KEY REFERENCES articles(num) ON DELETE CASCADE,
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
            published_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL,
            retracted BOOLEAN NOT NULL,
            retraction_message TEXT,
            seq BIGINT NOT NULL DEFAULT 0,
            body_text TEXT NOT NULL DEFAULT '',
            search TSVECTOR NOT NULL
        );
        CREATE INDEX published_slug ON published_articles(slug, published_at);
        CREATE INDEX published_time ON published_articles(published_at, article_num);
        CREATE INDEX published_category ON published_articles(category, published_at);
        CREATE INDEX published_seq ON published_articles(seq);
        CREATE INDEX published_search ON published_articles USING gin(search);
        CREATE TABLE published_tags (
            tag TEXT NOT NULL,
            article_num BIGINT NOT NULL REFERENCES published_articles(article_num) ON DELETE CASCADE,
            published_at BIGINT NOT NULL,
            PRIMARY KEY (tag, article_num)
        );
        CREATE INDEX published_tags_time ON published_tags(published_at, tag);
        CREATE INDEX published_tags_article ON published_tags(article_num);
        CREATE TABLE published_terms (term TEXT PRIMARY KEY, docs BIGINT NOT NULL);
        CREATE TABLE similar_articles (
            article_num BIGINT NOT NULL,
            rank INTEGER NOT NULL,
            similar_num BIGINT NOT NULL,
            PRIMARY KEY (article_num, rank)
        );

        -- Images, by content address: every server serves what any server stored.
        CREATE TABLE media (name TEXT PRIMARY KEY, bytes BYTEA NOT NULL, stored_at BIGINT NOT NULL);
        """

    /// Brings the database's schema up to date, once however many servers start together.
    static func migrate(_ db: PGConnection) throws {
        // Refused before anything is created: a database that cannot hold the archive stays as it was.
        try checkTextSearch(db)
        try db.execute("SELECT pg_advisory_lock(\(PostgresArchive.migrationLock))")
        defer { _ = try? db.execute("SELECT pg_advisory_unlock(\(PostgresArchive.migrationLock))") }
        try db.execute("CREATE TABLE IF NOT EXISTS galley_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        let done = Set(try db.rows("SELECT name FROM galley_migrations").map { try $0["name"] as String })
        for (name, sql) in migrations where !done.contains(name) {
            try db.transaction {
                for statement in statements(sql) { try db.execute(statement) }
                if name == "v1" {
                    try db.execute("INSERT INTO meta (key, value) VALUES ('epoch', ?)", [UUID().uuidString.lowercased()])
                }
                try db.execute("INSERT INTO galley_migrations (name, applied_at) VALUES (?, ?)", [name, Timestamp.milliseconds(Date())])
            }
        }
    }

    /// A script's statements, one by one (the extended protocol takes one at a time): split at
    /// semicolons outside `$$` bodies and `--` comments.
    static func statements(_ sql: String) -> [String] {
        var out: [String] = []
        var current = ""
        var inBody = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let code = line.trimmingCharacters(in: .whitespaces).hasPrefix("--") ? "" : String(line)
            var rest = Substring(code)
            while let cut = rest.firstIndex(where: { $0 == ";" || $0 == "$" }) {
                if rest[cut] == "$", rest[cut...].hasPrefix("$$") {
                    inBody.toggle()
                    current += rest[..<rest.index(cut, offsetBy: 2)]
                    rest = rest[rest.index(cut, offsetBy: 2)...]
                } else if rest[cut] == ";" && !inBody {
                    current += rest[..<cut]
                    if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { out.append(current) }
                    current = ""
                    rest = rest[rest.index(after: cut)...]
                } else {
                    current += rest[...cut]
                    rest = rest[rest.index(after: cut)...]
                }
            }
            current += rest + "\n"
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { out.append(current) }
        return out
    }

    /// Cyrillic must be cut into words as Latin is; a database whose character type is not a
    /// UTF-8 locale treats Cyrillic letters as punctuation, and search would find nothing.
    static func checkTextSearch(_ db: PGConnection) throws {
        let encoding = try db.value(String.self, "SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()") ?? "?"
        let ctype = try db.value(String.self, "SELECT datctype FROM pg_database WHERE datname = current_database()") ?? "?"
        let create = "create it with a UTF-8 locale, e.g. CREATE DATABASE galley ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
        guard encoding == "UTF8" else {
            throw StoreError.failed("the database's encoding is \(encoding), which cannot hold Cyrillic: \(create)")
        }
        // The built-in `simple` configuration, so that nothing is created before the answer.
        let words = try db.value(String.self, "SELECT array_to_string(tsvector_to_array(to_tsvector('simple', 'Мінск Café')), ' ')") ?? ""
        guard words.split(separator: " ").sorted() == ["café", "мінск"] else {
            throw StoreError.failed("the database cuts text into words wrongly (its character type is \(ctype)): \(create)")
        }
    }}

extension PostgresArchive {
    /// The probe before it has just reached the database: a start-up on a loaded machine (or
    /// behind servers migrating together) waits longer for its first connection than a request
    /// does, so that a server that can start does not give up as "unreachable".
    func migrate() async throws {
        try await run(waitingUpTo: .seconds(60)) { db in try PostgresSchema.migrate(db) }
    }
}
