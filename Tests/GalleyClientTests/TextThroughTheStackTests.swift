import Foundation
import GalleyClient
import GalleyCore
import GalleyServer
import GalleySite
import GalleyStore
import GalleyTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Random text in every field a person types, through the whole stack: pushed to the server as
/// raw JSON, pulled into a replica, published, rendered as a page, an Atom feed and a static
/// site. Each value is either refused (a 4xx naming the field, nothing written) or comes back
/// byte for byte (as normalized) everywhere, in well-formed XML. Which characters must be
/// refused is restated here from the rule in the README, not taken from the code under test.
@Suite struct TextThroughTheStackTests {
    enum Field: String, CaseIterable { case title, lead, body, imageCredit, tag, note, message, categoryName }

    /// Pieces random text is made of: ordinary and unusual characters that must be kept, and
    /// the ones the rule refuses.
    static let kept: [String] = [
        "a", "Z", "7", " ", "ў", "і", "Ж", "é", "e\u{301}", "\u{301}", "👩🏽‍💻", "🇧🇾", "—", "«", "»", "<", ">", "&", "\"", "'", "*", "_", "#", "[", "]",
        "\u{200D}", "\u{00A0}", "ß", "中", "ش", "\u{200F}", "\u{202E}", "\u{2066}", "\u{2069}", "\t", "\n", "\r\n", "x\u{FE0F}", "\u{1F600}",
    ]
    static let refused: [String] = [0x0, 0x1, 0x7, 0x8, 0xB, 0xC, 0x1B, 0x1F, 0x7F, 0x80, 0x85, 0x9F, 0xFFFE, 0xFFFF, 0xFDD0, 0x1FFFE, 0x10FFFF]
        .map { String(Character(Unicode.Scalar($0)!)) }

    /// What the rule says of a normalized value in a field, restated independently.
    static func forbidden(_ value: String, _ field: Field) -> Bool {
        let prose: Set<Field> = [.lead, .body, .note, .message]
        let label: Set<Field> = [.tag]
        for s in value.unicodeScalars {
            let v = s.value
            if v < 0x20, v != 0x09, v != 0x0A, v != 0x0D { return true }
            if (0x7F...0x9F).contains(v) || (0xFDD0...0xFDEF).contains(v) || v & 0xFFFE == 0xFFFE { return true }
            if !prose.contains(field) {
                if v == 0x09 || v == 0x0A || v == 0x0D { return true }
                if (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v) { return true }
            }
            if label.contains(field), v == 0x200E || v == 0x200F || v == 0x061C { return true }
        }
        return false
    }

