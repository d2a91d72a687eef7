import Foundation
import GalleyCore
import GalleyStore

/// Moves an embedded SQLite archive into an empty PostgreSQL database, all of it or nothing.
///
/// Every row keeps its values, event numbers included, and the archive keeps its epoch: to a
/// client the moved archive is the same archive, so `galley sync` goes on from its cursor with
/// no pull from the start. The copy is one PostgreSQL transaction over one SQLite snapshot, and
/// it is verified inside that transaction before it commits: each table's row count, the last
/// event number, the epoch, and every revision read back and hashed to its id.
package enum ArchiveCopy {
    package struct Report: Sendable, CustomStringConvertible {
        package var rows: [(table: String, count: Int)] = []
        package var media = 0
        package var revisionsVerified = 0
        package var latestSequence: Int64 = 0
        package var epoch = ""

        package var description: String {
            let tables = rows.map { "  \($0.table): \($0.count)" }.joined(separator: "\n")
            return """
                \(tables)
                  media: \(media)
                Verified: every table's rows, \(revisionsVerified) revisions hashed to their ids, last event \(latestSequence), epoch \(epoch) kept.
                """
        }
    }

    /// Copies `source` (and the images in `media`) into `target`, which must hold no archive yet.
    package static func copy(from source: SQLiteArchive, media: URL?, to target: PostgresArchive) async throws -> Report {
        let images = try mediaFiles(media)
        let epoch = try await source.epoch()
        let latest = try await source.latestSequence()
        return try await target.write { db in
            try PostgresArchive.takeWriterLock(db)
            let users = try db.value(Int64.self, "SELECT COUNT(*) FROM users") ?? 0
            let articles = try db.value(Int64.self, "SELECT COUNT(*) FROM articles") ?? 0
            let events = try db.value(Int64.self, "SELECT COUNT(*) FROM events") ?? 0
            guard users + articles + events == 0 else {
                throw CopyError("""
                    The PostgreSQL database \(target.url.database) already holds an archive (\(users) users, \(articles) articles, \(events) events): \
                    a server was started on it, or it was copied into before. Copy into a new, empty database \
                    (dropdb \(target.url.database); createdb … as in the README), or keep the one there.
                    """)
            }
            let targetColumns = try columns(db)
            var report = Report()
            try source.export { export in
                for (table, columns) in try export.tables() {
                    guard let target = targetColumns[table] else {
                        throw CopyError("The SQLite archive's table \(table) has no place in the PostgreSQL archive; this galley-server cannot move it.")
                    }
                    let missing = columns.filter { target[$0] == nil }
                    guard missing.isEmpty else {
                        throw CopyError("The PostgreSQL archive has no column for \(table).\(missing.joined(separator: ", ")); this galley-server cannot move it.")
                    }
                    if table == "meta" { try db.execute("DELETE FROM meta") }
                    try insert(db, table: table, columns: columns.map { ($0, target[$0]!.type) }, search: target["search"] != nil, from: export)
                    let copied = try db.value(Int64.self, "SELECT COUNT(*) FROM \(table)") ?? 0
                    let count = try export.count(table)
                    guard copied == Int64(count) else { throw CopyError("\(table): \(count) rows in SQLite, \(copied) in PostgreSQL after the copy.") }
                    report.rows.append((table, count))
                }
                report.revisionsVerified = try verifyRevisions(db, against: export)
            }
            for (name, file) in images {
                guard let bytes = FileManager.default.contents(atPath: file.path) else { throw CopyError("Cannot read the image \(file.path).") }
                try db.execute("INSERT INTO media (name, bytes, stored_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING", [name, bytes, Timestamp.milliseconds(Date())])
            }
            report.media = images.count
            // The full-text columns, from the rows as the archive writes them.
            try db.execute("UPDATE articles SET search = galley_search(title, lead, tags, body)")
            try db.execute("UPDATE published_articles SET search = galley_search(title, lead, tags, body_text)")
            // The planner's statistics, for tables that were empty a moment ago: without them
            // search and similar articles plan as if nothing were there until autovacuum comes.
            try db.execute("ANALYZE")
            // Numbers given from here on follow the copied ones.
            for (table, columns) in targetColumns {
                for (column, info) in columns where info.serial {
                    try db.execute(
                        "SELECT setval(pg_get_serial_sequence(?, ?), GREATEST(COALESCE(MAX(\(column)), 0), 1), MAX(\(column)) IS NOT NULL) FROM \(table)",
                        [table, column])
                }
            }
            // The mark of a moved archive is the source's, not the copy's.
            try db.execute("DELETE FROM meta WHERE key = 'moved_to'")
            report.latestSequence = try db.value(Int64.self, "SELECT MAX(seq) FROM events") ?? 0
            report.epoch = try db.value(String.self, "SELECT value FROM meta WHERE key = 'epoch'") ?? ""
            guard report.latestSequence == latest else { throw CopyError("The last event is \(latest) in SQLite and \(report.latestSequence) after the copy.") }
            guard report.epoch == epoch else { throw CopyError("The epoch did not survive the copy.") }
            return report
        }
    }

    struct Column {
        var type: String
        var serial: Bool
    }

    /// The target's tables and columns, by name.
    static func columns(_ db: PGConnection) throws -> [String: [String: Column]] {
        var tables: [String: [String: Column]] = [:]
        for row in try db.rows(
            """
            SELECT table_name::text AS t, column_name::text AS c, data_type::text AS type, COALESCE(column_default LIKE 'nextval(%', false) AS serial
            FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'galley_migrations'
            """)
        {
            tables[try row["t"], default: [:]][try row["c"]] = Column(type: try row["type"], serial: try row["serial"])
        }
        return tables
    }

    /// Rows in batches of one statement each, under PostgreSQL's limit of 65,535 values.
    static func insert(_ db: PGConnection, table: String, columns: [(name: String, type: String)], search: Bool, from export: ArchiveExport) throws {
        let perRow = columns.map { _ in "?" }.joined(separator: ", ") + (search ? ", ''::tsvector" : "")
        let rowsPerStatement = max(1, min(500, 60_000 / max(1, columns.count)))
        let names = columns.map(\.name).joined(separator: ", ") + (search ? ", search" : "")
        var values: [any PGBind] = []
        var rows = 0
        func flush() throws {
            guard rows > 0 else { return }
            let tuples = Array(repeating: "(\(perRow))", count: rows).joined(separator: ", ")
            try db.execute("INSERT INTO \(table) (\(names)) VALUES \(tuples)", values)
            values.removeAll(keepingCapacity: true)
            rows = 0
        }
        try export.rows(table, columns: columns.map(\.name)) { cells in
            for (cell, column) in zip(cells, columns) { values.append(try value(cell, as: column.type, at: "\(table).\(column.name)")) }
            rows += 1
            if rows == rowsPerStatement { try flush() }
        }
        try flush()
    }

    /// A SQLite value as the PostgreSQL column's type; anything that would not survive exactly is refused.
    static func value(_ cell: Cell, as type: String, at column: String) throws -> any PGBind {
        switch (cell, type) {
        case (.null, _): return String?.none
        case (.integer(let n), "bigint"), (.integer(let n), "integer"), (.integer(let n), "smallint"): return n
        case (.integer(let n), "boolean"): return n != 0
        case (.integer(let n), "double precision"): return Double(n)
        case (.real(let x), "double precision"): return x
        case (.text(let s), "text"): return s
        case (.integer(let n), "text"): return String(n)
        case (.blob(let bytes), "bytea"): return Data(bytes)
        case (.blob(let bytes), "text"):
            guard let s = String(validating: bytes, as: UTF8.self) else { throw CopyError("\(column) holds bytes that are not UTF-8 text.") }
            return s
        default: throw CopyError("\(column) holds \(cell) where PostgreSQL keeps \(type); this galley-server cannot move it.")
        }
    }

    /// Every revision read back from PostgreSQL hashes to its id (reading one checks it), and the
    /// ids are the SQLite archive's.
    static func verifyRevisions(_ db: PGConnection, against export: ArchiveExport) throws -> Int {
        var expected = Set<String>()
        try export.rows("revisions", columns: ["id"]) { cells in
            if case .text(let id) = cells[0] { expected.insert(id) }
        }
        var seen = 0
        var after: Int64 = 0
        while true {
            let rows = try db.rows("SELECT * FROM revisions WHERE ord > ? ORDER BY ord LIMIT 1000", [after])
            guard let last = rows.last else { break }
            for row in rows {
                let revision = try PGRows.revision(row)
                guard expected.contains(revision.id.hex) else { throw CopyError("Revision \(revision.id.hex) is not the SQLite archive's.") }
                seen += 1
            }
            after = try last["ord"]
        }
        guard seen == expected.count else { throw CopyError("\(expected.count) revisions in SQLite, \(seen) verified in PostgreSQL.") }
        return seen
    }

    /// The archive's images: the files in its media folder with a content address for a name.
    static func mediaFiles(_ folder: URL?) throws -> [(String, URL)] {
        guard let folder, FileManager.default.fileExists(atPath: folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter(ImageKind.isMediaName).sorted().map { ($0, folder.appendingPathComponent($0)) }
    }
}

/// Why an archive cannot be moved; said as is.
package struct CopyError: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}
