import NIOCore

/// Closes a connection whose client has read none of an answer for `timeout`.
///
/// Hummingbird's idle timeout covers a connection between requests and a request that stops
/// arriving, but not an answer the client stops reading: the response then waits on the socket
/// for as long as the client keeps it open, and holds what it streams (a prepared replica's
/// file, replaced and deleted meanwhile, keeps its disk space until the last reader lets go).
/// The channel stops being writable once a client has left 64 KiB unread; a slow reader makes it
/// writable again as it reads, a stalled one does not.
final class StalledClientHandler: ChannelDuplexHandler, RemovableChannelHandler {
    // Parts pass through untouched (never unwrapped), whatever their type.
    typealias InboundIn = Any
    typealias OutboundIn = Any

    private let timeout: TimeAmount
    private var stalled: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stalled?.cancel()
            stalled = nil
        } else if stalled == nil {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            stalled = context.eventLoop.scheduleTask(in: timeout) {
                loopBound.value.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stalled?.cancel()
        stalled = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        stalled?.cancel()
        stalled = nil
        context.fireChannelInactive()
    }
}
