import Foundation
import GalleyTestSupport
import Testing

@testable import GalleyCore

/// Galley's own UUID text against Foundation's, which it replaced on the hot paths: the same
/// text out, the same UUIDs in (and damaged texts refused), the same order.
@Suite struct UUIDTextTests {
    static let seed: UInt64 = 20261203

    static func uuid(_ rng: inout SplitMix64) -> UUID {
        var b = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { b[i] = UInt8.random(in: 0...255, using: &rng) }
        return UUID(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }

    @Test func writesWhatFoundationWrites() {
        var rng = SplitMix64(seed: Self.seed)
        for _ in 0..<2000 {
            let u = Self.uuid(&rng)
            #expect(UUIDText.lowercased(u) == u.uuidString.lowercased(), "seed \(Self.seed)")
        }
    }

    @Test func readsWhatFoundationReads() {
        var rng = SplitMix64(seed: Self.seed)
        let alphabet = Array("0123456789abcdefABCDEFg-xé😀 ")
        for n in 0..<4000 {
            var text = Self.uuid(&rng).uuidString
            if n % 2 == 1 { text = text.lowercased() }
            // Every other text damaged: a character replaced, removed or added.
            if n % 4 >= 2 {
                var chars = Array(text)
                let at = Int(rng.next() % UInt64(chars.count))
                let c = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                switch rng.next() % 3 {
                case 0: chars[at] = c
                case 1: chars.remove(at: at)
                default: chars.insert(c, at: at)
                }
                text = String(chars)
            }
            // Foundation on Linux reads through sscanf and so takes some damaged texts ("F5-36A38-…"
            // reads as F5FD6A38): those must be refused here, and well-formed ones read alike.
            let wellFormed = text.wholeMatch(of: /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/) != nil
            #expect(UUIDText.parse(text) == (wellFormed ? UUID(uuidString: text) : nil), "'\(text)', seed \(Self.seed)")
            if wellFormed { #expect(UUIDText.parse(text) != nil) }
        }
    }

    @Test func articleIDsTakeDashesAnywhereAndEitherCase() {
        let id = ArticleID("0193a5f2-7c4e-7a10-9b3d-5e6f70812345")
        #expect(id != nil)
        #expect(ArticleID("0193A5F27C4E7A109B3D5E6F70812345") == id)
        #expect(ArticleID("0193a5f2-7c4e7a10-9b3d5e6f-70812345") == id)
        #expect(ArticleID("-0193a5f27c4e7a109b3d5e6f70812345-") == id)
        #expect(ArticleID("0193a5f27c4e7a109b3d5e6f7081234") == nil)
        #expect(ArticleID("0193a5f27c4e7a109b3d5e6f708123456") == nil)
        #expect(ArticleID("0193a5f27c4e7a109b3d5e6f7081234g") == nil)
        #expect(ArticleID("0193a5f27c4e7a109b3d5e6f7081234５") == nil)
        #expect(ArticleID("") == nil)
        #expect(ArticleID(String(repeating: "-", count: 40) + "0193a5f27c4e7a109b3d5e6f70812345") == nil)
    }

    @Test func idsSortAsTheirText() {
        var rng = SplitMix64(seed: Self.seed)
        let ids = (0..<500).map { _ in ArticleID(Self.uuid(&rng)) }
        #expect(ids.sorted().map(\.description) == ids.map(\.description).sorted(), "seed \(Self.seed)")
        let changes = (0..<500).map { _ in ChangeID(Self.uuid(&rng)) }
        #expect(changes.sorted().map(\.description) == changes.map(\.description).sorted(), "seed \(Self.seed)")
    }
}
