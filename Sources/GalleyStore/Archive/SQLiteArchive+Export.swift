import Foundation
import GRDB

/// One value of a row as SQLite holds it, for copying the archive into another database.
package enum Cell: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

extension SQLiteArchive {
    /// Where the archive was moved, if it was: a server must not go on taking changes here.
    package func movedTo() async throws -> String? {
        try await writer.read { db in
            do { return try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'moved_to'") } catch { throw StoreError.from(error) }
        }
    }

    /// Marks the archive as moved to `place` (said in the refusal to serve it).
    package func markMoved(to place: String) async throws {
        try await writer.write { db in
            do {
                try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('moved_to', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", arguments: [place])
            } catch {
                throw StoreError.from(error)
            }
        }
    }

    /// Runs `body` over the archive as of one moment (one read transaction: the server may go on
    /// writing meanwhile, and the copy is still of one consistent archive).
    package func export<T>(_ body: (ArchiveExport) throws -> T) throws -> T {
        try writer.read { db in try body(ArchiveExport(db: db)) }
    }
}

/// The archive's own tables, row by row. Not the full-text indexes (virtual tables and their
/// shadow tables): the target builds its own from the rows.
package struct ArchiveExport {
    let db: Database

    /// Tables in the order they were made, which is an order their references allow.
    package func tables() throws -> [(name: String, columns: [String])] {
        do {
            let all = try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY rowid")
            let virtual = all.filter { ($0["sql"] as String? ?? "").uppercased().hasPrefix("CREATE VIRTUAL TABLE") }.map { $0["name"] as String }
            let own = all.map { $0["name"] as String }.filter { name in
                !name.hasPrefix("sqlite_") && !name.hasPrefix("grdb_") && !virtual.contains { name == $0 || name.hasPrefix($0 + "_") }
            }
            return try own.map { name in
                (name, try Row.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [name]).map { $0["name"] as String })
            }
        } catch {
            throw StoreError.from(error)
        }
    }

    package func count(_ table: String) throws -> Int {
        do { return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(Self.quoted(table))") ?? 0 } catch { throw StoreError.from(error) }
    }

    /// Every row of `table`, `columns` in that order, in the order the rows were written (rowid)
    /// where the table has one.
    package func rows(_ table: String, columns: [String], _ each: ([Cell]) throws -> Void) throws {
        let list = columns.map(Self.quoted).joined(separator: ", ")
        let rowid = try Bool.fetchOne(db, sql: "SELECT NOT EXISTS (SELECT 1 FROM pragma_table_list WHERE name = ? AND wr = 1)", arguments: [table]) ?? true
        let cursor = try Row.fetchCursor(db, sql: "SELECT \(list) FROM \(Self.quoted(table))\(rowid ? " ORDER BY rowid" : "")")
        while let row = try cursor.next() {
            try each((0..<columns.count).map { index in
                switch row[index] as DatabaseValue {
                case let value where value.isNull: return .null
                case let value:
                    switch value.storage {
                    case .int64(let n): return .integer(n)
                    case .double(let x): return .real(x)
                    case .string(let s): return .text(s)
                    case .blob(let data): return .blob([UInt8](data))
                    case .null: return .null
                    }
                }
            })
        }
    }

    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

/// One galley-server per data dir: an exclusive lock on `<data dir>/galley-server.lock`, held
/// while the process lives (the kernel lets go of it when the process ends, however it ends).
package enum DataDirLock {
    nonisolated(unsafe) private static var held: [String: Int32] = [:]
    private static let lock = NSLock()

    /// Takes the lock, or says which process holds it.
    package static func take(_ dataDir: String) throws {
        try lock.withLock {
            let path = URL(fileURLWithPath: dataDir).appendingPathComponent("galley-server.lock").path
            guard held[path] == nil else { return }
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw DataDirBusy(description: "Cannot open \(path): \(String(cString: strerror(errno))).") }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let data = FileManager.default.contents(atPath: path) ?? Data()
                let pid = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                close(fd)
                throw DataDirBusy(description: "Another galley-server\(pid.isEmpty ? "" : " (pid \(pid))") is running on the data dir \(dataDir); stop it first.")
            }
            ftruncate(fd, 0)
            let text = "\(getpid())\n"
            _ = text.withCString { write(fd, $0, strlen($0)) }
            held[path] = fd
        }
    }
}

/// The data dir is in use by another process.
package struct DataDirBusy: Error, CustomStringConvertible {
    package let description: String
}
