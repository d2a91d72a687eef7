import Crypto
import Foundation
import GalleyCore
import Hummingbird

/// Images for articles: uploaded once, stored by content under `<data-dir>/media/`, served
/// from `/media/<sha256>.<ext>`. Names are checked against that shape, so no request can reach
/// outside the folder.
struct MediaRoutes {
    let environment: ServerEnvironment
    static let maxBytes = 10 << 20

    struct Stored: Encodable, Sendable {
        var url: String
        var sha256: String
        var bytes: Int
        var type: String
    }

    /// The kind of image the bytes are, by their magic numbers.
    static func kind(_ bytes: some Collection<UInt8>) -> (ext: String, type: String)? {
        let b = Array(bytes.prefix(12))
        if b.starts(with: [0xFF, 0xD8, 0xFF]) { return ("jpg", "image/jpeg") }
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return ("png", "image/png") }
        if b.starts(with: Array("GIF87a".utf8)) || b.starts(with: Array("GIF89a".utf8)) { return ("gif", "image/gif") }
        if b.count >= 12, b.starts(with: Array("RIFF".utf8)), Array(b[8..<12]) == Array("WEBP".utf8) { return ("webp", "image/webp") }
        return nil
    }

    static let types = ["jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"]

    /// Whether `name` is `<64 hex>.<known extension>`, the only names media have.
    static func isMediaName(_ name: String) -> Bool {
        let parts = name.split(separator: ".")
        guard parts.count == 2, types[String(parts[1])] != nil, parts[0].count == 64 else { return false }
        return parts[0].utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    func register(_ routes: inout RouteList) {
        let folder = URL(fileURLWithPath: environment.configuration.mediaPath)
        routes.add(.post, "/v1/media") { request, context in
            _ = try context.requireUser()
            var request = request
            let buffer = try await request.collectBody(upTo: Self.maxBytes)
            let bytes = Array(buffer.readableBytesView)
            guard let kind = Self.kind(bytes) else {
                throw Problem(.unsupportedMediaType, code: "not_an_image", detail: "The upload is not a JPEG, PNG, WebP or GIF image (checked by its first bytes).")
            }
            let hash = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            let name = "\(hash).\(kind.ext)"
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent(name)
            if !FileManager.default.fileExists(atPath: file.path) {
                // Write beside, then rename: a half-written image never has the final name.
                let temp = folder.appendingPathComponent(".\(name).\(UUID().uuidString)")
                try Data(bytes).write(to: temp)
                try FileManager.default.moveItem(at: temp, to: file)
            }
            return JSONResponse(Stored(url: "/media/\(name)", sha256: hash, bytes: bytes.count, type: kind.type), status: .created)
        }
        routes.add(.get, "/media/:name") { _, context in
            let name = context.parameters.get("name") ?? ""
            guard Self.isMediaName(name), let type = Self.types[String(name.split(separator: ".")[1])],
                let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
            else { throw HTTPError(.notFound, message: "There is no such image.") }
            return Response(
                status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=31536000, immutable"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
