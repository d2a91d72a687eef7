/// Words as the merge's checks count them, read straight from UTF-8: runs of letters and digits
/// with their marks (so "ў" typed as у and a combining breve is one word), everything else a
/// separator.
///
/// The checks run on every paragraph a merge touches, several times over, so this is a scan of
/// bytes and scalars, not of `Character`s: common scripts (Latin, Cyrillic, Greek, combining
/// marks) are classified by range, the rest by their Unicode properties.
enum Words {
    /// Whether a scalar is part of a word: a letter, a digit or other number, or a mark.
    @inline(__always)
    static func isWordScalar(_ v: UInt32) -> Bool {
        if v < 0x80 { return isASCIIWord(v) }
        switch v {
        case 0xC0...0x24F: return v != 0xD7 && v != 0xF7
        case 0x300...0x36F: return true  // combining diacritical marks
        case 0x386...0x3FF: return v != 0x387 && v != 0x3F6
        case 0x400...0x52F: return v != 0x482  // Cyrillic and its supplement; U+0482 is a sign
        default:
            guard let scalar = Unicode.Scalar(v) else { return false }
            let p = scalar.properties
            if p.isAlphabetic || p.numericType != nil { return true }
            switch p.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: return true
            default: return false
            }
        }
    }

    /// Whether a scalar is a mark, which belongs to the character before it.
    @inline(__always)
    static func isMark(_ v: UInt32) -> Bool {
        switch v {
        case 0..<0x300, 0x370...0x482, 0x48A...0x590: return false
        case 0x300...0x36F, 0x483...0x489: return true
        default: break
        }
        guard let scalar = Unicode.Scalar(v) else { return false }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: return true
        default: return false
        }
    }

    /// An ASCII letter or digit.
    @inline(__always)
    static func isASCIIWord(_ v: UInt32) -> Bool { (0x30...0x39).contains(v) || (0x61...0x7A).contains(v | 0x20) }

    /// Decodes the scalar at `i` of valid or invalid UTF-8: its value and length. A byte that does
    /// not start a well-formed sequence (overlong, a surrogate, beyond U+10FFFF, cut short) is
    /// U+FFFD of length 1, which is no word.
    @inline(__always)
    static func scalar(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (UInt32, Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        let n = p.count
        func cont(_ k: Int) -> UInt32? { k < n && p[k] & 0xC0 == 0x80 ? UInt32(p[k] & 0x3F) : nil }
        if b0 & 0xE0 == 0xC0, let c1 = cont(i + 1) {
            let v = (b0 & 0x1F) << 6 | c1
            if v >= 0x80 { return (v, 2) }
        } else if b0 & 0xF0 == 0xE0, let c1 = cont(i + 1), let c2 = cont(i + 2) {
            let v = (b0 & 0x0F) << 12 | c1 << 6 | c2
            if v >= 0x800, !(0xD800...0xDFFF).contains(v) { return (v, 3) }
        } else if b0 & 0xF8 == 0xF0, let c1 = cont(i + 1), let c2 = cont(i + 2), let c3 = cont(i + 3) {
            let v = (b0 & 0x07) << 18 | c1 << 12 | c2 << 6 | c3
            if v >= 0x10000, v <= 0x10FFFF { return (v, 4) }
        }
        return (0xFFFD, 1)
    }

    /// The byte ranges of the words of UTF-8 text.
    static func ranges<C: Collection<UInt8>>(_ bytes: C) -> [Range<Int>] {
        let run: ([Range<Int>]?) = bytes.withContiguousStorageIfAvailable { ranges($0) }
        return run ?? Array(bytes).withUnsafeBufferPointer { ranges($0) }
    }

    static func ranges(_ p: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = -1
        var i = 0
        while i < p.count {
            let (v, length) = scalar(p, i)
            // A mark belongs to the character before it: to a word, or to what separates words.
            let word = isMark(v) ? start >= 0 : isWordScalar(v)
            if word, start < 0 { start = i }
            if !word, start >= 0 {
                out.append(start..<i)
                start = -1
            }
            i += length
        }
        if start >= 0 { out.append(start..<p.count) }
        return out
    }

    /// One word of a text, compared and hashed by its bytes.
    struct Key: Hashable {
        let text: [UInt8]
        let range: Range<Int>
        let hash: UInt64

        init(_ text: [UInt8], _ range: Range<Int>) {
            self.text = text
            self.range = range
            hash = TokenTable.hash(text, range.lowerBound, range.upperBound)
        }

        static func == (a: Key, b: Key) -> Bool { a.hash == b.hash && a.text[a.range] == b.text[b.range] }
        func hash(into hasher: inout Hasher) { hasher.combine(hash) }
        var string: String { String(decoding: text[range], as: UTF8.self) }
    }

    /// The words of a text in order.
    static func keys(_ text: [UInt8]) -> [Key] { ranges(text).map { Key(text, $0) } }

    /// How often each word occurs in a text.
    static func counts(_ text: [UInt8]) -> [Key: Int] {
        var counts: [Key: Int] = [:]
        for range in ranges(text) { counts[Key(text, range), default: 0] += 1 }
        return counts
    }
}

