/// Texts cut into tokens (lines or words), with every distinct token given a small integer class,
/// so that the diff compares integers instead of bytes. One table is shared by the three sides of
/// a merge so that equal tokens get equal classes on every side.
struct TokenTable {
    /// A text as bytes and the boundaries of its tokens: token `i` is `bytes[bounds[i]..<bounds[i + 1]]`.
    struct Text {
        let bytes: [UInt8]
        var bounds: [Int] = [0]
        var classes: [Int32] = []
        var count: Int { classes.count }

        func range(_ tokens: Range<Int>) -> Range<Int> { bounds[tokens.lowerBound]..<bounds[tokens.upperBound] }
        func slice(_ tokens: Range<Int>) -> ArraySlice<UInt8> { bytes[range(tokens)] }
    }

    private(set) var classCount: Int32 = 0
    // Open addressing over (hash, class); a class's representative token lives in `reps`.
    private var slots: [Int32]
    private var slotHashes: [UInt64]
    private var reps: [(text: Int, start: Int, end: Int)] = []
    private(set) var texts: [Text] = []

    init(expectedTokens: Int) {
        var capacity = 64
        while capacity < expectedTokens * 2 { capacity <<= 1 }
        slots = Array(repeating: -1, count: capacity)
        slotHashes = Array(repeating: 0, count: capacity)
        reps.reserveCapacity(expectedTokens)
    }

    /// Adds a text cut at the given token ends (exclusive byte offsets, increasing, last = count).
    mutating func add(bytes: [UInt8], tokenEnds: [Int]) -> Int {
        var text = Text(bytes: bytes)
        text.bounds.reserveCapacity(tokenEnds.count + 1)
        text.classes.reserveCapacity(tokenEnds.count)
        let index = texts.count
        texts.append(text)
        var start = 0
        for end in tokenEnds {
            let cls = intern(textIndex: index, bytes: bytes, start: start, end: end)
            texts[index].bounds.append(end)
            texts[index].classes.append(cls)
            start = end
        }
        return index
    }

