/// The outcome of a three-way text merge.
///
/// `regions` is the meaning: stretches of merged text, and conflicts with the base, ours and
/// theirs text of each: exactly the lines both sides changed, or, where a paragraph was merged as
/// prose, exactly the words that collide, with the base's text of those words. `marked` is the presentation: the
/// merged text with git-style conflict markers, conflicts narrowed and counted the way
/// `git merge-file` does, for people and for the `galley merge-file` plumbing.
public struct MergeResult: Hashable, Sendable {
    public enum Region: Hashable, Sendable {
        case clean(String)
        case conflict(base: String, ours: String, theirs: String)
    }

    public enum Side: Sendable { case ours, theirs }

    public let regions: [Region]
    /// The merged text with conflict markers, as bytes (identical to the merged text when clean).
    public let marked: [UInt8]
    /// The number of conflict blocks in ``marked`` (git's exit status for `merge-file`).
    public let conflictCount: Int
    /// The paragraphs (numbered from 1 in the merged text) merged word by word, or as whole
    /// paragraphs, where the lines of both sides overlapped: the merges a person should read,
    /// since no line-based tool would have made them. Set when the merge is clean.
    public var wordMergedParagraphs: [Int] = []
    public var wordMerges: Int { wordMergedParagraphs.count }

    public var isClean: Bool { conflictCount == 0 }

    /// The merged text where each conflict takes one side. The server keeps its own side ("ours")
    /// in the head and the other in a conflict record, so nothing is lost and nothing is marked up.
    public func text(conflictsTake side: Side = .ours) -> String {
        var out = ""
        for region in regions {
            switch region {
            case .clean(let text): out += text
            case .conflict(_, let ours, let theirs): out += side == .ours ? ours : theirs
            }
        }
        return out
    }

    /// ``marked`` as text.
    public var markedText: String { String(decoding: marked, as: UTF8.self) }
}
