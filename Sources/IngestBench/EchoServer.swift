import NIOCore
import NIOPosix
import RPCCore

/// The reference point of the RPC benchmark: a server that reads request frames with the same
/// decoder and answers each with a success frame carrying the request body. No dispatch, no
/// messages, no tasks: what the framing alone costs on SwiftNIO.
enum EchoServer {
    final class Handler: ChannelInboundHandler {
        typealias InboundIn = RequestFrame
        typealias OutboundOut = ByteBuffer

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = self.unwrapInboundIn(data)
            var buffer = context.channel.allocator.buffer(capacity: WireProtocol.replyHeaderSize + frame.body.readableBytes)
            buffer.writeMultipleIntegers(UInt32(0), frame.methodIndex, UInt32(frame.body.readableBytes), frame.requestID, endianness: .little)
            buffer.writeImmutableBuffer(frame.body)
            context.write(self.wrapOutboundOut(buffer), promise: nil)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            context.flush()
        }
    }

    static func start(host: String, port: Int) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(RequestFrameDecoder(maxMessageBytes: 4 << 20))
                    )
                    try channel.pipeline.syncOperations.addHandler(Handler())
                }
            }
            .bind(host: host, port: port).get()
    }
}
