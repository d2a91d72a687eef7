/// The image formats Galley accepts, told by their first bytes (never by a file name).
public enum ImageKind: String, Sendable, CaseIterable {
    case jpeg, png, gif, webp

    public var fileExtension: String {
        switch self {
        case .jpeg: "jpg"
        case .png: "png"
        case .gif: "gif"
        case .webp: "webp"
        }
    }

    public var mimeType: String { "image/\(self.rawValue)" }

    public static let maxBytes = 10 << 20

    public init?<C: Collection>(sniffing bytes: C) where C.Element == UInt8 {
        let b = Array(bytes.prefix(12))
        if b.starts(with: [0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if b.starts(with: Array("GIF87a".utf8)) || b.starts(with: Array("GIF89a".utf8)) {
            self = .gif
        } else if b.count >= 12, b.starts(with: Array("RIFF".utf8)), Array(b[8..<12]) == Array("WEBP".utf8) {
            self = .webp
        } else {
            return nil
        }
    }

    public init?(fileExtension: String) {
        guard let kind = Self.allCases.first(where: { $0.fileExtension == fileExtension }) else { return nil }
        self = kind
    }

    /// The content address of an image: `<sha256>.<ext>`, the only names media have.
    public static func mediaName(for bytes: [UInt8], kind: ImageKind) -> String {
        Hex.encode(RevisionIDHash.sha256(bytes)) + "." + kind.fileExtension
    }

    /// Whether `name` has that shape (so no name can point outside the media folder).
    public static func isMediaName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, ImageKind(fileExtension: String(parts[1])) != nil, parts[0].utf8.count == 64 else { return false }
        return parts[0].utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}
