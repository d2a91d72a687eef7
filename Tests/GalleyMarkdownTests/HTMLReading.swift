import Foundation

/// HTML as the CommonMark spec's own runner reads it (its `normalize.py`, ported): tags and text
/// in order, whitespace collapsed outside `<pre>` and dropped around block tags, attributes
/// sorted and escaped one way, character references decoded. Two renderings that differ only in
/// ways a browser does not show normalize to the same string.
enum SpecNormalizer {
    static let blockTags: Set<String> = [
        "article", "header", "aside", "hgroup", "blockquote", "hr", "iframe", "body", "li", "map", "button", "object", "canvas",
        "ol", "output", "dd", "dl", "dt", "noscript", "section", "div", "fieldset", "figcaption", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "pre", "progress", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "video",
    ]

    static func normalize(_ html: String) -> String {
        var output = ""
        var last = "starttag", lastTag = "", inPre = false
        func rstrip() { while let c = output.unicodeScalars.last, c.properties.isWhitespace { output.unicodeScalars.removeLast() } }
        for token in HTMLTokens.tokens(html) {
            switch token {
            case .text(let raw):
                // Text and character references alternate, as in Python's HTMLParser.
                for piece in HTMLTokens.splitReferences(raw) {
                    switch piece {
                    case .reference(let decoded, let fallback):
                        switch decoded {
                        case "<": output += "&lt;"
                        case ">": output += "&gt;"
                        case "&": output += "&amp;"
                        case "\"": output += "&quot;"
                        case nil: output += fallback
                        case let c?: output += c
                        }
                        last = "ref"
                    case .data(var data):
                        let afterTag = last == "endtag" || last == "starttag"
                        let afterBlock = afterTag && blockTags.contains(lastTag)
                        if afterTag && lastTag == "br" { data = String(data.drop { $0 == "\n" }) }
                        if !inPre { data = collapse(data) }
                        if afterBlock && !inPre {
                            if last == "starttag" { data = lstrip(data) } else if last == "endtag" { data = rstripString(lstrip(data)) }
                        }
                        output += data
                        last = "data"
                    }
                }
            case .comment(let body):
                output += "<!--\(body)-->"
                last = "comment"
            case .other(let raw):
                output += raw
                last = "decl"
            case .end(let name):
                if name == "pre" { inPre = false } else if blockTags.contains(name) { rstrip() }
                output += "</\(name)>"
                lastTag = name
                last = "endtag"
            case .start(let name, let attributes, let selfClosing):
                if name == "pre" { inPre = true }
                if blockTags.contains(name) { rstrip() }
                output += "<\(name)"
                for (key, value) in attributes.sorted(by: { $0.0 == $1.0 ? ($0.1 ?? "") < ($1.1 ?? "") : $0.0 < $1.0 }) {
                    output += " \(key)"
                    if let value { output += "=\"\(pythonEscape(value))\"" }
                }
                output += ">"
                lastTag = name
                last = selfClosing ? "endtag" : "starttag"
            }
        }
        return output
    }

    static func collapse(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var inSpace = false
        for c in s.unicodeScalars {
            if c.properties.isWhitespace {
                if !inSpace { out.append(" ") }
                inSpace = true
            } else {
                out.append(c)
                inSpace = false
            }
        }
        return String(out)
    }

    static func lstrip(_ s: String) -> String { String(String.UnicodeScalarView(s.unicodeScalars.drop { $0.properties.isWhitespace })) }
    static func rstripString(_ s: String) -> String {
        var v = s.unicodeScalars
        while let c = v.last, c.properties.isWhitespace { v.removeLast() }
        return String(v)
    }

    static func pythonEscape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#x27;")
    }
}

/// A small HTML tokenizer for renderer output: enough to normalize, to check that tags balance,
/// and to read the visible text.
enum HTMLTokens {
    enum Token: Equatable {
        case text(String)
        case start(String, [(String, String?)], selfClosing: Bool)
        case end(String)
        case comment(String)
        case other(String)

