import Crypto
import Foundation

/// The identity of a revision: the SHA-256 of a canonical encoding of the article id, the parent
/// revision ids and the content fields. The same content on the same parents gives the same id on
/// every machine, so an approval that names a revision id names exactly the text the editor read.
///
/// The canonical encoding (version 1), all text UTF-8 and already normalized
/// (see ``ArticleContent/normalized()``):
///
/// ```
/// galley-revision/1\n
/// article <uuid, lowercase with dashes>\n
/// parent <64 lowercase hex digits>\n          one line per parent, in order (first = mainline)
/// title <byte count>\n<bytes>\n
/// lead <byte count>\n<bytes>\n
/// body <byte count>\n<bytes>\n
/// category <byte count>\n<bytes>\n
/// tag <byte count>\n<bytes>\n                 one per tag, sorted by Unicode scalar values
/// slug <byte count>\n<bytes>\n
/// image <byte count>\n<bytes>\n
/// imageCredit <byte count>\n<bytes>\n
/// ```
///
/// Author and time are deliberately left out: two people who make the same edit to the same
/// parent produce the same revision, which is what lets replicas converge without duplicates.
public struct RevisionID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// 64 lowercase hex digits.
    public let hex: String

    public init?(_ string: String) {
        let lower = string.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else {
            return nil
        }
        hex = lower
    }

    /// The id of `content` as a revision of `article` on top of `parents`.
    public init(article: ArticleID, parents: [RevisionID], content: ArticleContent) {
        var hasher = SHA256()
        hasher.update(data: Array(Self.canonicalEncoding(article: article, parents: parents, content: content)))
        hex = Hex.encode(hasher.finalize())
    }

    /// The bytes that are hashed; public so that other implementations can check theirs against it.
    public static func canonicalEncoding(article: ArticleID, parents: [RevisionID], content: ArticleContent) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(content.body.utf8.count + content.lead.utf8.count + 512)
        func line(_ s: String) { out.append(contentsOf: s.utf8); out.append(0x0A) }
        func field(_ name: String, _ value: String) {
            line("\(name) \(value.utf8.count)")
            out.append(contentsOf: value.utf8)
            out.append(0x0A)
        }
        line("galley-revision/1")
        line("article \(article)")
        for parent in parents { line("parent \(parent.hex)") }
        for name in ContentField.content {
            if name == .tags {
                for tag in content.sortedTags { field("tag", tag) }
            } else {
                field(name.rawValue, content[text: name])
            }
        }
        return out
    }

    public var description: String { hex }
    /// 8 hex digits for people, like an abbreviated git commit.
    public var short: String { String(hex.prefix(8)) }

    public static func < (lhs: RevisionID, rhs: RevisionID) -> Bool { lhs.hex < rhs.hex }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let string = try container.decode(String.self)
        guard let id = RevisionID(string) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(string)' is not a revision id (64 hex digits)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