    private mutating func intern(textIndex: Int, bytes: [UInt8], start: Int, end: Int) -> Int32 {
        if (Int(classCount) + 1) * 2 > slots.count { grow() }
        let hash = Self.hash(bytes, start, end)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let cls = slots[slot]
            if cls < 0 {
                slots[slot] = classCount
                slotHashes[slot] = hash
                reps.append((textIndex, start, end))
                classCount += 1
                return classCount - 1
            }
            if slotHashes[slot] == hash {
                let rep = reps[Int(cls)]
                if rep.end - rep.start == end - start {
                    let other = rep.text == textIndex ? bytes : texts[rep.text].bytes
                    if Self.equal(bytes, start, other, rep.start, end - start) { return cls }
                }
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let old = zip(slots, slotHashes).filter { $0.0 >= 0 }
        let capacity = slots.count * 2
        slots = Array(repeating: -1, count: capacity)
        slotHashes = Array(repeating: 0, count: capacity)
        let mask = capacity - 1
        for (cls, hash) in old {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = cls
            slotHashes[slot] = hash
        }
    }

    private static func equal(_ a: [UInt8], _ aStart: Int, _ b: [UInt8], _ bStart: Int, _ count: Int) -> Bool {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                memcmpBytes(pa.baseAddress! + aStart, pb.baseAddress! + bStart, count)
            }
        }
    }

    private static func memcmpBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var i = 0
        while i + 8 <= count {
            if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) {
                return false
            }
            i += 8
        }
        while i < count {
            if a[i] != b[i] { return false }
            i += 1
        }
        return true
    }

    /// A fast non-cryptographic hash, eight bytes at a time.
    static func hash(_ bytes: [UInt8], _ start: Int, _ end: Int) -> UInt64 {
        bytes.withUnsafeBufferPointer { buffer in
            let p = buffer.baseAddress! + start
            let count = end - start
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(count)
            var i = 0
            while i + 8 <= count {
                let word = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                h = (h ^ word) &* 0xBF58_476D_1CE4_E5B9
                h ^= h >> 31
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < count {
                tail |= UInt64(p[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
            h ^= h >> 29
            return h
        }
    }
}

extension TokenTable {
    /// Line ends: every line keeps its `\n`; a last line without one is a token of its own kind
    /// (it differs from the same text with a newline, as in git).
    static func lineEnds(_ bytes: [UInt8]) -> [Int] {
        var ends: [Int] = []
        ends.reserveCapacity(bytes.count / 40 + 1)
        bytes.withUnsafeBufferPointer { p in
            var i = 0
            let n = p.count
            while i < n {
                if p[i] == 0x0A { ends.append(i + 1) }
                i += 1
            }
            if ends.last != n, n > 0 { ends.append(n) }
        }
        return ends
    }

    /// Word ends as a reader sees words, at the level of grapheme clusters (never inside a
    /// character, so combining marks and emoji stay whole):
    ///
    /// - runs of letters, digits and marks form a word, and so do the apostrophes and hyphens
    ///   between two letters ("don't", "сям'я", "well-known"), and the points, commas, colons,
    ///   hyphens, dashes and slashes between a digit and a letter or digit ("5.2", "1,000",
    ///   "10:30", "2024-03-01", "3/4", "T-34", "2010–2020"): a merge that took one side's half
    ///   of such a word and the other's other half would write a word, a date or a figure
    ///   nobody wrote;
    /// - a web address is one token, for the same reason: two edits to one link are one edit;
    /// - runs of spaces form a token; a line break, and each other character (punctuation,
    ///   Markdown and AsciiDoc markup, symbols, emoji), is a token of its own.
    ///
    /// (Edits to two words with only spaces between them conflict, as edits to neighbouring
    /// lines do in git: see ``ThreeWayMerge``'s `fillerBetweenConflicts`.)
    ///
    /// Offsets are UTF-8 byte offsets.
    static func wordEnds(_ bytes: [UInt8]) -> [Int] {
        // Most prose is read scalar by scalar (characters being a scalar and its marks), which is
        // many times faster than by `Character`; text with scalars that join characters in other
        // ways (emoji sequences, flags, Hangul jamo, prepended marks) is read by `Character`.
        simpleWordEnds(bytes) ?? characterWordEnds(bytes)
    }

    /// ``wordEnds(_:)`` by `Character`: the reference, and the reading of text with characters
    /// ``simpleWordEnds(_:)`` does not take.
    static func characterWordEnds(_ bytes: [UInt8]) -> [Int] {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.utf8.count == bytes.count else {
            // Not valid UTF-8: fall back to lines, which never split a byte sequence wrongly.
            return lineEnds(bytes)
        }
        let chars = Array(text)
        var read = CharacterReading(capacity: chars.count)
        var offset = 0
        for c in chars {
            read.add(
                start: offset, kind: c.isLetter || c.isNumber || c == "_" ? .word : c.isWhitespace && !c.isNewline ? .space : .other,
                letterOrDigit: c.isLetter || c.isNumber, spaceOrNewline: c.isWhitespace || c.isNewline)
            offset += c.utf8.count
        }
        return read.tokenEnds(total: bytes.count, links: webAddresses(text))
    }

    /// The characters of a text as ``wordEnds(_:)`` reads them, and the tokens they make: runs of
    /// word characters, runs of spaces, each other character alone, a web address whole, and any
    /// mark between two letters or digits, with no space around it, inside the word (config.yaml,
    /// bob@x.org, e.g, COVID-19, col·lecció, a soft hyphen or a word joiner).
    private struct CharacterReading {
        enum Kind { case word, space, other }
        var starts: [Int] = []
        var kinds: [Kind] = []
        var letterOrDigit: [Bool] = []
        var spaceOrNewline: [Bool] = []

        init(capacity: Int) {
            starts.reserveCapacity(capacity + 1)
            kinds.reserveCapacity(capacity)
            letterOrDigit.reserveCapacity(capacity)
            spaceOrNewline.reserveCapacity(capacity)
        }

        mutating func add(start: Int, kind: Kind, letterOrDigit l: Bool, spaceOrNewline w: Bool) {
            starts.append(start)
            kinds.append(kind)
            letterOrDigit.append(l)
            spaceOrNewline.append(w)
        }

        func tokenEnds(total: Int, links: [Range<Int>]) -> [Int] {
            let count = kinds.count
            func start(_ i: Int) -> Int { i < count ? starts[i] : total }
            var link = 0
            var ends: [Int] = []
            var current: Kind? = nil
            func begin(_ k: Kind, at i: Int) {
                if current != nil { ends.append(start(i)) }
                current = k
            }
            var i = 0
            while i < count {
                if link < links.count, start(i) == links[link].lowerBound {
                    begin(.other, at: i)
                    while start(i) < links[link].upperBound { i += 1 }
                    link += 1
                    continue
                }
                var k = kinds[i]
                if k == .other, current == .word, i > 0, i + 1 < count, kinds[i + 1] == .word,
                    letterOrDigit[i - 1], letterOrDigit[i + 1], !spaceOrNewline[i]
                {
                    k = .word
                }
                switch (current, k) {
                case (.space, .space), (.word, .word): break
                default: begin(k, at: i)
                }
                i += 1
            }
            if total > 0, ends.last != total { ends.append(total) }
            return ends
        }
    }

    /// Byte ranges of the web addresses in a text, without the punctuation that ends a sentence
    /// after one, and without Markdown's closing bracket.
    static func webAddresses(_ text: String) -> [Range<Int>] {
        guard mayHoldWebAddress(Array(text.utf8)) else { return [] }
        let utf8 = text.utf8
        return text.matches(of: webAddress).compactMap { match in
            var range = match.range
            while range.lowerBound < range.upperBound, ".,;:!?".contains(text[text.index(before: range.upperBound)]) {
                range = range.lowerBound..<text.index(before: range.upperBound)
            }
            guard !range.isEmpty else { return nil }
            return utf8.distance(from: utf8.startIndex, to: range.lowerBound)..<utf8.distance(from: utf8.startIndex, to: range.upperBound)
        }
    }

    /// Whether the bytes hold "://", "www." or "mailto:", without which there is no web address.
    static func mayHoldWebAddress(_ bytes: [UInt8]) -> Bool {
        let n = bytes.count
        var i = 0
        while i < n {
            switch bytes[i] {
            case UInt8(ascii: ":"):
                if i + 2 < n, bytes[i + 1] == UInt8(ascii: "/"), bytes[i + 2] == UInt8(ascii: "/") { return true }
                if i >= 6, bytes[(i - 6)..<i].elementsEqual("mailto".utf8) { return true }
            case UInt8(ascii: "."):
                if i >= 3, bytes[(i - 3)..<i].elementsEqual("www".utf8) { return true }
            default: break
            }
            i += 1
        }
        return false
    }

    /// ``wordEnds(_:)`` read scalar by scalar, a character being a scalar and the marks after it
    /// ("\r\n" one too); nil for text this cannot read as `Character` would: not UTF-8, or with
    /// a scalar that joins characters otherwise.
    static func simpleWordEnds(_ bytes: [UInt8]) -> [Int]? {
        // The characters: where each starts, and its first scalar.
        var starts: [Int] = []
        var firsts: [UInt32] = []
        starts.reserveCapacity(bytes.count)
        firsts.reserveCapacity(bytes.count)
        let ok: Bool = bytes.withUnsafeBufferPointer { p in
            var i = 0
            var previous: UInt32? = nil
            while i < p.count {
                let (v, length) = Words.scalar(p, i)
                if v == 0xFFFD, length == 1 { return false }
                if joinsOtherwise(v) { return false }
                let extends: Bool
                if let previous {
                    extends = (previous == 0x0D && v == 0x0A) || (Words.isMark(v) && !isControl(previous))
                } else {
                    extends = false
                }
                if !extends {
                    starts.append(i)
                    firsts.append(v)
                } else if firsts.last == 0x5F {
                    // "_" with a mark is not "_", which alone is a word character.
                    firsts[firsts.count - 1] = 0xFFFD
                }
                previous = v
                i += length
            }
            return true
        }
        guard ok else { return nil }
        var read = CharacterReading(capacity: firsts.count)
        for (start, v) in zip(starts, firsts) {
            read.add(
                start: start, kind: isWordStart(v) ? .word : isSpace(v) ? .space : .other,
                letterOrDigit: isLetterOrDigit(v), spaceOrNewline: isSpaceOrNewline(v))
        }
        return read.tokenEnds(total: bytes.count, links: mayHoldWebAddress(bytes) ? webAddresses(String(decoding: bytes, as: UTF8.self)) : [])
    }

    /// Scalars that join characters other than as a mark after its base: zero-width joiners and
    /// non-joiners, emoji modifiers and tags, regional indicators, Hangul jamo and syllables,
    /// prepended concatenation marks, the Thai and Lao vowels SARA AM, halfwidth sound marks.
    private static func joinsOtherwise(_ v: UInt32) -> Bool {
        if v < 0x600 { return false }
        switch v {
        case 0x600...0x605, 0x6DD, 0x70F, 0x890...0x891, 0x8E2, 0xD4E, 0xE33, 0xEB3, 0x1100...0x11FF, 0x200C...0x200D,
            0xA960...0xA97F, 0xAC00...0xD7FF, 0xFF9E...0xFF9F, 0x110BD, 0x110CD, 0x111C2...0x111C3, 0x1193F, 0x11941,
            0x11A3A, 0x11A84...0x11A89, 0x11D46, 0x1F1E6...0x1F1FF, 0x1F3FB...0x1F3FF, 0xE0000...0xE0FFF:
            return true
        default:
            return false
        }
    }

    /// What ends a character before a mark: control characters, line and paragraph separators,
    /// format characters.
    private static func isControl(_ v: UInt32) -> Bool {
        if v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x2028 || v == 0x2029 { return true }
        if v < 0xAD { return false }
        return Unicode.Scalar(v)?.properties.generalCategory == .format
    }

    /// `Character.isLetter || isNumber || == "_"` of a character starting with this scalar.
    private static func isWordStart(_ v: UInt32) -> Bool { v == 0x5F || isLetterOrDigit(v) }

    /// `Character.isLetter || isNumber` of a character starting with this scalar.
    private static func isLetterOrDigit(_ v: UInt32) -> Bool {
        if v < 0x80 { return Words.isASCIIWord(v) }
        switch v {
        case 0xC0...0x24F: return v != 0xD7 && v != 0xF7
        case 0x400...0x481, 0x48A...0x52F: return true
        default:
            guard let p = Unicode.Scalar(v)?.properties else { return false }
            return p.isAlphabetic || p.numericType != nil
        }
    }

    /// `Character.isWhitespace && !isNewline` of a character starting with this scalar.
    private static func isSpace(_ v: UInt32) -> Bool {
        switch v {
        case 0x09, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    private static func isSpaceOrNewline(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    nonisolated(unsafe) private static let webAddress = try! Regex(#"(?:(?:https?|ftp)://|mailto:|www\.)[^\s<>()\[\]"'`]+"#)

    /// Paragraph ends: a paragraph is its lines and the blank lines after it, so that a diff over
    /// paragraphs pairs whole paragraphs and never anchors on the blank line between two.
    static func paragraphEnds(_ bytes: [UInt8]) -> [Int] {
        var ends: [Int] = []
        var start = 0
        var previousBlank = false
        for end in lineEnds(bytes) {
            let blank = bytes[start..<end].allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
            if !blank, previousBlank, start > 0 { ends.append(start) }
            previousBlank = blank
            start = end
        }
        if !bytes.isEmpty { ends.append(bytes.count) }
        return ends
    }
}
