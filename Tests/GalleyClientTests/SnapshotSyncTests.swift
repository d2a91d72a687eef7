import Foundation
import GalleyClient
import GalleyCore
import GalleyServer
import GalleyStore
import GalleyTestSupport
import Testing

/// A reviewer's first sync from the server's prepared replica ends where a first sync that pulls
/// page by page ends: the same articles, revisions, notes, history, conflicts and search, in
/// Cyrillic with marks and emoji; and it goes on syncing from there. Analysts never get one.
@Suite struct SnapshotSyncTests {
    /// Everything a workspace shows of its replica, as comparable text.
    static func contents(_ app: GalleyApp) throws -> [String] {
        var out: [String] = []
        for view in try app.list().views.sorted(by: { $0.article.id < $1.article.id }) {
            let a = try app.find(view.article.id.description)
            out.append("\(a.id) \(a.state.rawValue) \(a.headRevision.hex) \(a.publishedRevision?.hex ?? "-") \(a.authors) \(a.content.title)|\(a.content.body)|\(a.content.sortedTags)")
            // Revisions are compared apart: a replica made at a snapshot keeps the revisions its
            // articles had then, as any replica that synced then would.
            out += try app.replica.notes(of: a.id).map { "  note \($0.author): \($0.text)" }
            out += try app.replica.events(of: a.id).map { "  event \($0.seq) \($0.kind.rawValue) \($0.actor)" }
            out += try app.conflicts(of: a).map { "  conflict \($0.id) \(try app.marked($0))" }
        }
        return out
    }

    @Test(arguments: Backend.all) func aReviewersFirstSyncFromTheSnapshotEndsWhereAPulledOneEnds(backend: Backend) async throws {
        let fixture = try await ClientFixture(backend) { $0.snapshotMinimumEvents = 1 }
        try await fixture.withServer { server in
            let anna = try await ClientFixture.workspace("anna", server: server)
            let erik = try await ClientFixture.workspace("erik", server: server)
            var ids: [ArticleID] = []
            for k in 0..<12 {
                var a = try anna.newArticle(
                    title: "Калій \(k): экспарт 🚜", category: "politics", tags: ["калій", "trade"],
                    body: "Беларусь павялічыла экспарт калію на \(k)%.\n\nЦэны ўпалі — cafe\u{301} і «цытата».\n")
                if k % 3 == 0 { a = try anna.submit(a) }
                ids.append(a.id)
            }
            try await anna.syncOK()
            try await erik.syncOK()
            // Published, noted, and one article in conflict (both changed its first paragraph).
            for id in ids.prefix(4) where id == ids[0] || id == ids[3] {
                let a = try erik.find(id.description)
                _ = try erik.publish(try erik.approve(a))
            }
            try erik.note(try erik.find(ids[1].description), text: "Дадайце крыніцу 📎")
            _ = try erik.requestChanges(try erik.find(ids[6].description), message: "Дадайце лічбы за май.")
            var theirs = ArticleDocument(try anna.find(ids[5].description).content)
            theirs.body = "Беларусь скараціла экспарт калію.\n\nЦэны ўпалі — cafe\u{301} і «цытата».\n"
            try anna.save(theirs, to: try anna.find(ids[5].description))
            var ours = ArticleDocument(try erik.find(ids[5].description).content)
            ours.body = "Беларусь захавала экспарт калію.\n\nЦэны ўпалі — cafe\u{301} і «цытата».\n"
            try erik.save(ours, to: try erik.find(ids[5].description))
            try await anna.syncOK()
            try await erik.syncOK()
            #expect(try erik.conflicts().count == 1)
            // The analyst revises what the editor asked about: a diff reads against what he saw.
            try await anna.syncOK()
            var revised = ArticleDocument(try anna.find(ids[6].description).content)
            revised.body = "Беларусь павялічыла экспарт калію на 6% у маі.\n\nЦэны ўпалі — cafe\u{301} і «цытата».\n"
            try anna.save(revised, to: try anna.find(ids[6].description))
            try await anna.syncOK()

            _ = await fixture.environment.snapshots.snapshot()
            await fixture.environment.snapshots.settle()
            let snapshot = try #require(await fixture.environment.snapshots.snapshot(), "a snapshot was made")

            // After the snapshot: more that the first sync must pull on from its cursor.
            var late = ArticleDocument(try anna.find(ids[7].description).content)
            late.body += "\nПасля здымка.\n"
            try anna.save(late, to: try anna.find(ids[7].description))
            _ = try anna.newArticle(title: "Пасля здымка", category: "politics", body: "Новы артыкул.\n")
            try await anna.syncOK()

            let fromSnapshot = try await ClientFixture.workspace("admin", server: server)
            let report = try await fromSnapshot.syncOK()
            #expect(report.fromSnapshot)
            #expect(report.pulledArticles == (try fromSnapshot.replica.counts().articles), "each article counted once")
            #expect(try fromSnapshot.replica.syncState().cursor > snapshot.cursor)
            #expect(!FileManager.default.fileExists(atPath: fromSnapshot.workspace.galleyDir.appendingPathComponent("snapshot.partial").path))

            // The same user's workspace pulled page by page, for comparison.
            let pulled = try await ClientFixture.workspace("admin", server: server)
            var engine = SyncEngine(replica: pulled.replica, api: try pulled.api())
            let pulledReport = try await engine.run()
            #expect(!pulledReport.fromSnapshot)
            #expect(try Self.contents(fromSnapshot) == Self.contents(pulled))
            #expect(try fromSnapshot.conflicts().count == 1 && pulled.conflicts().count == 1)
            for id in ids {
                let kept = Set(try fromSnapshot.replica.revisions(of: id).map(\.id))
                #expect(try Set(pulled.replica.revisions(of: id).map(\.id)).isSubset(of: kept))
                #expect(try fromSnapshot.show(id.description).article.content == pulled.show(id.description).article.content)
            }
            #expect(try Self.contents(fromSnapshot).count >= 30)
            for query in ["калію", "cafe", "цытата", "Пасля"] {
                #expect(try Set(fromSnapshot.search(query).views.map(\.article.id)) == Set(pulled.search(query).views.map(\.article.id)), "\(query)")
                #expect(try fromSnapshot.search(query).total > 0, "\(query)")
            }
            #expect(try fromSnapshot.replica.integrityCheck() == "ok")
            let diff = try fromSnapshot.diff(try fromSnapshot.find(ids[6].description))
            #expect(diff == (try pulled.diff(try pulled.find(ids[6].description))))
            #expect(diff.contains("+Беларусь павялічыла экспарт калію на 6% у маі."), "\(diff)")

            // It goes on: an edit from the snapshot's replica reaches the others.
            var edit = ArticleDocument(try fromSnapshot.find(ids[2].description).content)
            edit.title = "Калій 2: праўка адміна"
            try fromSnapshot.save(edit, to: try fromSnapshot.find(ids[2].description))
            try await fromSnapshot.syncOK()
            try await anna.syncOK()
            #expect(try anna.find(ids[2].description).content.title == "Калій 2: праўка адміна")

            // An analyst pulls page by page and sees no one else's drafts.
            let boris = try await ClientFixture.workspace("boris", server: server)
            let borisReport = try await boris.syncOK()
            #expect(!borisReport.fromSnapshot)
            #expect(try Set(boris.list().views.map(\.article.id)) == [ids[0], ids[3]])
            // Asked for one anyway, the server refuses him; and a snapshot of another schema is none.
            let file = Scratch.path("snapshot")
            #expect(try await boris.api().downloadSnapshot(schema: ClientReplica.schemaVersion, to: file) == false)
            #expect(try await erik.api().downloadSnapshot(schema: "v1", to: file) == false)
            #expect(try await erik.api().downloadSnapshot(schema: ClientReplica.schemaVersion, to: file) == true)
        }
    }

