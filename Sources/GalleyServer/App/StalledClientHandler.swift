import NIOCore
import NIOHTTPTypes

/// Closes a connection whose client has read nothing of an answer for `timeout`.
///
/// Hummingbird's idle timeout covers a connection between requests and a request that stops
/// arriving, but not an answer the client stops reading: the response then waits on the socket
/// for as long as the client keeps it open, and holds what it streams (a prepared replica's
/// file, replaced and deleted meanwhile, keeps its disk space until the last reader lets go).
///
/// What counts is progress, not speed: a write that completes (its bytes taken by the socket,
/// which only happens as the client reads) restarts the clock. So that a slow reader makes
/// progress often, a large body (a 4 MiB pull page is one buffer) goes out in slices of
/// `slice` bytes, each its own write; only a client that reads none of them for the whole
/// timeout is disconnected.
final class StalledClientHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = Any
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let slice = 16 << 10

    private let timeout: TimeAmount
    /// Writes passed on and not yet completed.
    private var pending = 0
    /// When a write last completed, or the first of the pending ones was made.
    private var lastProgress = NIODeadline.uptimeNanoseconds(0)
    private var check: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .body(var buffer) = unwrapOutboundIn(data), buffer.readableBytes > Self.slice else {
            return track(context, data, promise)
        }
        while buffer.readableBytes > Self.slice, let piece = buffer.readSlice(length: Self.slice) {
            track(context, wrapOutboundOut(.body(piece)), nil)
        }
        track(context, wrapOutboundOut(.body(buffer)), promise)
    }

    private func track(_ context: ChannelHandlerContext, _ data: NIOAny, _ promise: EventLoopPromise<Void>?) {
        if pending == 0 { lastProgress = context.eventLoop.now }
        pending += 1
        let done = promise ?? context.eventLoop.makePromise()
        let loop = context.eventLoop
        done.futureResult.whenComplete { [self] _ in
            pending -= 1
            lastProgress = loop.now
        }
        context.write(data, promise: done)
        if check == nil { schedule(context, at: lastProgress + timeout) }
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.check = nil
            guard handler.pending > 0 else { return }
            if context.eventLoop.now >= handler.lastProgress + handler.timeout {
                context.close(promise: nil)
            } else {
                handler.schedule(context, at: handler.lastProgress + handler.timeout)
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
        context.fireChannelInactive()
    }
}
