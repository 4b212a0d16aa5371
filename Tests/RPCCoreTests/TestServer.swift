import IngestMessages
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RPCCore

/// Methods for exercising the server, with CallError as a convenient two-field message.
enum TestMethods {
    static let echo: UInt32 = 10
    static let sleep: UInt32 = 11  // sleeps `code` milliseconds, then echoes
    static let fail: UInt32 = 12
    static let sum: UInt32 = 13  // client streaming: sums `code` over the stream
    static let inlineEcho: UInt32 = 14

    static func message(_ code: UInt32, _ text: String = "") -> CallError {
        var message = CallError()
        message.code = code
        message.message = text
        return message
    }
}

/// Counts handler cancellations, to show that deadlines and CANCEL reach the handler.
final class CancellationProbe: Sendable {
    let cancelled = NIOLockedValueBox(0)
    /// Sleep calls that reached their handler.
    let started = NIOLockedValueBox(0)
}

func makeTestRouter(probe: CancellationProbe = CancellationProbe()) -> RPCRouter {
    var router = RPCRouter()
    router.unary(0, "StoreSecret") { (_: StoreSecretRequest, _) in
        var response = StoreSecretResponse()
        response.stored = true
        return response
    }
    router.unary(TestMethods.echo, "Echo") { (request: CallError, _) in request }
    router.unary(TestMethods.sleep, "Sleep") { (request: CallError, _) in
        probe.started.withLockedValue { $0 += 1 }
        do {
            try await Task.sleep(for: .milliseconds(Int(request.code)))
        } catch {
            probe.cancelled.withLockedValue { $0 += 1 }
            throw error
        }
        return request
    }
    router.unary(TestMethods.fail, "Fail") { (_: CallError, _) -> CallError in
        throw RPCError(.notFound, "nothing here")
    }
    router.clientStreaming(TestMethods.sum, "Sum") { (stream, writer, _) -> CallError in
        var total: UInt32 = 0
        var count: UInt32 = 0
        for try await message in stream as AsyncThrowingMapSequence<RPCRequestStream, CallError> {
            total += message.code
            count += 1
            writer.send(TestMethods.message(count, "progress"))
        }
        return TestMethods.message(total, "sum")
    }
    router.inline(TestMethods.inlineEcho, "InlineEcho") { (request: CallError, _) in request }
    return router
}

func startTestServer(
    _ configure: (inout RPCServerConfiguration) -> Void = { _ in },
    probe: CancellationProbe = CancellationProbe()
) async throws -> RPCServer {
    var configuration = RPCServerConfiguration()
    configuration.port = 0
    configure(&configuration)
    return try await RPCServer.start(
        configuration: configuration,
        router: makeTestRouter(probe: probe),
        logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    )
}

extension RPCServer {
    var port: Int { self.localAddress!.port! }
}

/// A raw TCP peer that writes bytes and reads reply frames: plays the stock C client.
final class RawPeer {
    let channel: NIOAsyncChannel<ReplyFrame, ByteBuffer>
    private var iterator: NIOAsyncChannelInboundStream<ReplyFrame>.AsyncIterator

    init(channel: NIOAsyncChannel<ReplyFrame, ByteBuffer>) {
        self.channel = channel
        self.iterator = channel.inbound.makeAsyncIterator()
    }

    static func connect(port: Int) async throws -> RawPeer {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(ReplyFrameDecoder(maxMessageBytes: 1 << 24))
                    )
                    return try NIOAsyncChannel<ReplyFrame, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return RawPeer(channel: channel)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await self.channel.outbound.write(ByteBuffer(bytes: bytes))
    }

    func send(method: UInt32, id: UInt32, body: [UInt8]) async throws {
        try await self.send(Self.frame(method: method, id: id, body: body))
    }

    static func frame(method: UInt32, id: UInt32, body: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeMultipleIntegers(method, UInt32(body.count), id, endianness: .little)
        buffer.writeBytes(body)
        return Array(buffer.readableBytesView)
    }

    /// Reads `count` frames, or fewer if the server closes the connection first.
    func read(_ count: Int) async throws -> [ReplyFrame] {
        var frames: [ReplyFrame] = []
        while frames.count < count, let frame = try await self.iterator.next() {
            frames.append(frame)
        }
        return frames
    }

    /// True when the server closed the connection (EOF or reset) rather than sending more.
    func isClosedByServer() async -> Bool {
        do {
            return try await self.iterator.next() == nil
        } catch {
            return true
        }
    }

    /// Finishes the writer (NIO traps on a writer dropped unfinished, even when the server closed
    /// the connection first) and closes the connection. Every peer must be closed.
    func close() async {
        self.channel.outbound.finish()
        try? await self.channel.channel.close()
    }
}

func extendedRequest(_ message: some WireMessage, flags: UInt32 = WireProtocol.flagEndStream, timeoutMs: UInt32 = 0) -> [UInt8] {
    var envelope = RequestEnvelope()
    envelope.message = message.serializedBytes()
    envelope.flags = flags
    envelope.timeoutMs = timeoutMs
    return envelope.serializedBytes()
}

func hello(token: String = "") -> [UInt8] {
    var hello = Hello()
    hello.protocolVersion = 1
    hello.authToken = token
    return hello.serializedBytes()
}