        static func == (a: Token, b: Token) -> Bool { "\(a)" == "\(b)" }
    }

    enum Piece {
        case data(String)
        case reference(String?, fallback: String)
    }

    // Everything here goes by Unicode scalar, as an HTML parser does: a `>` or `&` followed
    // by a combining mark is one Swift Character, but still a `>` or `&`.

    static func tokens(_ html: String) -> [Token] {
        let s = Array(html.unicodeScalars)
        func string(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(s[r])) }
        func starts(_ i: Int, _ p: String) -> Bool { Array(p.unicodeScalars).elementsEqual(s[i..<min(s.count, i + p.unicodeScalars.count)]) }
        func find(_ c: Unicode.Scalar, from i: Int) -> Int? { s[i...].firstIndex(of: c) }
        var result: [Token] = []
        var i = 0
        while i < s.count {
            if starts(i, "<!--"), let end = (i + 2..<max(i + 2, s.count)).first(where: { starts($0, "-->") }) {
                result.append(.comment(string(i + 4..<max(i + 4, end))))
                i = end + 3
            } else if s[i] == "<", let close = find(">", from: i), let tag = parseTag(Array(s[i + 1..<close])) {
                result.append(tag)
                i = close + 1
            } else if starts(i, "<!") || starts(i, "<?"), let close = find(">", from: i) {
                result.append(.other(string(i..<close + 1)))
                i = close + 1
            } else {
                let next = find("<", from: i + 1) ?? s.count
                result.append(.text(string(i..<next)))
                i = next
            }
        }
        return result
    }

    static func parseTag(_ chars: [Unicode.Scalar]) -> Token? {
        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{C}" }
        func isNameChar(_ c: Unicode.Scalar) -> Bool { c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-") }
        var body = chars[...]
        if body.first == "/" {
            let name = String(String.UnicodeScalarView(body.dropFirst().filter { !isSpace($0) })).lowercased()
            return name.isEmpty || !name.unicodeScalars.allSatisfy(isNameChar) ? nil : .end(name)
        }
        let selfClosing = body.last == "/"
        if selfClosing { body = body.dropLast() }
        let nameEnd = body.firstIndex(where: isSpace) ?? body.endIndex
        let nameScalars = body[..<nameEnd]
        guard let first = nameScalars.first, first.isASCII, first.properties.isAlphabetic, nameScalars.allSatisfy(isNameChar) else { return nil }
        let name = String(String.UnicodeScalarView(nameScalars)).lowercased()
        var attributes: [(String, String?)] = []
        var k = nameEnd
        let end = body.endIndex
        while k < end {
            while k < end, isSpace(body[k]) { k += 1 }
            guard k < end else { break }
            var key = String.UnicodeScalarView()
            while k < end, !isSpace(body[k]), body[k] != "=" { key.append(body[k]); k += 1 }
            while k < end, isSpace(body[k]) { k += 1 }
            var value: String?
            if k < end, body[k] == "=" {
                k += 1
                while k < end, isSpace(body[k]) { k += 1 }
                var v = String.UnicodeScalarView()
                if k < end, body[k] == "\"" || body[k] == "'" {
                    let quote = body[k]
                    k += 1
                    while k < end, body[k] != quote { v.append(body[k]); k += 1 }
                    if k >= end { return nil }
                    k += 1
                } else {
                    while k < end, !isSpace(body[k]) { v.append(body[k]); k += 1 }
                }
                value = decodeReferences(String(v))
            }
            if key.isEmpty { return nil }
            attributes.append((String(key).lowercased(), value))
        }
        return .start(name, attributes, selfClosing: selfClosing)
    }

    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "copy": "©", "AElig": "Æ", "Dcaron": "Ď",
        "frac34": "¾", "HilbertSpace": "ℋ", "DifferentialD": "ⅆ", "ClockwiseContourIntegral": "∲", "ngE": "≧̸", "ouml": "ö", "auml": "ä",
    ]

    /// Text split into data and character references, as an HTML parser sees them.
    static func splitReferences(_ text: String) -> [Piece] {
        let s = Array(text.unicodeScalars)
        func string(_ r: Range<Int>) -> String { String(String.UnicodeScalarView(s[r])) }
        var pieces: [Piece] = []
        var data = ""
        var i = 0
        while i < s.count {
            guard s[i] == "&", let semi = s[(i + 1)..<min(s.count, i + 40)].firstIndex(of: ";") else {
                data.unicodeScalars.append(s[i])
                i += 1
                continue
            }
            let name = string(i + 1..<semi)
            var decoded: String??
            if name.hasPrefix("#x") || name.hasPrefix("#X"), name.count > 2, let v = UInt32(name.dropFirst(2), radix: 16) {
                decoded = .some(Unicode.Scalar(v).map { String(Character($0)) })
            } else if name.hasPrefix("#"), name.count > 1, let v = UInt32(name.dropFirst()) {
                decoded = .some(Unicode.Scalar(v).map { String(Character($0)) })
            } else if !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }) {
                decoded = .some(named[name])
            }
            guard let decoded else {
                data.unicodeScalars.append(s[i])
                i += 1
                continue
            }
            if !data.isEmpty { pieces.append(.data(data)); data = "" }
            pieces.append(.reference(decoded, fallback: "&\(name);"))
            i = semi + 1
        }
        if !data.isEmpty { pieces.append(.data(data)) }
        return pieces
    }

    static func decodeReferences(_ text: String) -> String {
        splitReferences(text).map {
            switch $0 {
            case .data(let d): d
            case .reference(let c, let fallback): c ?? fallback
            }
        }.joined()
    }

    /// What a reader sees: the text of the page, references decoded, plus every image's alt
    /// text (a browser shows it in place of a picture that cannot load).
    /// A comment (cmark's "raw HTML omitted") ends a word: the words on either side of it were
    /// never one word.
    static func visibleText(_ html: String) -> String {
        var out = ""
        for token in tokens(html) {
            switch token {
            case .comment: out += " "
            case .text(let t): out += decodeReferences(t)
            case .start(let name, let attributes, _):
                if name == "img", let alt = attributes.first(where: { $0.0 == "alt" })?.1 { out += " " + alt + " " }
                if SpecNormalizer.blockTags.contains(name) || name == "br" { out += "\n" }
            case .end(let name):
                if SpecNormalizer.blockTags.contains(name) { out += "\n" }
            default: break
            }
        }
        return out
    }

    static let voidElements: Set<String> = ["br", "hr", "img", "input"]

    /// Problems that make `html` not well-formed: an element left open or closed out of order,
    /// a `<` or `&` in text that is not markup or a reference, an unquoted or broken attribute.
    static func wellFormednessProblems(_ html: String) -> [String] {
        var problems: [String] = []
        var open: [String] = []
        for token in tokens(html) {
            switch token {
            case .text(let t):
                if t.unicodeScalars.contains("<") { problems.append("a bare < in text: \(t.prefix(40))") }
                if t.unicodeScalars.contains(">") { problems.append("a bare > in text: \(t.prefix(40))") }
                for piece in splitReferences(t) {
                    if case .data(let d) = piece, d.unicodeScalars.contains("&") { problems.append("a bare & in text: \(d.prefix(40))") }
                    if case .reference(nil, let fallback) = piece { problems.append("an unknown reference \(fallback)") }
                }
            case .start(let name, _, let selfClosing):
                if voidElements.contains(name) { continue }
                if name == "a", open.contains("a") { problems.append("<a> inside <a>") }
                if selfClosing { problems.append("<\(name) /> is not a void element") } else { open.append(name) }
            case .end(let name):
                if open.last == name { open.removeLast() } else { problems.append("</\(name)> closes \(open.last.map { "<\($0)>" } ?? "nothing")") }
            case .comment: problems.append("a comment in rendered output")
            case .other(let raw): problems.append("markup that is not an element: \(raw.prefix(40))")
            }
        }
        if !open.isEmpty { problems.append("left open: \(open)") }
        return problems
    }
}
