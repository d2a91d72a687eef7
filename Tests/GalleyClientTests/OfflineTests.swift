import Foundation
import GalleyTestSupport
import GalleyClient
import GalleyCore
import GalleyStore
import Testing

/// What works with no server at all: documents, import and export, the outbox.
@Suite struct OfflineTests {
    static func workspace() throws -> GalleyApp {
        let dir = Scratch.path("offline")
        // The address is never contacted in these tests.
        return try GalleyApp.initialize(at: dir, server: "http://127.0.0.1:9")
    }

    @Test func frontMatterRoundTripsAndBadFrontMatterSaysWhatIsWrong() throws {
        var doc = ArticleDocument(ArticleContent(
            title: "Minsk: a \"new\" course?", lead: "Yes — no.", body: "Body.\n\nМінск.\n", category: "politics",
            tags: ["china", "belarus"], slug: "minsk", image: "", imageCredit: "Catholic.by"))
        doc.extra = [("id", "x")]
        let text = doc.render()
        #expect(try ArticleDocument.parse(text) == doc)
        #expect(text.hasPrefix("---\ntitle: "))
        // Values are taken as written, not as numbers; a quoted null is text, a bare one empty.
        let typed = try ArticleDocument.parse("---\ntitle: 1.50\nslug: 007\nlead: \"null\"\ncredit: ~\ntags: [2024, eu]\n---\n")
        #expect(typed.title == "1.50" && typed.slug == "007" && typed.lead == "null" && typed.imageCredit == "" && typed.tags == ["2024", "eu"])

        let bad: [(String, String)] = [
            ("no front matter at all\n", "does not start with front matter"),
            ("---\ntitle: x\n", "not closed"),
            ("---\ntitle: [x\n---\nbody\n", "not valid YAML"),
            ("---\ntitel: x\n---\n", "unknown key 'titel'"),
            ("---\ntitle: {a: b}\n---\n", "must be text"),
            ("---\ntags: {a: b}\n---\n", "'tags' must be a list"),
            // Found by FileDecoderFuzzTests: a mapping used as a key once trapped inside Yams.
            ("---\n{{a: [b, c]}}: x\ntitle: t\n---\n", "must be a word"),
            ("---\n- title\n---\n", "must be keys and values"),
        ]
        for (input, message) in bad {
            #expect(throws: GalleyError.self) { try ArticleDocument.parse(input) }
            do {
                _ = try ArticleDocument.parse(input)
            } catch {
                #expect(error.message.contains(message), "\(input.debugDescription): \(error.message)")
            }
        }
    }

    @Test func importTakesGoodFilesReportsBadOnesAndExportWritesThemBack() throws {
        let app = try Self.workspace()
        let dir = Scratch.path("import")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data("---\ntitle: Good one\ntags: [a, b]\n---\nText.\n".utf8).write(to: dir.appendingPathComponent("good.md"))
        try Data("---\ntitle: Мінск\nlead: Лід.\n---\nТэкст.\n".utf8).write(to: dir.appendingPathComponent("cyrillic.md"))
        try Data("---\ntitle: \n---\nNo title.\n".utf8).write(to: dir.appendingPathComponent("untitled.md"))
        try Data("just text\n".utf8).write(to: dir.appendingPathComponent("plain.md"))
        try Data([0xFF, 0xFE, 0x00]).write(to: dir.appendingPathComponent("binary.md"))
        let report = try app.importFiles([dir.path])
        #expect(report.created.map(\.title).sorted() == ["Good one", "Мінск"])
        #expect(report.failed.count == 3)
        #expect(report.failed.allSatisfy { !$0.reason.isEmpty })
        #expect(try app.status().outbox == 2)

        let out = Scratch.path("export")
        let exported = try app.export(to: out)
        #expect(exported.written.sorted() == ["good-one.md", "мінск.md"])
        let back = try ArticleDocument.parse(try String(contentsOf: out.appendingPathComponent("good-one.md"), encoding: .utf8))
        #expect(back.title == "Good one" && back.tags == ["a", "b"] && back.body == "Text.\n")
    }

    @Test func localRulesAnswerAtOnceAndNothingTouchesTheNetwork() throws {
        let app = try Self.workspace()
        let article = try app.newArticle(title: "Draft", body: "Text.\n")
        // Before any login the workspace acts as an analyst: publishing is refused here and now.
        #expect(throws: GalleyError.self) { try app.publish(article) }
        #expect(throws: GalleyError.self) { try app.newArticle(title: "") }
        #expect(throws: GalleyError.self) { try app.tag(article, add: ["a,b"]) }
        _ = try app.submit(article)
        #expect(try app.find(article.id.short).state == .submitted)
        #expect(try app.status().outbox == 2)
        #expect(try app.status().lastSync == nil)
    }
}
