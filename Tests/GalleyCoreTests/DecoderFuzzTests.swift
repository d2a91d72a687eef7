import Foundation
import GalleyTestSupport
import PropertyBased
import Testing

@testable import GalleyCore

/// Random and mutated bytes to every decoder of the wire and file formats: each either decodes
/// or throws a typed error, and none crashes or hangs. (Seeds are printed by PropertyBased.)
@Suite struct DecoderFuzzTests {
    static let validChange: Data = {
        var rng = SplitMix64(seed: 5)
        var change = Change(
            articleID: ArticleID.generate(at: Date(timeIntervalSince1970: 1_800_000_000), using: &rng),
            baseRevision: RevisionID(article: ArticleID("0193a5f2-7c4e-7a10-9b3d-5e6f70812345")!, parents: [], content: ArticleContent(title: "x")),
            tags: SetEdit(add: ["a"]), command: .approve(revision: RevisionID(article: ArticleID("0193a5f2-7c4e-7a10-9b3d-5e6f70812345")!, parents: [], content: ArticleContent())),
            note: .init(text: "n"), resolves: [ConflictID(change: ChangeID(), field: .body)], author: "anna", replicaID: UUID(),
            createdAt: Date(timeIntervalSince1970: 1_800_000_000))
        change.set(.body, to: "new body\nМінск 🙂", from: ArticleContent(body: "old"))
        return try! GalleyJSON.encoder().encode(change)
    }()

    /// A revision as the wire carries it, the seed the revision decoder is fuzzed from.
    static let validRevision: Data = {
        let id = ArticleID("0193a5f2-7c4e-7a10-9b3d-5e6f70812345")!
        let parent = RevisionID(article: id, parents: [], content: ArticleContent(title: "x"))
        let revision = Revision(
            articleID: id, parents: [parent], content: ArticleContent(title: "Мінск", lead: "l", body: "b\n🙂\n", tags: ["a", "b"], slug: "minsk"),
            author: "anna", createdAt: Date(timeIntervalSince1970: 1_800_000_000), changeID: ChangeID())
        return try! GalleyJSON.encoder().encode(revision)
    }()

    @Test func theSeedsAreRealDocuments() throws {
        // A fuzz run from an empty or wrong seed would test noise alone.
        #expect(try GalleyJSON.decoder().decode(Change.self, from: Self.validChange).note?.text == "n")
        #expect(try GalleyJSON.decoder().decode(Revision.self, from: Self.validRevision).content.title == "Мінск")
    }

    /// Mutations of a valid document: flipped bytes, cut short, bytes inserted, or pure noise.
    static let mutation = Gen.int(in: 0...1_000_000).array(of: 1...8)

    static func mutate(_ data: Data, _ ops: [Int]) -> Data {
        var bytes = [UInt8](data)
        for op in ops {
            guard !bytes.isEmpty else { break }
            let at = op % bytes.count
            switch op % 5 {
            case 0: bytes[at] ^= UInt8(truncatingIfNeeded: op >> 8) | 1
            case 1: bytes.removeSubrange(at...)
            case 2: bytes.insert(UInt8(truncatingIfNeeded: op >> 3), at: at)
            case 3: bytes.replaceSubrange(at..<min(bytes.count, at + 4), with: Array("\"\\u0000{[".utf8))
            default: bytes = (0..<(op % 64)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) ^ op) }
            }
        }
        return Data(bytes)
    }

    @Test func changeJSONDecodesOrThrows() async {
        await propertyCheck(count: 3000, input: Self.mutation) { ops in
            let data = Self.mutate(Self.validChange, ops)
            do {
                let change = try GalleyJSON.decoder().decode(Change.self, from: data)
                // Whatever decodes also encodes again.
                _ = try GalleyJSON.encoder().encode(change)
            } catch is DecodingError {
            } catch {
                Issue.record("unexpected error type \(type(of: error))")
            }
        }
    }

    @Test func modelDecodersDecodeOrThrow() async {
        let article = try! GalleyJSON.encoder().encode(Article(
            id: ArticleID("0193a5f2-7c4e-7a10-9b3d-5e6f70812345")!, content: ArticleContent(title: "t", body: "b"), authors: ["a"],
            headRevision: RevisionID(article: ArticleID("0193a5f2-7c4e-7a10-9b3d-5e6f70812345")!, parents: [], content: ArticleContent(title: "t", body: "b")),
            createdAt: Date(timeIntervalSince1970: 0), updatedAt: Date(timeIntervalSince1970: 0)))
        await propertyCheck(count: 2000, input: Self.mutation) { ops in
            for (seed, kind) in [(article, "article"), (Self.validRevision, "revision"), (Data("{\"kind\":\"approve\"}".utf8), "command")] {
                let data = Self.mutate(seed, ops)
                do {
                    switch kind {
                    case "article": _ = try GalleyJSON.decoder().decode(Article.self, from: data)
                    case "revision": _ = try GalleyJSON.decoder().decode(Revision.self, from: data)
                    default: _ = try GalleyJSON.decoder().decode(WorkflowCommand.self, from: data)
                    }
                } catch is DecodingError {
                } catch {
                    Issue.record("unexpected error type \(type(of: error)) for \(kind)")
                }
            }
        }
    }

    @Test func timestampsAndIdsParseOrRefuse() async {
        await propertyCheck(count: 3000, input: Gen.ascii.string(of: 0...40)) { text in
            if let date = Timestamp.parse(text) { #expect(Timestamp.parse(Timestamp.format(date)) == Timestamp.canonical(date)) }
            _ = ArticleID(text)
            _ = RevisionID(text)
            _ = ConflictID(text)
        }
    }

    @Test func conflictMarkerFilesMergeOrConflictNeverCrash() async {
        // Texts full of conflict markers and odd line ends go through the merge like any text.
        let pieces = ["<<<<<<< ours\n", "=======\n", ">>>>>>> theirs\n", "line\n", "\r\n", "", "слова\n", "🙂", "\n\n"]
        let text = Gen.int(in: 0...(pieces.count - 1)).array(of: 0...30).map { $0.map { pieces[$0] }.joined() }
        await propertyCheck(count: 1000, input: text, text, text) { base, ours, theirs in
            let result = TextMerge.merge(base: base, ours: ours, theirs: theirs)
            if result.isClean { #expect(result.markedText == result.text()) }
        }
    }
}