    @Test func theServerSweepsWhatAnEarlierRunLeftAndMakesOneWithoutBeingAsked() async throws {
        let fixture = try await ClientFixture { $0.snapshotMinimumEvents = 1 }
        var change = Change(articleID: ArticleID.generate(), baseRevision: nil, author: "anna", replicaID: UUID(), createdAt: Date())
        change.set = .init(title: "Калій", body: "Тэкст.\n", category: "politics")
        _ = try await fixture.archive.apply([change], by: .init(name: "anna", role: .analyst), at: Timestamp.canonical(Date()))
        // An earlier run's snapshot, and one a crash left half made.
        let folder = URL(fileURLWithPath: fixture.environment.configuration.dataDir).appendingPathComponent("snapshots")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // (A process id no process has now; and one of a running process, another server's.)
        let gone = Int32.max - 7
        for name in ["reviewers-earlier.sqlite", "reviewers-\(gone)-crashed.partial", "reviewers-\(gone)-crashed.partial-wal", "reviewers-1-another-server.sqlite"] {
            try Data("left over".utf8).write(to: folder.appendingPathComponent(name))
        }
        try await fixture.withServer { _ in
            var made: ReplicaSnapshots.Snapshot?
            for _ in 0..<300 where made == nil {
                try await Task.sleep(for: .milliseconds(100))
                made = await fixture.environment.snapshots.ready
            }
            let snapshot = try #require(made, "the server made a snapshot in the background within 30 s")
            #expect(try Set(FileManager.default.contentsOfDirectory(atPath: folder.path)) == [URL(fileURLWithPath: snapshot.path).lastPathComponent, "reviewers-1-another-server.sqlite"])
        }
    }

    @Test func aReplicaWithWorkOfItsOwnTakesNoSnapshot() async throws {
        let fixture = try await ClientFixture { $0.snapshotMinimumEvents = 1 }
        try await fixture.withServer { server in
            let anna = try await ClientFixture.workspace("anna", server: server)
            _ = try anna.newArticle(title: "Першы", category: "politics", body: "Тэкст.\n")
            try await anna.syncOK()
            _ = await fixture.environment.snapshots.snapshot()
            await fixture.environment.snapshots.settle()
            // Written offline before the first sync: the replica is not empty, so it pulls.
            let erik = try await ClientFixture.workspace("erik", server: server)
            let draft = try erik.newArticle(title: "Чарнавік", category: "politics", body: "Офлайн.\n")
            let report = try await erik.syncOK()
            #expect(!report.fromSnapshot)
            #expect(try erik.list().views.count == 2)
            #expect(try erik.find(draft.id.description).content.body == "Офлайн.\n")
            // A file that is no snapshot is not installed, and nothing is touched.
            let fresh = try await ClientFixture.workspace("erik", server: server)
            let junk = Scratch.path("junk")
            try Data("not a database".utf8).write(to: junk)
            #expect((try? fresh.replica.install(snapshotAt: junk.path)) != true)
            #expect(try fresh.replica.isEmpty())
        }
    }
}
