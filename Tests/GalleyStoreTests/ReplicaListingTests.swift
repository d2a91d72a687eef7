import Foundation
import GRDB
import GalleyCore
import Testing

@testable import GalleyStore

/// `galley list` and `galley status` on a large replica read a page of rows, not every article:
/// the plans of the listing's statements, as SQLite makes them on an empty replica (no
/// statistics, the case a new workspace is in), use an index for every filter.
@Suite struct ReplicaListingTests {
    @Test(arguments: [
        ("all", ClientReplica.Filter()), ("state", ClientReplica.Filter(state: .scheduled)), ("category", ClientReplica.Filter(category: "politics")),
        ("tag", ClientReplica.Filter(tag: "china")), ("author", ClientReplica.Filter(author: "anna")),
    ])
    func everyListingReadsThroughAnIndex(name: String, filter: ClientReplica.Filter) throws {
        let replica = try ClientReplica.inMemory()
        let statements = ClientReplica.listing(filter)
        for (kind, sql) in [("page", statements.page), ("count", statements.count)] {
            let plan = try replica.writer.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: filter.sql.1 + (kind == "page" ? [50, 0] : [])).map { $0["detail"] as String }
            }
            let onArticles = plan.filter { $0 == "SCAN a" || $0.hasPrefix("SCAN a ") || $0.hasPrefix("SEARCH a ") }
            #expect(!onArticles.isEmpty && onArticles.allSatisfy { $0.contains("INDEX") }, "\(name) \(kind) reads the table: \(plan)")
            if filter.state != nil || filter.category != nil {
                #expect(onArticles.allSatisfy { $0.hasPrefix("SEARCH") }, "\(name) \(kind) scans where it could seek: \(plan)")
            }
        }
    }
}
