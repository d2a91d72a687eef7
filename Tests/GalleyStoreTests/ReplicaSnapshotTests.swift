import Foundation
import GRDB
import GalleyCore
import GalleyTestSupport
import Testing

@testable import GalleyStore

/// A prepared replica is installed only when it reads back as pulled pages would have: a file
/// damaged or altered on the way (or by a broken server) is refused and leaves the replica
/// empty, to be pulled by pages, instead of breaking every command of the workspace.
@Suite struct ReplicaSnapshotTests {
    @Test func aDamagedOrAlteredSnapshotIsRefusedAndLeavesTheReplicaEmpty() async throws {
        let archive = try SQLiteArchive.inMemory()
        let editor = ChangeApplier.Actor(name: "erik", role: .editor)
        try await ArchiveStoreTests.prepare(archive, Timestamp.canonical(Date()))
        for k in 0..<6 {
            let change = Change(
                articleID: ArticleID.generate(), baseRevision: nil,
                set: .init(title: "Калій \(k)", body: "Экспарт калію — cafe\u{301} 🚜.\n", category: "politics"),
                author: "erik", replicaID: UUID(), createdAt: Timestamp.canonical(Date()))
            let results = try await archive.apply([change], by: editor, at: Timestamp.canonical(Date()))
            #expect(results.first?.status == .applied, "\(results)")
        }
        let path = Scratch.path("snapshot", extension: "sqlite").path
        let viewer = ChangeApplier.Actor(name: "", role: .editor)
        _ = try await ClientReplica.makeSnapshot(
            at: path, page: { try await archive.pull(since: $0, limit: 2, maxBytes: 1 << 20, viewer: viewer) },
            revision: { try await archive.revision($0) })

        let damages = [
            ("the index's structure", "UPDATE articles_fts_data SET block = x'00ffffffff' WHERE id = 10"),
            ("a state no version knows", "UPDATE articles SET state = 'bogus'"),
            ("a view for a table", "ALTER TABLE events RENAME TO events_kept; CREATE VIEW events AS SELECT * FROM events_kept"),
            ("columns in another order", """
                ALTER TABLE server_articles RENAME TO kept;
                CREATE TABLE server_articles (seq INTEGER NOT NULL, article TEXT NOT NULL, article_id TEXT PRIMARY KEY);
                INSERT INTO server_articles SELECT seq, article, article_id FROM kept
                """),
            ("no cursor", "UPDATE sync_state SET cursor = 0"),
        ]
        for (what, damage) in damages {
            let copy = Scratch.path("damaged", extension: "sqlite").path
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            let db = try DatabaseQueue(path: copy)
            try await db.write { try $0.execute(sql: damage) }
            try db.close()
            let replica = try ClientReplica(path: Scratch.path("replica", extension: "sqlite").path)
            #expect((try? replica.install(snapshotAt: copy)) != true, "\(what)")
            #expect(try replica.isEmpty(), "\(what)")
        }

        // The sound file installs, and reads as the archive's articles.
        let replica = try ClientReplica(path: Scratch.path("replica", extension: "sqlite").path)
        #expect(try replica.install(snapshotAt: path))
        #expect(try replica.counts().articles == 6)
        #expect(try replica.search("калію").total == 6)
        #expect(try replica.integrityCheck() == "ok")
    }
}