    static func randomText<R: RandomNumberGenerator>(_ rng: inout R, field: Field) -> String {
        var out = "x"
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            out += Int.random(in: 0..<16, using: &rng) == 0 ? refused.randomElement(using: &rng)! : kept.randomElement(using: &rng)!
        }
        out += "y"
        if field == .tag { out = out.replacingOccurrences(of: ",", with: "") }
        return out
    }

    static func jsonString(_ s: String) -> String {
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }

    @Test func everyTextFieldIsRefusedOrKeptExactlyThroughTheWholeStack() async throws {
        let seed = ProcessInfo.processInfo.environment["GALLEY_TEXT_SEED"].flatMap(UInt64.init) ?? 20_261_201
        let rounds = Int(ProcessInfo.processInfo.environment["GALLEY_FUZZ_EXAMPLES"] ?? "") .map { $0 * 8 } ?? 200
        let fixture = try await ClientFixture()
        let app = try buildApplication(environment: fixture.environment, logger: Logger.test)
        let desk = try GalleyApp.initialize(at: Scratch.path("stack-desk"), server: "http://127.0.0.1:9")
        let published = try await app.test(.router) { client in
            var rng = SplitMix64(seed: seed)
            var published: [(slug: String, field: Field, value: String)] = []
            var counts = (kept: 0, refused: 0)
            func login(_ name: String) async throws -> String {
                let r = try await client.execute(uri: "/v1/sessions", method: .post, headers: [.contentType: "application/json"],
                                                 body: ByteBuffer(string: #"{"name":"\#(name)","password":"password-\#(name)"}"#))
                return (try JSONSerialization.jsonObject(with: Data(r.body.readableBytesView)) as? [String: Any])?["token"] as? String ?? ""
            }
            let anna = try await login("anna")
            let erik = try await login("erik")
            let admin = try await login("admin")
            func call(_ method: HTTPRequest.Method, _ uri: String, _ token: String?, _ body: String? = nil) async throws -> (Int, [String: Any], String) {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                let r = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                let data = Data(r.body.readableBytesView)
                return (Int(r.status.code), (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:], String(decoding: data, as: UTF8.self))
            }
            var cursor: Int64 = 0
            func pullIntoTheReplica() async throws {
                while true {
                    let (_, _, text) = try await call(.get, "/v1/sync/pull?since=\(cursor)&limit=500", erik)
                    let page = try GalleyJSON.decoder().decode(PullPage.self, from: Data(text.utf8))
                    try desk.replica.apply(page, now: fixture.environment.now)
                    cursor = page.nextCursor
                    if !page.hasMore { break }
                }
            }

            for round in 0..<rounds {
                let field = Field.allCases.randomElement(using: &rng)!
                let value = Self.randomText(&rng, field: field)
                // Sometimes a lone surrogate, which only raw JSON can carry.
                let surrogate = field != .categoryName && Int.random(in: 0..<12, using: &rng) == 0
                let encoded = surrogate ? String(Self.jsonString(value).dropLast()) + #"\ud800""# : Self.jsonString(value)
                let normalized = ArticleContent.normalizedField(field == .lead ? .lead : field == .body || field == .note || field == .message ? .body : .title, value)
                let mustRefuse = surrogate || Self.forbidden(normalized, field)
                let context = "seed \(seed), round \(round): \(field.rawValue) = \(value.unicodeScalars.map { String($0.value, radix: 16) })"
                let before = try await fixture.archive.latestSequence()
                let id = ArticleID.generate(at: fixture.environment.now, using: &rng)
                let n = round

                func change(set: [String: String], extra: String = "") -> String {
                    var fields = ["\"title\":\"Round \(n)\"", "\"body\":\"Body \(n).\\n\"", "\"category\":\"politics\""]
                    for (k, v) in set { fields.removeAll { $0.hasPrefix("\"\(k)\":") }; fields.append("\"\(k)\":\(v)") }
                    return #"{"changes":[{"id":"\#(UUID())","articleId":"\#(id)","set":{\#(fields.joined(separator: ","))}\#(extra),"author":"anna","replicaId":"\#(UUID())","createdAt":"2027-01-15T08:00:00Z"}]}"#
                }

                var status = 0
                var reply: [String: Any] = [:]
                switch field {
                case .title, .lead, .body, .imageCredit:
                    (status, reply, _) = try await call(.post, "/v1/sync/push", anna, change(set: [field.rawValue: encoded]))
                case .tag:
                    (status, reply, _) = try await call(.post, "/v1/sync/push", anna, change(set: [:], extra: #","tags":{"add":[\#(encoded)]}"#))
                case .note:
                    (status, reply, _) = try await call(.post, "/v1/sync/push", anna, change(set: [:], extra: #","note":{"id":"\#(UUID())","text":\#(encoded)}"#))
                case .message:
                    _ = try await call(.post, "/v1/sync/push", anna, change(set: [:]))
                    _ = try await call(.post, "/v1/articles/\(id)/transitions", anna, #"{"kind":"submit"}"#)
                    (status, reply, _) = try await call(.post, "/v1/articles/\(id)/transitions", erik, #"{"kind":"request_changes","message":\#(encoded)}"#)
                case .categoryName:
                    (status, reply, _) = try await call(.post, "/v1/categories", admin, #"{"slug":"c\#(n)","name":\#(encoded)}"#)
                }
                let results = reply["results"] as? [[String: Any]]
                let refusedHow: (code: String?, field: String?)? = {
                    if status >= 400 { return (reply["code"] as? String, reply["field"] as? String) }
                    if let r = results?.first, r["status"] as? String == "rejected" {
                        let error = r["error"] as? [String: Any]
                        return (error?["code"] as? String, error?["field"] as? String)
                    }
                    return nil
                }()

                if mustRefuse {
                    let how = try #require(refusedHow, "\(context): accepted, but it has a character the rule refuses")
                    #expect(how.code == (surrogate ? "malformed" : "text_invalid"), "\(context): \(how)")
                    if !surrogate { #expect(how.field != nil, "\(context): the refusal names no field") }
                    counts.refused += 1
                    if field != .message {
                        // (A message is refused on an article made for it, which stays.)
                        #expect(try await fixture.archive.article(id) == nil, "\(context): something was stored")
                        #expect(try await fixture.archive.latestSequence() == before, "\(context): an event was written")
                    }
                    continue
                }
                #expect(refusedHow == nil, "\(context): refused though the rule keeps it: \(String(describing: refusedHow))")
                guard refusedHow == nil else { continue }
                counts.kept += 1

                // Pulled into a replica: the same bytes.
                try await pullIntoTheReplica()
                switch field {
                case .title, .lead, .body, .imageCredit, .tag:
                    let stored = try #require(try desk.replica.article(id), "\(context): not in the replica")
                    let expected = field == .tag ? ArticleContent.normalizedField(.tags, value) : ArticleContent.normalizedField(ContentField(rawValue: field.rawValue)!, value)
                    let actual = field == .tag ? stored.content.sortedTags.joined(separator: ", ") : stored.content[text: ContentField(rawValue: field.rawValue)!]
                    #expect(Array(actual.utf8) == Array(expected.utf8), "\(context): came back as \(actual.unicodeScalars.map { String($0.value, radix: 16) })")
                    // Published: on its page and in the feed, escaped and well-formed.
                    _ = try await call(.post, "/v1/articles/\(id)/transitions", anna, #"{"kind":"submit"}"#)
                    let (_, shown, _) = try await call(.get, "/v1/articles/\(id)", erik)
                    _ = try await call(.post, "/v1/articles/\(id)/transitions", erik, #"{"kind":"approve","revision":"\#(shown["headRevision"] as? String ?? "")"}"#)
                    let (done, _, _) = try await call(.post, "/v1/articles/\(id)/transitions", erik, #"{"kind":"publish"}"#)
                    #expect(done == 200, "\(context): publish answered \(done)")
                    let slug = shown["slug"] as? String ?? ""
                    let (pageStatus, _, html) = try await call(.get, SiteLinks(style: .server).article(slug), nil)
                    #expect(pageStatus == 200, "\(context): the page answered \(pageStatus)")
                    // (The body is Markdown, shown rendered; a credit shows only with its image.)
                    if field == .title || field == .lead || field == .tag {
                        let escaped = HTMLSanitizer.escape(field == .tag ? stored.content.sortedTags[0] : actual)
                        #expect(html.contains(escaped), "\(context): the page does not show the text as written")
                    }
                    #expect(!html.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" }, "\(context): a control character on the page")
                    let (_, _, feed) = try await call(.get, "/feed.atom", nil)
                    #expect(Self.wellFormed(feed), "\(context): the feed is not well-formed XML")
                    if field == .title || field == .lead { published.append((slug, field, actual)) }
                case .note:
                    let note = try #require(try desk.replica.notes(of: id).first, "\(context): the note did not arrive")
                    #expect(Array(note.text.utf8) == Array(value.trimmingCharacters(in: .whitespacesAndNewlines).utf8), "\(context): the note came back as \(note.text.debugDescription)")
                case .message:
                    let note = try #require(try desk.replica.notes(of: id).last, "\(context): the request's message did not arrive")
                    #expect(note.text == value.trimmingCharacters(in: .whitespacesAndNewlines), "\(context): the message came back as \(note.text.debugDescription)")
                case .categoryName:
                    #expect(try await fixture.archive.categories().contains { $0.name == value.trimmingCharacters(in: .whitespacesAndNewlines) }, "\(context)")
                }
            }
            try await pullIntoTheReplica()
            print("text through the stack: seed \(seed), \(rounds) values, \(counts.kept) kept exactly, \(counts.refused) refused")
            #expect(counts.kept > rounds / 4 && counts.refused > rounds / 4, "seed \(seed): the generator is off (\(counts))")
            return published
        }
        // The static site from the replica: every page there, every feed well-formed.
        let out = Scratch.path("stack-site")
        _ = try await desk.buildSite(to: out)
        #expect(Self.wellFormed(try String(contentsOf: out.appendingPathComponent("feed.atom"), encoding: .utf8)), "seed \(seed): the static feed is not well-formed")
        for (slug, field, value) in published {
            let path = out.appendingPathComponent("articles").appendingPathComponent(slug).appendingPathComponent("index.html")
            let html = try String(contentsOf: path, encoding: .utf8)
            #expect(html.contains(HTMLSanitizer.escape(value)), "seed \(seed): the static page of \(slug) lacks its \(field.rawValue)")
        }
    }

    static func wellFormed(_ xml: String) -> Bool {
        let parser = XMLParser(data: Data(xml.utf8))
        if parser.parse() { return true }
        let saved = Scratch.root.deletingLastPathComponent().appendingPathComponent("ill-formed-\(UUID()).xml")
        try? Data(xml.utf8).write(to: saved)
        print("ill-formed XML (\(parser.parserError.map(String.init(describing:)) ?? "?")) saved in \(saved.path)")
        return false
    }
}

