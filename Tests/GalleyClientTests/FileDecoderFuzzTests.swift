import Foundation
import GalleyTestSupport
import GalleyClient
import GalleyCore
import GalleyStore
import PropertyBased
import Testing

/// Random and mutated input to the client's decoders: front matter and Markdown import, and
/// pull pages. Each decodes or throws a typed error; none crashes or hangs.
@Suite struct FileDecoderFuzzTests {
    static let document = "---\ntitle: Minsk and Beijing\nlead: A lead.\ncategory: politics\ntags: [a, b]\nslug: minsk\nimage: \ncredit: \n---\nBody text.\n\nМінск.\n"

    static func mutate(_ text: String, _ ops: [Int]) -> String {
        var bytes = Array(text.utf8)
        for op in ops where !bytes.isEmpty {
            let at = op % bytes.count
            switch op % 6 {
            case 0: bytes[at] = UInt8(truncatingIfNeeded: op >> 4)
            case 1: bytes.removeSubrange(at...)
            case 2: bytes.insert(contentsOf: Array([":", "-", "[", "{", "\"", "\n", "&", "*", "!"][op % 9].utf8), at: at)
            case 3: bytes.insert(contentsOf: Array("---\n".utf8), at: at)
            case 4: bytes.insert(contentsOf: Array("\t{{a: [b, c]}}: !!binary \n".utf8), at: at)
            default: bytes.removeSubrange(at..<min(bytes.count, at + 7))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func frontMatterParsesOrSaysWhatIsWrong() async {
        await propertyCheck(count: 3000, input: Gen.int(in: 0...1_000_000).array(of: 1...6)) { ops in
            let text = Self.mutate(Self.document, ops)
            do throws(GalleyError) {
                let doc = try ArticleDocument.parse(text)
                _ = doc.render()
            } catch {
                #expect(!error.message.isEmpty, "error \(error.code) has no message")
            }
        }
    }

    @Test func importNeverStopsAtABadFile() async throws {
        let dir = Scratch.path("fuzz-import")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 11)
        for k in 0..<40 {
            let ops = (0..<4).map { _ in Int(rng.next() % 1_000_000) }
            try Data(Self.mutate(Self.document, ops).utf8).write(to: dir.appendingPathComponent("f\(k).md"))
        }
        let app = try GalleyApp.initialize(at: Scratch.path("fuzz-ws"), server: "http://127.0.0.1:9")
        let report = try app.importFiles([dir.path])
        #expect(report.created.count + report.failed.count == 40)
        #expect(report.failed.allSatisfy { !$0.reason.isEmpty })
    }

    @Test func pullPagesDecodeOrThrow() async throws {
        let article = Article(
            id: ArticleID("0193a5f2-7c4e-7a10-9b3d-5e6f70812345")!, content: ArticleContent(title: "t", body: "b"), authors: ["a"],
            headRevision: RevisionID(article: ArticleID("0193a5f2-7c4e-7a10-9b3d-5e6f70812345")!, parents: [], content: ArticleContent(title: "t", body: "b")),
            createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0))
        let head = Revision(articleID: article.id, parents: [], content: article.content, author: "a", createdAt: Date(timeIntervalSince1970: 0))
        let page = PullPage(epoch: "e", articles: [PulledArticle(article: article, head: head, published: nil, seq: 1)], conflicts: [], notes: [], nextCursor: 1, hasMore: false)
        let valid = String(decoding: try GalleyJSON.encoder().encode(page), as: UTF8.self)
        #expect(try GalleyJSON.decoder().decode(PullPage.self, from: Data(valid.utf8)).articles.count == 1, "the seed is a real page")
        await propertyCheck(count: 2000, input: Gen.int(in: 0...1_000_000).array(of: 1...5)) { ops in
            do {
                _ = try GalleyJSON.decoder().decode(PullPage.self, from: Data(Self.mutate(valid, ops).utf8))
            } catch is DecodingError {
            } catch {
                Issue.record("unexpected error type \(type(of: error))")
            }
        }
    }
}

