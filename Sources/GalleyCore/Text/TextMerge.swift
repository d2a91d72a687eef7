/// Three-way text merge for article text: diff3 over lines, as `git merge-file` does, then, where
/// two edits overlap, the same merge again over paragraphs and over the words of a paragraph
/// both changed (``ProseMerge``).
///
/// Where git merges cleanly the result is git's, byte for byte. Where git would conflict, the
/// prose pass may still merge (two people fixing different words of one sentence); what is left
/// is reported as conflicts of the words that collide, with base, ours and theirs text.
public enum TextMerge {
    public struct Options: Sendable {
        /// Retry conflicting lines as prose: paragraphs, then words.
        public var wordLevel: Bool
        /// Labels on the conflict markers: `<<<<<<< ours` … `>>>>>>> theirs`.
        public var oursLabel: String?
        public var theirsLabel: String?

        /// Settle what still conflicts for one side, or for both, instead of marking it (git's
        /// `--ours`, `--theirs`, `--union`); the result then counts no conflicts.
        public var favor: Favor?

        public init(wordLevel: Bool = true, oursLabel: String? = "ours", theirsLabel: String? = "theirs", favor: Favor? = nil) {
            self.wordLevel = wordLevel
            self.oursLabel = oursLabel
            self.theirsLabel = theirsLabel
            self.favor = favor
        }
    }

    public enum Favor: String, Sendable, CaseIterable { case ours, theirs, union }

    public static func merge(base: String, ours: String, theirs: String, options: Options = Options()) -> MergeResult {
        merge(base: Array(base.utf8), ours: Array(ours.utf8), theirs: Array(theirs.utf8), options: options)
    }

    public static func merge(base: [UInt8], ours: [UInt8], theirs: [UInt8], options: Options = Options()) -> MergeResult {
        var merger = ThreeWayMerge(base: base, ours: ours, theirs: theirs, tokenizer: TokenTable.lineEnds)
        return merger.run(options: options)
    }
}
