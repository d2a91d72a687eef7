/// URL slugs: lowercase letters (of any script, so Cyrillic titles keep readable slugs), digits
/// and single hyphens between them.
public enum Slug {
    public static let maxLength = 120

    /// A slug made from a title: "Мінск і Пекін: 2017" → "мінск-і-пекін-2017".
    public static func make(from title: String, maxLength: Int = 80) -> String {
        var out = ""
        var pendingHyphen = false
        for character in title.lowercased() {
            if character.isLetter || character.isNumber {
                if pendingHyphen, !out.isEmpty { out.append("-") }
                pendingHyphen = false
                // Without the invisible joiners a letter may carry (a Persian ZWNJ, say).
                out.unicodeScalars.append(contentsOf: character.unicodeScalars.filter { !$0.properties.isDefaultIgnorableCodePoint })
                if out.count >= maxLength { break }
            } else if character == "'" || character == "’" {
                continue  // "Minsk's" reads better as "minsks" than "minsk-s"
            } else {
                pendingHyphen = true
            }
        }
        return out.isEmpty ? "article" : out
    }

    /// Whether `slug` has the form ``make(from:maxLength:)`` produces. Checked by Unicode scalar
    /// as well as by character: an invisible joiner rides inside the letter before it, and
    /// `published\u{200D}-piece` must not pass for another page's `published-piece`.
    public static func isValid(_ slug: String) -> Bool {
        guard !slug.isEmpty, slug.unicodeScalars.count <= maxLength, slug.first != "-", slug.last != "-", !slug.contains("--") else {
            return false
        }
        guard slug.allSatisfy({ $0 == "-" || (($0.isLetter || $0.isNumber) && $0.lowercased() == String($0)) }) else { return false }
        var afterLetter = false
        for scalar in slug.unicodeScalars {
            let p = scalar.properties
            if p.isDefaultIgnorableCodePoint { return false }
            switch p.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber, .letterNumber, .otherNumber:
                afterLetter = true
            case .nonspacingMark, .spacingMark, .enclosingMark:
                guard afterLetter else { return false }  // a mark belongs to a letter (Devanagari vowel signs, say)
            default:
                guard scalar == "-" else { return false }
                afterLetter = false
            }
        }
        return true
    }

    /// `base` if it is free, else `base-2`, `base-3`, … : the first that `isTaken` says is free.
    public static func unique(_ base: String, isTaken: (String) -> Bool) -> String {
        guard isTaken(base) else { return base }
        func name(_ n: Int) -> String { "\(base)-\(n)" }
        // Taken names are mostly base, base-2 … base-n: gallop to a free number, then search back
        // to the first free one after the last taken seen. Each look is a query under the
        // archive's writer lock, so the 500th article of one title costs 18 looks, not 500.
        var taken = 1
        var free = 2
        while isTaken(name(free)) {
            taken = free
            free *= 2
        }
        while free - taken > 1 {
            let middle = (taken + free) / 2
            if isTaken(name(middle)) { taken = middle } else { free = middle }
        }
        return name(free)
    }
}
