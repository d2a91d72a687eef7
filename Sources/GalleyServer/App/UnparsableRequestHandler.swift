import Foundation
import GalleyCore
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Says what was wrong with a request that is not HTTP the server can read.
///
/// NIO's parser refuses such a request before any route sees it (a URL or headers over 80 KiB,
/// bytes that are not HTTP/1.1), and Hummingbird then answers `400` with an empty body and
/// closes. This handler sees the parser's error go by and puts a problem+json body, like every
/// other refusal's, into that answer.
final class UnparsableRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = Any
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var parserError: HTTPParserError?

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError { parserError = error }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let error = parserError, case .head(var head) = unwrapOutboundIn(data), head.status == .badRequest,
            head.headerFields[.contentLength] == "0"
        else { return context.write(data, promise: promise) }
        parserError = nil
        let problem = Self.problem(for: error)
        guard let json = try? GalleyJSON.encoder().encode(problem) else { return context.write(data, promise: promise) }
        head.headerFields[.contentType] = "application/problem+json"
        head.headerFields[.contentLength] = String(json.count)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: json))), promise: promise)
    }

    static func problem(for error: HTTPParserError) -> GalleyError {
        switch error {
        case .headerOverflow:
            GalleyError(.malformed, "The request's URL and headers are longer than 80 KiB together; no address here is that long. Send a shorter request.")
        case .invalidURL:
            GalleyError(.malformed, "The request's URL is not a valid one; send a path such as /v1/articles.")
        case .invalidMethod, .unknown:
            GalleyError(.malformed, "The request is not HTTP/1.1 this server can read (its first line should be like GET /v1/articles HTTP/1.1).")
        default:
            GalleyError(.malformed, "The request could not be read as HTTP/1.1 (\(error)); send a well-formed request.")
        }
    }
}
