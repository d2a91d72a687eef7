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
