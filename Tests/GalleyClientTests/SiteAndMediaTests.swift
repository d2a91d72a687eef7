import Foundation
import GalleyTestSupport
import GalleyClient
import GalleyCore
import GalleySite
import GalleyStore
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Images attached offline and the static site, through a live server.
@Suite struct SiteAndMediaTests {
    @Test(arguments: Backend.all) func anImageAttachedOfflineIsUploadedAndTheStaticSiteShowsOnlyPublishedText(backend: Backend) async throws {
        let fixture = try await ClientFixture(backend)
        try await fixture.withServer { server in
            let anna = try await ClientFixture.workspace("anna", server: server)
            let erik = try await ClientFixture.workspace("erik", server: server)
            var article = try anna.newArticle(title: "Minsk and Beijing", lead: "A lead.", category: "politics", tags: ["china"], body: "Published words.\n")
            let png = Scratch.path("pic", extension: "png")
            try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]).write(to: png)
            article = try anna.attach(article, imageAt: png.path, credit: "Catholic.by")
            #expect(article.content.image.hasPrefix("/media/") && article.content.imageCredit == "Catholic.by")
            let notAnImage = Scratch.path("x", extension: "png")
            try Data("<html>".utf8).write(to: notAnImage)
            #expect(throws: GalleyError.self) { try anna.attach(article, imageAt: notAnImage.path, credit: "x") }

            let report = try await anna.syncOK()
            #expect(report.uploadedImages == 1)
            let served = try await fetch(server + article.content.image)
            #expect(served.0 == 200 && served.1.count == 12)

            _ = try anna.submit(try anna.find(article.id.description))
            try await anna.syncOK()
            try await erik.syncOK()
            _ = try erik.approve(try erik.find(article.id.description))
            _ = try erik.publish(try erik.find(article.id.description))
            try await erik.syncOK()
            // A newer head under review, and a draft: neither may reach the static site.
            var doc = ArticleDocument(try anna.find(article.id.description).content)
            doc.body = "UNAPPROVED words.\n"
            try await anna.syncOK()
            try anna.save(doc, to: try anna.find(article.id.description))
            _ = try anna.newArticle(title: "A private draft", body: "DRAFT words.\n")
            try await anna.syncOK()

            let out = Scratch.path("site")
            let built = try await anna.buildSite(to: out, siteName: "Galley")
            #expect(built.articles == 1 && built.images == 1)
            let page = try String(contentsOf: out.appendingPathComponent("articles/\(article.content.slug)/index.html"), encoding: .utf8)
            #expect(page.contains("<h1>Minsk and Beijing</h1>") && page.contains("Published words.") && page.contains("Image: Catholic.by"))
            #expect(page.contains("Similar articles") && page.contains("Recent trends"))
            var all = ""
            let files = FileManager.default.enumerator(atPath: out.path)?.compactMap { $0 as? String } ?? []
            for file in files where file.hasSuffix(".html") || file.hasSuffix(".atom") {
                all += try String(contentsOf: out.appendingPathComponent(file), encoding: .utf8)
            }
            #expect(!all.contains("UNAPPROVED") && !all.contains("DRAFT words") && !all.contains("A private draft"))
            #expect(files.contains("feed.atom") && files.contains("style.css") && files.contains("index.html"))
            #expect(files.contains { $0.hasPrefix("media/") && $0.hasSuffix(".png") })
        }
    }

    func fetch(_ url: String) async throws -> (Int, Data) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }
}
