import Foundation
import GalleyTestSupport
import Testing

@testable import GalleyCore

/// The desk's word diff: read in order, its runs give back both texts exactly, whatever the
/// script, marks or emoji; and it marks only what changed.
@Suite struct WordDiffTests {
    static let words = ["Мінск", "Пекін", "cafe\u{301}", "👩🏽‍💻", "і", "the", "policy", "ў", "«Паланэз»", ",", ".", "\n\n", "\n", "  ", "x"]

    /// Replay a failure with `GALLEY_WORDDIFF_SEED=<n> swift test --filter WordDiffTests`.
    @Test func bothTextsComeBackFromTheRunsInOrder() {
        let fixed = ProcessInfo.processInfo.environment["GALLEY_WORDDIFF_SEED"].flatMap(UInt64.init)
        for seed in fixed.map({ [$0] }) ?? Array(0..<300) {
            var rng = SplitMix64(seed: seed)
            func text() -> [String] {
                (0..<Int(rng.next() % 40)).map { _ in Self.words[Int(rng.next() % UInt64(Self.words.count))] + (rng.next() % 2 == 0 ? " " : "") }
            }
            var old = text()
            var new = old
            for _ in 0..<Int(rng.next() % 6) {
                let at = new.isEmpty ? 0 : Int(rng.next() % UInt64(new.count))
                switch rng.next() % 3 {
                case 0: new.insert(contentsOf: text().prefix(3), at: at)
                case 1: if !new.isEmpty { new.remove(at: at) }
                default: if !new.isEmpty { new[at] = Self.words[Int(rng.next() % UInt64(Self.words.count))] }
                }
            }
            if seed % 7 == 0 { old = [] }
            let (a, b) = (old.joined(), new.joined())
            let segments = WordDiff.segments(from: a, to: b)
            let before = segments.filter { $0.kind != .added }.map(\.text).joined()
            let after = segments.filter { $0.kind != .removed }.map(\.text).joined()
            #expect(before == a && after == b, "seed \(seed): \(segments)")
            #expect(a != b || segments.allSatisfy { $0.kind == .same }, "seed \(seed): equal texts with changes \(segments)")
            #expect(zip(segments, segments.dropFirst()).allSatisfy { $0.kind != $1.kind }, "seed \(seed): neighbouring runs of one kind")
        }
    }

    @Test func onlyTheChangedWordIsMarked() {
        let segments = WordDiff.segments(from: "Экспарт зваліўся на трэць.", to: "Экспарт зваліўся на палову.")
        #expect(segments == [.init(.same, "Экспарт зваліўся на "), .init(.removed, "трэць"), .init(.added, "палову"), .init(.same, ".")])
    }
}
