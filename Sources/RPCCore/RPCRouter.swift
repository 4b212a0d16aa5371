public import IngestMessages
public import Logging

/// What a handler knows about the call it serves.
public struct RPCCallContext: Sendable {
    public var methodName: String
    public var requestID: UInt32
    /// True when the caller opted in to the extended protocol (our Swift client); false for a stock
    /// protobuf-c-rpc client.
    public var isExtended: Bool
    /// When the caller stops waiting, if it said so.
    public var deadline: ContinuousClock.Instant?
    public var logger: Logger

    public init(
        methodName: String,
        requestID: UInt32,
        isExtended: Bool,
        deadline: ContinuousClock.Instant?,
        logger: Logger
    ) {
        self.methodName = methodName
        self.requestID = requestID
        self.isExtended = isExtended
        self.deadline = deadline
        self.logger = logger
    }
}

/// The messages of one streaming call, in order. Each message taken from the stream grants the
/// client credit for one more, so a client never sends faster than the handler consumes.
public struct RPCRequestStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    let messages: AsyncThrowingStream<[UInt8], any Error>
    let onConsumed: @Sendable () -> Void

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<[UInt8], any Error>.AsyncIterator
        let onConsumed: @Sendable () -> Void

        public mutating func next() async throws -> [UInt8]? {
            let message = try await self.base.next()
            if message != nil { self.onConsumed() }
            return message
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.messages.makeAsyncIterator(), onConsumed: self.onConsumed)
    }
}

/// Sends intermediate replies (progress) of a streaming call. Stock clients, which can only read
/// one reply per call, never see them.
public struct RPCReplyWriter: Sendable {
    let sendMessage: @Sendable ([UInt8]) -> Void

    public func send(_ message: some WireMessage) {
        self.sendMessage(message.serializedBytes())
    }
}

/// One method of a service as the server dispatches it.
public struct RPCMethod: Sendable {
    public enum Kind: Sendable {
        /// Runs on the connection's event loop; for cheap calls that never block (health checks).
        case inline(@Sendable ([UInt8], RPCCallContext) throws -> [UInt8])
        /// Tries `inline` on the event loop first; when it returns nil (it needs to await), runs
        /// `unary` as a task. Lets a method answer its cheap cases without a task hop.
        case inlineOrUnary(
            inline: @Sendable ([UInt8], RPCCallContext) throws -> [UInt8]?,
            unary: @Sendable ([UInt8], RPCCallContext) async throws -> [UInt8]
        )
        /// Runs as a task; may await the database.
        case unary(@Sendable ([UInt8], RPCCallContext) async throws -> [UInt8])
        /// Receives a stream of request messages and answers once at the end; a stock client's
        /// unary call arrives as a stream of one message.
        case clientStreaming(@Sendable (RPCRequestStream, RPCReplyWriter, RPCCallContext) async throws -> [UInt8])
    }

    public var name: String
    public var kind: Kind
    /// A `unary` call's task runs on its connection's event loop (`EventLoopTaskExecutor`) instead of
    /// Swift's global pool: for a short handler whose callers keep one connection per loop, as the
    /// HTTP gateway does for VerifyIPN (more notifications/s at 16 gateway connections in 12 of 14
    /// A/B pairs). Off by default: with many callers on few loops, one loop then runs all their
    /// handlers (GetWebhookURL at 64 callers had a p99 about 2 ms higher that way).
    public var runsOnEventLoop = false
}

/// Maps method indexes (declaration order in the .proto) to handlers.
public struct RPCRouter: Sendable {
    private(set) var methods: [UInt32: RPCMethod] = [:]

    public init() {}

    public func method(at index: UInt32) -> RPCMethod? {
        self.methods[index]
    }

    public mutating func register(index: UInt32, _ method: RPCMethod) {
        precondition(index != WireProtocol.helloMethodIndex, "method index \(index) is reserved")
        precondition(self.methods[index] == nil, "method index \(index) registered twice")
        self.methods[index] = method
    }

    /// `onEventLoop`: see `RPCMethod.runsOnEventLoop`.
    public mutating func unary<Request: WireMessage, Response: WireMessage>(
        _ index: UInt32,
        _ name: String,
        onEventLoop: Bool = false,
        _ handler: @escaping @Sendable (Request, RPCCallContext) async throws -> Response
    ) {
        self.register(
            index: index,
            RPCMethod(
                name: name,
                kind: .unary { bytes, context in
                    let request = try Self.decode(Request.self, bytes, method: name)
                    return try await handler(request, context).serializedBytes()
                },
                runsOnEventLoop: onEventLoop
            )
        )
    }

    public mutating func inline<Request: WireMessage, Response: WireMessage>(
        _ index: UInt32,
        _ name: String,
        _ handler: @escaping @Sendable (Request, RPCCallContext) throws -> Response
    ) {
        self.register(
            index: index,
            RPCMethod(name: name, kind: .inline { bytes, context in
                let request = try Self.decode(Request.self, bytes, method: name)
                return try handler(request, context).serializedBytes()
            })
        )
    }

    public mutating func inlineOrUnary<Request: WireMessage, Response: WireMessage>(
        _ index: UInt32,
        _ name: String,
        inline: @escaping @Sendable (Request, RPCCallContext) throws -> Response?,
        unary: @escaping @Sendable (Request, RPCCallContext) async throws -> Response
    ) {
        self.register(
            index: index,
            RPCMethod(name: name, kind: .inlineOrUnary(
                inline: { bytes, context in
                    let request = try Self.decode(Request.self, bytes, method: name)
                    return try inline(request, context)?.serializedBytes()
                },
                unary: { bytes, context in
                    let request = try Self.decode(Request.self, bytes, method: name)
                    return try await unary(request, context).serializedBytes()
                }
            ))
        )
    }

    public mutating func clientStreaming<Request: WireMessage, Response: WireMessage>(
        _ index: UInt32,
        _ name: String,
        _ handler: @escaping @Sendable (
            AsyncThrowingMapSequence<RPCRequestStream, Request>, RPCReplyWriter, RPCCallContext
        ) async throws -> Response
    ) {
        self.register(
            index: index,
            RPCMethod(name: name, kind: .clientStreaming { stream, writer, context in
                let typed = stream.map { try Self.decode(Request.self, $0, method: name) }
                return try await handler(typed, writer, context).serializedBytes()
            })
        )
    }

    static func decode<Message: WireMessage>(_ type: Message.Type, _ bytes: [UInt8], method: String) throws -> Message {
        do {
            return try Message(serializedBytes: bytes)
        } catch {
            throw RPCError(.invalidArgument, "the request body is not a valid \(method) request message")
        }
    }
}
