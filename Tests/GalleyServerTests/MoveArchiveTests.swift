import Foundation
import GalleyCore
import GalleyPostgres
import GalleyStore
import GalleyTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import GalleyServer

/// An embedded archive moved into PostgreSQL is the same archive: what every viewer pulls, the
/// public site, search, sessions and images, with its epoch and event numbers, so clients go on
/// from their cursors; and the moved archive goes on taking changes.
@Suite(.enabled(if: TestPostgres.available, "\(TestPostgres.missing)"))
struct MoveArchiveTests {
    static let viewers = [ChangeApplier.Actor(name: "admin", role: .admin), .init(name: "anna", role: .analyst), .init(name: "boris", role: .analyst)]

    /// Everything a viewer can pull, from the start, as the wire carries it.
    static func everything(_ archive: any ArchiveStore, as viewer: ChangeApplier.Actor) async throws -> Data {
        let page = try await archive.pull(since: 0, limit: 10_000, maxBytes: 64 << 20, viewer: viewer)
        #expect(!page.hasMore)
        return try GalleyJSON.encoder().encode(page)
    }

    @Test func anEmbeddedArchiveMovesWholeAndGoesOn() async throws {
        let fixture = try await ServerFixture(.sqlite)
        let sqlite = try #require(fixture.archive as? SQLiteArchive)
        let image = [UInt8]([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + (0..<64).map { UInt8($0) }
        let imageName = ImageKind.mediaName(for: image, kind: .png)
        try await fixture.environment.media.store(image, as: imageName)

        let (tokens, ids) = try await fixture.app().test(.router) { client in
            var ids: [ArticleID] = []
            let anna = try await client.login("anna")
            let erik = try await client.login("erik")
            let now = fixture.environment.now
            let texts = [
                ("Мінск і Пекін", "Беларуская мова з націскам: мо́ва.\n\nДругі абзац 🇧🇾.\n"),
                ("Экономика", "Рост ВВП — 3,1 %.\n\nВторой абзац.\n"),
                ("Café society", "Naïve café prose.\n\nSecond paragraph.\n"),
            ]
            for (title, body) in texts {
                let create = Make.create(title, body: body, by: "anna", tags: ["беларусь", "analysis"], at: now)
                #expect(try await client.push([create], token: anna)[0].status == .applied)
                ids.append(create.articleID)
            }
            // A merge, a conflict and a note.
            let first = try await client.article(ids[0], token: anna)
            let mine = Make.edit(first, by: "anna", at: now) { _ in "Беларуская мова з націскам: мо́ва.\n\nДругі абзац 🇧🇾, дапоўнены.\n" }
            let theirs = Make.edit(first, by: "erik", at: now) { _ in "Беларуская мова з націскам: мова́.\n\nДругі абзац 🇧🇾.\n" }
            _ = try await client.push([mine], token: anna)
            _ = try await client.push([theirs], token: erik)
            let second = try await client.article(ids[1], token: anna)
            _ = try await client.push([Make.edit(second, by: "anna", at: now) { _ in "Рост ВВП — 3,2 %.\n\nВторой абзац.\n" }], token: anna)
            #expect(try await client.push([Make.edit(second, by: "erik", at: now) { _ in "Рост ВВП — 2,9 %.\n\nВторой абзац.\n" }], token: erik)[0].conflicts.count == 1)
            var note = Change(articleID: ids[2], baseRevision: try await client.article(ids[2], token: anna).headRevision, author: "erik", replicaID: UUID(), createdAt: now)
            note.note = .init(text: "Cite the café's source, please.")
            _ = try await client.push([note], token: erik)
            // One published, one scheduled.
            #expect(try await AttackTests.publish(client, ids[2], author: anna, editor: erik).status == .ok)
            #expect(try await AttackTests.publish(client, ids[0], author: anna, editor: erik, at: now.addingTimeInterval(3600)).status == .ok)
            return (["anna": anna, "erik": erik], ids)
        }

        let postgres = try await Backend.postgres(try TestPostgres.newDatabase())
        defer { postgres.close() }
        let report = try await ArchiveCopy.copy(from: sqlite, media: URL(fileURLWithPath: fixture.environment.configuration.mediaPath), to: postgres)
        #expect(report.media == 1 && report.revisionsVerified > 5, "\(report)")

        // The same archive, to every reader and in every view.
        #expect(try await postgres.epoch() == sqlite.epoch())
        #expect(try await postgres.latestSequence() == sqlite.latestSequence())
        for viewer in Self.viewers {
            let before = try await Self.everything(sqlite, as: viewer)
            let after = try await Self.everything(postgres, as: viewer)
            #expect(before == after, "\(viewer.name) pulls the same archive")
        }
        #expect(try await postgres.users().map(\.name) == sqlite.users().map(\.name))
        #expect(try await postgres.categories() == sqlite.categories())
        #expect(try await postgres.audit(limit: 1000, before: nil).map(\.action) == sqlite.audit(limit: 1000, before: nil).map(\.action))
        #expect(try await postgres.latestPublished(PublishedQuery(limit: 10)).map(\.id) == [ids[2]])
        #expect(try await postgres.searchPublished("cafe", limit: 10, offset: 0).map(\.id) == [ids[2]], "the search index is built for the moved rows")
        #expect(try await postgres.nextScheduled(after: fixture.environment.now) == sqlite.nextScheduled(after: fixture.environment.now))
        #expect(try await PostgresMediaStore(archive: postgres).load(imageName) == Data(image))

        // It goes on: the sessions hold, a new change is numbered after the copied ones, and the
        // scheduler publishes what was scheduled.
        let environment = ServerEnvironment(archive: postgres, media: PostgresMediaStore(archive: postgres), configuration: fixture.environment.configuration, clock: { fixture.environment.now })
        let copiedSequence = try await postgres.latestSequence()
        try await buildApplication(environment: environment, logger: Logger.test, scheduling: false).test(.router) { client in
            let anna = try #require(tokens["anna"])
            #expect(try await client.article(ids[1], token: anna).id == ids[1], "anna's session moved with the archive")
            let created = Make.create("После переезда", body: "Новый текст.\n", by: "anna", at: fixture.environment.now)
            #expect(try await client.push([created], token: anna)[0].status == .applied)
        }
        #expect(try await postgres.latestSequence() > copiedSequence)
        fixture.advance(3601)
        #expect(try await ScheduledPublisher(environment: environment, logger: Logger.test).tick() == [ids[0]])

        // A second copy into a database that holds an archive is refused, and writes nothing.
        let sequence = try await postgres.latestSequence()
        await #expect(throws: CopyError.self) { try await ArchiveCopy.copy(from: sqlite, media: nil, to: postgres) }
        #expect(try await postgres.latestSequence() == sequence)
    }
}
