/// What changed between two texts, word by word, for a person to read: the diff an editor sees
/// on the desk. Words as the prose merge reads them (``TokenTable/wordEnds(_:)``: a word with
/// its marks, each punctuation mark and emoji a token), compared with the same diff as merges.
public enum WordDiff {
    public enum Kind: String, Sendable, Equatable {
        case same, removed, added
    }

    /// A run of text that is the same on both sides, only in the old text, or only in the new.
    public struct Segment: Sendable, Equatable {
        public var kind: Kind
        public var text: String

        public init(_ kind: Kind, _ text: String) {
            self.kind = kind
            self.text = text
        }
    }

    /// The new text's runs, with what was removed before what was added in its place. Joining
    /// the `same` and `removed` runs gives the old text back; `same` and `added`, the new.
    public static func segments(from old: String, to new: String) -> [Segment] {
        if old == new { return old.isEmpty ? [] : [Segment(.same, old)] }
        let a = Array(old.utf8), b = Array(new.utf8)
        var table = TokenTable(expectedTokens: a.count / 4 + b.count / 4 + 16)
        let ia = table.add(bytes: a, tokenEnds: TokenTable.wordEnds(a))
        let ib = table.add(bytes: b, tokenEnds: TokenTable.wordEnds(b))
        let ta = table.texts[ia], tb = table.texts[ib]
        let hunks = LineDiff.diff(ta.classes[...], tb.classes[...], classCount: table.classCount)
        var out: [Segment] = []
        func append(_ kind: Kind, _ bytes: ArraySlice<UInt8>) {
            guard !bytes.isEmpty else { return }
            let text = String(decoding: bytes, as: UTF8.self)
            if let last = out.last, last.kind == kind { out[out.count - 1].text += text } else { out.append(Segment(kind, text)) }
        }
        var i = 0
        for hunk in hunks {
            append(.same, ta.slice(i..<hunk.start1))
            append(.removed, ta.slice(hunk.start1..<hunk.start1 + hunk.count1))
            append(.added, tb.slice(hunk.start2..<hunk.start2 + hunk.count2))
            i = hunk.start1 + hunk.count1
        }
        append(.same, ta.slice(i..<ta.count))
        return out
    }
}
