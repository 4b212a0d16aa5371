import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RPCCore

/// Closed-loop load over the stock framing: each caller is one connection that sends a request,
/// waits for its reply, records the latency and sends the next, until the time is up. The client
/// runs on NIO event loops so that it costs as little CPU as possible next to the server.
enum ClosedLoopLoad {
    struct Result {
        var calls: Int
        var failures: Int
        var seconds: Double
        var latenciesMicroseconds: [Int]

        var callsPerSecond: Double { Double(self.calls) / self.seconds }

        func percentile(_ p: Double) -> Double {
            guard !self.latenciesMicroseconds.isEmpty else { return 0 }
            let sorted = self.latenciesMicroseconds.sorted()
            let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)
            return Double(sorted[max(0, index)]) / 1000
        }
    }

    final class Caller: ChannelInboundHandler {
        typealias InboundIn = ReplyFrame
        typealias OutboundOut = ByteBuffer

        let request: ByteBuffer
        let deadline: NIODeadline
        let finished: EventLoopPromise<(Int, Int, [Int])>
        /// A reply whose body holds field 15 (`error`) is a failed call.
        let checkError: Bool
        var sentAt = NIODeadline.now()
        var latencies: [Int] = []
        var failures = 0

        init(request: ByteBuffer, deadline: NIODeadline, finished: EventLoopPromise<(Int, Int, [Int])>, checkError: Bool) {
            self.request = request
            self.deadline = deadline
            self.finished = finished
            self.checkError = checkError
            self.latencies.reserveCapacity(200_000)
        }

        func channelActive(context: ChannelHandlerContext) {
            self.send(context: context)
        }

        func send(context: ChannelHandlerContext) {
            self.sentAt = .now()
            context.writeAndFlush(self.wrapOutboundOut(self.request), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = self.unwrapInboundIn(data)
            let now = NIODeadline.now()
            self.latencies.append(Int((now - self.sentAt).nanoseconds / 1000))
            if frame.status != 0 || (self.checkError && Self.hasErrorField(frame.body)) {
                self.failures += 1
            }
            if now < self.deadline {
                self.send(context: context)
            } else {
                self.finished.succeed((self.latencies.count, self.failures, self.latencies))
                context.close(promise: nil)
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.finished.fail(error)
            context.close(promise: nil)
        }

        /// Walks the top-level fields of a protobuf message looking for field 15 (`error`, tag 0x7A).
        static func hasErrorField(_ body: ByteBuffer) -> Bool {
            var cursor = body
            while let tag = Self.readVarint(&cursor) {
                if tag == 0x7A { return true }
                switch tag & 7 {
                case 0: _ = Self.readVarint(&cursor)
                case 1: cursor.moveReaderIndex(forwardBy: min(8, cursor.readableBytes))
                case 2: cursor.moveReaderIndex(forwardBy: min(Int(Self.readVarint(&cursor) ?? 0), cursor.readableBytes))
                case 5: cursor.moveReaderIndex(forwardBy: min(4, cursor.readableBytes))
                default: return false
                }
            }
            return false
        }

        static func readVarint(_ buffer: inout ByteBuffer) -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while let byte = buffer.readInteger(as: UInt8.self) {
                value |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
                if shift > 63 { return nil }
            }
            return nil
        }
    }

    static func run(
        host: String, port: Int, methodIndex: UInt32, body: [UInt8], callers: Int, seconds: Double, checkError: Bool
    ) async throws -> Result {
        var request = ByteBuffer()
        request.writeMultipleIntegers(methodIndex, UInt32(body.count), UInt32(1), endianness: .little)
        request.writeBytes(body)
        let group = MultiThreadedEventLoopGroup.singleton
        let deadline = NIODeadline.now() + .nanoseconds(Int64(seconds * 1e9))
        let started = NIODeadline.now()
        var futures: [EventLoopFuture<(Int, Int, [Int])>] = []
        for _ in 0..<callers {
            let loop = group.next()
            let promise = loop.makePromise(of: (Int, Int, [Int]).self)
            let requestCopy = request
            _ = try await ClientBootstrap(group: loop)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ReplyFrameDecoder(maxMessageBytes: 1 << 24)))
                        try channel.pipeline.syncOperations.addHandler(
                            Caller(request: requestCopy, deadline: deadline, finished: promise, checkError: checkError)
                        )
                    }
                }
                .connect(host: host, port: port).get()
            futures.append(promise.futureResult)
        }
        var result = Result(calls: 0, failures: 0, seconds: 0, latenciesMicroseconds: [])
        for future in futures {
            let (calls, failures, latencies) = try await future.get()
            result.calls += calls
            result.failures += failures
            result.latenciesMicroseconds += latencies
        }
        result.seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        return result
    }
}