/// The words of several texts counted over one table: each distinct word gets a small number, so
/// that comparing how often words occur in the texts is comparing arrays of integers.
struct WordTally {
    /// `counts[t][w]`: how often word `w` occurs in text `t`.
    private(set) var counts: [[Int]]
    /// The words of each text in order, by number.
    private(set) var sequences: [[Int32]]
    private let texts: [[UInt8]]
    /// Where each word first occurs: a text and the word's bytes in it.
    private var first: [(text: Int, range: Range<Int>)] = []

    init(_ texts: [[UInt8]]) {
        self.texts = texts
        // Open addressing over (hash, number); a word's bytes are compared with its first
        // occurrence's.
        let expected = texts.reduce(0) { $0 + $1.count / 4 } + 16
        var capacity = 64
        while capacity < expected * 2 { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        var hashes = [UInt64](repeating: 0, count: capacity)
        var first: [(text: Int, range: Range<Int>)] = []
        var perText: [[Int32]] = []
        for (t, text) in texts.enumerated() {
            var numbers: [Int32] = []
            for range in Words.ranges(text) {
                if (first.count + 1) * 2 > slots.count {
                    // Grow: place every number again by its hash.
                    let old = zip(slots, hashes).filter { $0.0 >= 0 }
                    slots = [Int32](repeating: -1, count: slots.count * 2)
                    hashes = [UInt64](repeating: 0, count: slots.count)
                    for (number, hash) in old {
                        var slot = Int(truncatingIfNeeded: hash) & (slots.count - 1)
                        while slots[slot] >= 0 { slot = (slot + 1) & (slots.count - 1) }
                        slots[slot] = number
                        hashes[slot] = hash
                    }
                }
                let hash = TokenTable.hash(text, range.lowerBound, range.upperBound)
                let mask = slots.count - 1
                var slot = Int(truncatingIfNeeded: hash) & mask
                while true {
                    let number = slots[slot]
                    if number < 0 {
                        slots[slot] = Int32(first.count)
                        hashes[slot] = hash
                        numbers.append(Int32(first.count))
                        first.append((t, range))
                        break
                    }
                    if hashes[slot] == hash {
                        let rep = first[Int(number)]
                        if texts[rep.text][rep.range].elementsEqual(text[range]) {
                            numbers.append(number)
                            break
                        }
                    }
                    slot = (slot + 1) & mask
                }
            }
            perText.append(numbers)
        }
        var counts = Array(repeating: [Int](repeating: 0, count: first.count), count: texts.count)
        for (t, numbers) in perText.enumerated() {
            for n in numbers { counts[t][Int(n)] += 1 }
        }
        self.counts = counts
        self.first = first
        self.sequences = perText
    }

    /// Whether text `t` keeps the order text `s` gives the words the two share: of each word that
    /// occurs once in both (a word that repeats has no one place).
    func keepsOrder(of s: Int, in t: Int) -> Bool {
        var place = [Int](repeating: -1, count: first.count)
        for (k, w) in sequences[s].enumerated() where counts[s][Int(w)] == 1 && counts[t][Int(w)] == 1 { place[Int(w)] = k }
        var last = -1
        for w in sequences[t] where place[Int(w)] >= 0 {
            guard place[Int(w)] > last else { return false }
            last = place[Int(w)]
        }
        return true
    }

    /// The numbers of the words.
    var words: Range<Int> { 0..<first.count }

    /// The word numbered `w`, as text.
    func word(_ w: Int) -> String {
        let (t, range) = first[w]
        return String(decoding: texts[t][range], as: UTF8.self)
    }

    /// Found words and how many of them, by their text.
    func report(_ found: [Int: Int]) -> [String: Int] {
        found.reduce(into: [:]) { $0[word($1.key), default: 0] += $1.value }
    }
}
