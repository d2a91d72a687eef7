import Foundation
import GalleyCore
import Hummingbird

/// Images for articles: uploaded once, stored by content under `<data-dir>/media/`, served
/// from `/media/<sha256>.<ext>`. Names are checked against that shape, so no request can reach
/// outside the folder.
struct MediaRoutes {
    let environment: ServerEnvironment
    static let maxBytes = ImageKind.maxBytes

    struct Stored: Encodable, Sendable {
        var url: String
        var sha256: String
        var bytes: Int
        var type: String
    }

    func register(_ routes: inout RouteList) {
        let folder = URL(fileURLWithPath: environment.configuration.mediaPath)
        routes.add(.post, "/v1/media") { request, context in
            _ = try context.requireUser()
            var request = request
            let buffer = try await request.collectBody(upTo: Self.maxBytes)
            let bytes = Array(buffer.readableBytesView)
            guard let kind = ImageKind(sniffing: bytes) else {
                throw GalleyError(.notAnImage, "The upload is not a JPEG, PNG, WebP or GIF image (checked by its first bytes).")
            }
            let name = ImageKind.mediaName(for: bytes, kind: kind)
            let hash = String(name.prefix(64))
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let file = folder.appendingPathComponent(name)
            if !FileManager.default.fileExists(atPath: file.path) {
                // Write beside, then rename: a half-written image never has the final name.
                let temp = folder.appendingPathComponent(".\(name).\(UUID().uuidString)")
                try Data(bytes).write(to: temp)
                try FileManager.default.moveItem(at: temp, to: file)
            }
            return JSONResponse(Stored(url: "/media/\(name)", sha256: hash, bytes: bytes.count, type: kind.mimeType), status: .created)
        }
        routes.add(.get, "/media/:name") { _, context in
            let name = try context.parameters.text("name")
            guard ImageKind.isMediaName(name), let type = ImageKind(fileExtension: String(name.split(separator: ".")[1]))?.mimeType,
                let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
            else { throw HTTPError(.notFound, message: "There is no such image.") }
            return Response(
                status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=31536000, immutable"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
