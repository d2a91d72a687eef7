/// The one rule for which characters Galley keeps in text and which it refuses, for every field
/// a person types: article content, tags, names, credits, notes, messages, passwords.
///
/// Refused everywhere, because no reader or format can carry them faithfully:
/// - C0 control characters other than tab, line feed and carriage return (U+0000–U+001F), DEL
///   (U+007F) and the C1 controls (U+0080–U+009F). SQLite's C API stops a string at NUL, XML 1.0
///   (the Atom feed) forbids the others, and HTML calls them parse errors.
/// - Unicode noncharacters (U+FDD0–U+FDEF and U+xFFFE, U+xFFFF in every plane).
/// - Lone surrogates cannot reach here: a JSON `\uD800` without its pair does not decode.
///
/// Kept, byte for byte once normalized (``ArticleContent/normalized()``): every other character,
/// combining marks, emoji with their joiners, right-to-left text and its marks.
///
/// What depends on the kind of field:
/// - ``Kind/prose`` (body, lead, notes, messages) keeps tabs, line breaks and bidirectional
///   controls: inside a paragraph an unclosed override ends with the paragraph.
/// - ``Kind/line`` (title, image credit, category name) is one line: no line breaks, no tabs, and
///   no bidirectional embedding, override or isolate (U+202A–U+202E, U+2066–U+2069), which in a
///   title would reverse the text that follows it on a card, in a feed reader or a terminal.
/// - ``Kind/label`` (tags, category slugs, image addresses, user names) is also free of every
///   bidirectional control and mark and of invisible characters (but the joiners and variation
///   selectors emoji need), so that two labels that look alike are alike.
public enum TextRules {
    public enum Kind: Sendable {
        case prose, line, label, secret
    }

    /// Why `value` cannot be stored in a field of this kind, or nil if it can, with where (the
    /// character's place, counted as a reader counts characters).
    public static func problem(in value: String, kind: Kind) -> (scalar: Unicode.Scalar, offset: Int, why: String)? {
        // Every body passes through here on every push: judge ASCII bytes directly and look at
        // scalars only when there is something other than ASCII, or something wrong.
        let clean = value.utf8.withContiguousStorageIfAvailable { bytes in
            bytes.allSatisfy { byte in
                (byte >= 0x20 && byte < 0x7F) || (kind == .prose && (byte == 0x09 || byte == 0x0A || byte == 0x0D))
            }
        }
        if clean == true { return nil }
        // The iterator, not indices: a body in Cyrillic is thousands of scalars per check.
        var passed = 0
        for scalar in value.unicodeScalars {
            if scalar.value >= 0x7F || scalar.value < 0x20 || scalar.value == 0x09, let why = reason(scalar, kind: kind) {
                let offset = String(String.UnicodeScalarView(value.unicodeScalars.prefix(passed))).count + 1
                return (scalar, offset, why)
            }
            passed += 1
        }
        return nil
    }

    /// Throws an error that names the field, the character and where it is.
    public static func check(_ value: String, field: String, kind: Kind) throws(GalleyError) {
        guard let (scalar, offset, why) = problem(in: value, kind: kind) else { return }
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        let at = kind == .secret ? "" : " at character \(offset)"
        throw GalleyError(
            .textInvalid,
            "The \(describe(field)) contains \(code) (\(why))\(at); remove it\(kind == .line || kind == .label ? " or retype the text" : ""). Galley keeps text exactly as written, so it refuses characters no page or feed can show.",
            field: field)
    }

    static func reason(_ scalar: Unicode.Scalar, kind: Kind) -> String? {
        let v = scalar.value
        switch v {
        case 0x09:
            return kind == .prose ? nil : "a tab"
        case 0x0A, 0x0D:
            return kind == .prose ? nil : "a line break"
        case 0x00:
            return "NUL, a control character"
        case 0x01...0x1F, 0x7F, 0x80...0x9F:
            return "a control character"
        case 0xFDD0...0xFDEF:
            return "a Unicode noncharacter"
        case _ where v & 0xFFFE == 0xFFFE:
            return "a Unicode noncharacter"
        case 0x202A...0x202E, 0x2066...0x2069:
            return kind == .prose ? nil : "a bidirectional control that would reverse the text after it"
        case 0x200E, 0x200F, 0x061C:
            return kind == .label ? "an invisible bidirectional mark" : nil
        case 0x2028, 0x2029:
            return kind == .prose ? nil : "a line break"
        case 0xFEFF, 0xE0000...0xE007F:
            return kind == .prose ? nil : "an invisible character"
        case 0x200C, 0x200D, 0xFE00...0xFE0F, 0xE0100...0xE01EF:
            return nil  // joiners and variation selectors: emoji and many scripts need them
        default:
            // Invisible characters would let two labels that look the same be different.
            if kind == .label, scalar.properties.isDefaultIgnorableCodePoint { return "an invisible character" }
            return nil
        }
    }

    static func describe(_ field: String) -> String {
        switch field {
        case "imageCredit", "set.imageCredit": "image credit"
        case "tags", "tags.add", "tags.remove": "tag"
        case "authors", "authors.add", "authors.remove": "author name"
        case "note", "note.text": "note"
        case "command.message", "message": "message"
        default:
            field.hasPrefix("set.") ? String(field.dropFirst(4)) : field.hasPrefix("previous.") ? "earlier value of \(field.dropFirst(9))" : field
        }
    }

    /// The kind of each content field.
    public static func kind(of field: ContentField) -> Kind {
        switch field {
        case .lead, .body: .prose
        case .title, .imageCredit: .line
        case .category, .tags, .slug, .image, .deletion: .label
        }
    }
}
