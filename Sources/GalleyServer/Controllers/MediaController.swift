import Foundation
import GalleyCore
import GalleyStore
import Hummingbird

/// Images for articles: uploaded once, stored by content in the media store, served from
/// `/media/<sha256>.<ext>`.
struct MediaController {
    let environment: ServerEnvironment
    static let maxBytes = ImageKind.maxBytes

    func addRoutes(to router: some RouterMethods<GalleyRequestContext>) {
        router.post("/v1/media", use: upload)
        router.get("/media/:name", use: image)
    }

    struct Stored: Encodable, Sendable {
        var url: String
        var sha256: String
        var bytes: Int
        var type: String
    }

    @Sendable func upload(_ request: Request, context: GalleyRequestContext) async throws -> JSONResponse<Stored> {
        _ = try context.requireUser()
        var request = request
        let buffer = try await request.collectBody(upTo: Self.maxBytes)
        let bytes = Array(buffer.readableBytesView)
        guard let kind = ImageKind(sniffing: bytes) else {
            throw GalleyError(.notAnImage, "The upload is not a JPEG, PNG, WebP or GIF image (checked by its first bytes).")
        }
        let name = ImageKind.mediaName(for: bytes, kind: kind)
        try await environment.media.store(bytes, as: name)
        return JSONResponse(Stored(url: "/media/\(name)", sha256: String(name.prefix(64)), bytes: bytes.count, type: kind.mimeType), status: .created)
    }

    @Sendable func image(_ request: Request, context: GalleyRequestContext) async throws -> Response {
        let name = try context.parameters.text("name")
        guard ImageKind.isMediaName(name), let type = ImageKind(fileExtension: String(name.split(separator: ".")[1]))?.mimeType,
            let data = try await environment.media.load(name)
        else { throw HTTPError(.notFound, message: "There is no such image.") }
        return Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=31536000, immutable"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
