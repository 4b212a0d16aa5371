import IngestMessages
import Logging
import NIOCore

/// Serves the calls of one connection. Lives on the connection's event loop; handlers that await
/// run as tasks and hop back to the loop to reply.
///
/// Two modes share one byte format (docs/PROTOCOL.md): *stock* (a protobuf-c-rpc client: raw
/// messages, failures as a normal reply carrying only `error`) and *extended* (after Hello: every
/// body is an envelope, replies carry gRPC status codes, deadlines, cancellation and streaming).
final class RPCServerConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = RequestFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct ActiveCall {
        var requestID: UInt32
        var methodIndex: UInt32
        var extended: Bool
        var task: Task<Void, Never>?
        var stream: AsyncThrowingStream<[UInt8], any Error>.Continuation?
        var deadline: Scheduled<Void>?
        /// Streaming calls: messages received and credits granted. A client may send at most one
        /// message more than it was granted (the implicit first credit).
        var received: UInt32 = 1
        var granted: UInt32 = 0
        var methodName: String
        var started: ContinuousClock.Instant
    }

    private let router: RPCRouter
    private let configuration: RPCServerConfiguration
    private let metrics: RPCMetrics
    private var logger: Logger

    private var extended = false
    private var authenticated: Bool
    private var draining = false
    private var calls: [UInt64: ActiveCall] = [:]
    /// Extended mode only: request ids are unique among a connection's running calls.
    private var callByRequestID: [UInt32: UInt64] = [:]
    private var nextSerial: UInt64 = 0
    /// Frames decoded while the connection was at its in-flight limit.
    private var waitingFrames = CircularBuffer<RequestFrame>()
    private var readHeldBack = false
    private var needsFlush = false
    private var context: ChannelHandlerContext?
    /// Calls of methods that ask for it run on this connection's event loop (`RPCMethod.runsOnEventLoop`).
    private var loopExecutor: EventLoopTaskExecutor?

    init(router: RPCRouter, configuration: RPCServerConfiguration, metrics: RPCMetrics, logger: Logger) {
        self.router = router
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.authenticated = configuration.authToken == nil
    }

    var inFlight: Int { self.calls.count }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.loopExecutor = EventLoopTaskExecutor(context.eventLoop)
        if let peer = context.channel.remoteAddress?.description {
            self.logger[metadataKey: "rpc.peer"] = "\(peer)"
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The caller is gone: nobody can read the replies, so stop the work that would produce them.
        for call in self.calls.values {
            call.task?.cancel()
            call.stream?.finish(throwing: CancellationError())
            call.deadline?.cancel()
        }
        self.calls.removeAll()
        self.callByRequestID.removeAll()
        self.waitingFrames.removeAll()
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if self.calls.count >= self.configuration.maxInFlightCallsPerConnection || !self.waitingFrames.isEmpty {
            self.readHeldBack = true
        } else {
            context.read()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        if !self.waitingFrames.isEmpty || self.calls.count >= self.configuration.maxInFlightCallsPerConnection {
            self.waitingFrames.append(frame)
            return
        }
        self.process(frame, context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.flushIfNeeded(context: context)
        context.fireChannelReadComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if case let FrameDecodingError.messageTooLarge(methodIndex, requestID, length, limit) = error {
            self.logger.notice(
                "closing connection: request body over the size limit",
                metadata: ["rpc.method_index": "\(methodIndex)", "rpc.length": "\(length)", "rpc.limit": "\(limit)"]
            )
            let failure = RPCError(
                .resourceExhausted,
                "request body of \(length) bytes exceeds the server's limit of \(limit) bytes; the connection is closed"
            )
            self.writeFailure(failure, methodIndex: methodIndex, requestID: requestID, extended: self.extended, context: context)
            context.flush()
        } else if case FrameDecodingError.truncatedFrame(let buffered) = error {
            self.logger.notice("connection closed in the middle of a frame", metadata: ["rpc.buffered": "\(buffered)"])
        } else {
            self.logger.debug("connection error", metadata: ["error": "\(error)"])
        }
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            if self.calls.isEmpty {
                self.logger.debug("closing idle connection")
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Stop taking new calls; close once the running ones have answered.
    func beginDraining() {
        self.draining = true
        if self.calls.isEmpty, let context = self.context {
            context.close(promise: nil)
        }
    }

    // MARK: Dispatch

    private func process(_ frame: RequestFrame, context: ChannelHandlerContext) {
        if frame.methodIndex == WireProtocol.helloMethodIndex {
            self.handleHello(frame, context: context)
            return
        }
        if self.extended {
            self.processExtended(frame, context: context)
        } else {
            guard self.authenticated else {
                self.writeFailure(
                    RPCError(
                        .unauthenticated,
                        "this server requires authentication: open the connection with Hello carrying the auth token"
                    ),
                    methodIndex: frame.methodIndex, requestID: frame.requestID, extended: false, context: context
                )
                return
            }
            self.startCall(
                methodIndex: frame.methodIndex,
                requestID: frame.requestID,
                message: Array(frame.body.readableBytesView),
                timeout: self.configuration.defaultCallTimeout,
                endOfStream: true,
                extended: false,
                context: context
            )
        }
    }

    private func processExtended(_ frame: RequestFrame, context: ChannelHandlerContext) {
        let envelope: RequestEnvelope
        do {
            envelope = try RequestEnvelope(serializedBytes: Array(frame.body.readableBytesView))
        } catch {
            self.writeFailure(
                RPCError(.invalidArgument, "the frame body is not a RequestEnvelope (extended protocol)"),
                methodIndex: frame.methodIndex, requestID: frame.requestID, extended: true, context: context
            )
            return
        }
        let endOfStream = envelope.flags & WireProtocol.flagEndStream != 0
        if let serial = self.callByRequestID[frame.requestID], let call = self.calls[serial] {
            if envelope.flags & WireProtocol.flagCancel != 0 {
                self.cancelCall(serial: serial)
            } else if let stream = call.stream {
                guard call.received <= call.granted else {
                    // The client ignored flow control: stop before its messages pile up in memory.
                    self.failCall(
                        serial: serial,
                        RPCError(.resourceExhausted, "the client sent more stream messages than the server granted credit for")
                    )
                    return
                }
                self.calls[serial]?.received += 1
                stream.yield(envelope.message)
                if endOfStream {
                    stream.finish()
                    self.calls[serial]?.stream = nil
                }
            } else {
                self.logger.notice("request id reused while its call is running", metadata: ["rpc.request_id": "\(frame.requestID)"])
            }
            return
        }
        if envelope.flags & WireProtocol.flagCancel != 0 {
            return  // The call already ended; the reply crossed the cancel on the wire.
        }
        let timeout: Duration =
            envelope.timeoutMs > 0 ? .milliseconds(Int64(envelope.timeoutMs)) : self.configuration.defaultCallTimeout
        self.startCall(
            methodIndex: frame.methodIndex,
            requestID: frame.requestID,
            message: envelope.message,
            timeout: timeout,
            endOfStream: endOfStream,
            extended: true,
            context: context
        )
    }

    private func handleHello(_ frame: RequestFrame, context: ChannelHandlerContext) {
        let hello: Hello
        do {
            hello = try Hello(serializedBytes: Array(frame.body.readableBytesView))
        } catch {
            self.writeFailure(
                RPCError(.invalidArgument, "the Hello frame's body is not a Hello message"),
                methodIndex: frame.methodIndex, requestID: frame.requestID, extended: true, context: context
            )
            context.close(promise: nil)
            return
        }
        guard self.calls.isEmpty, !self.extended else {
            self.writeFailure(
                RPCError(.failedPrecondition, "Hello must be the first frame of a connection"),
                methodIndex: frame.methodIndex, requestID: frame.requestID, extended: true, context: context
            )
            return
        }
        if let expected = self.configuration.authToken, !constantTimeEquals(Array(hello.authToken.utf8), Array(expected.utf8)) {
            self.logger.notice("refused a connection with a wrong or missing auth token")
            self.writeFailure(
                RPCError(.unauthenticated, "the auth token is missing or wrong"),
                methodIndex: frame.methodIndex, requestID: frame.requestID, extended: true, context: context
            )
            context.flush()
            context.close(promise: nil)
            return
        }
        self.extended = true
        self.authenticated = true
        var reply = HelloReply()
        reply.protocolVersion = WireProtocol.extendedProtocolVersion
        reply.maxMessageBytes = UInt32(clamping: self.configuration.maxMessageBytes)
        reply.maxInFlightCalls = UInt32(clamping: self.configuration.maxInFlightCallsPerConnection)
        reply.serverName = self.configuration.serverName
        self.writeExtended(
            status: .ok, methodIndex: frame.methodIndex, requestID: frame.requestID,
            message: reply.serializedBytes(), errorMessage: "", flags: WireProtocol.flagEndStream, credit: 0,
            context: context
        )
    }

    private func startCall(
        methodIndex: UInt32,
        requestID: UInt32,
        message: [UInt8],
        timeout: Duration,
        endOfStream: Bool,
        extended: Bool,
        context: ChannelHandlerContext
    ) {
        if self.draining {
            self.writeFailure(
                RPCError(.unavailable, "the server is shutting down; retry on another connection"),
                methodIndex: methodIndex, requestID: requestID, extended: extended, context: context
            )
            return
        }
        guard let method = self.router.method(at: methodIndex) else {
            self.writeFailure(
                RPCError(.unimplemented, "this server has no method with index \(methodIndex)"),
                methodIndex: methodIndex, requestID: requestID, extended: extended, context: context
            )
            return
        }
        let callContext = RPCCallContext(
            methodName: method.name,
            requestID: requestID,
            isExtended: extended,
            deadline: .now + timeout,
            logger: self.logger
        )

        let inlineHandler: (@Sendable ([UInt8], RPCCallContext) throws -> [UInt8]?)?
        switch method.kind {
        case .inline(let handler): inlineHandler = handler
        case .inlineOrUnary(let handler, _): inlineHandler = handler
        case .unary, .clientStreaming: inlineHandler = nil
        }
        let started = ContinuousClock.now
        if let inlineHandler {
            do {
                if let response = try inlineHandler(message, callContext) {
                    self.writeSuccess(response, methodIndex: methodIndex, requestID: requestID, extended: extended, context: context)
                    self.metrics.record(method: method.name, code: .ok, started: started)
                    return
                }
            } catch {
                let failure = self.rpcError(from: error, method: method.name)
                self.writeFailure(failure, methodIndex: methodIndex, requestID: requestID, extended: extended, context: context)
                self.metrics.record(method: method.name, code: failure.code, started: started)
                return
            }
        }

        let serial = self.nextSerial
        self.nextSerial &+= 1
        var call = ActiveCall(
            requestID: requestID, methodIndex: methodIndex, extended: extended, methodName: method.name, started: started
        )
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop

        let work: @Sendable () async throws -> [UInt8]
        switch method.kind {
        case .inline:
            preconditionFailure("inline methods always answer inline")
        case .unary(let handler), .inlineOrUnary(_, let handler):
            work = { try await handler(message, callContext) }
        case .clientStreaming(let handler):
            let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
            continuation.yield(message)
            if endOfStream {
                continuation.finish()
            } else {
                call.stream = continuation
            }
            let requestStream = RPCRequestStream(messages: stream) {
                // The first message came without credit; each later one consumed earns one more.
                eventLoop.execute { loopBound.value.grantCredit(serial: serial, 1) }
            }
            let writer = RPCReplyWriter { bytes in
                eventLoop.execute { loopBound.value.sendIntermediate(serial: serial, bytes) }
            }
            work = { try await handler(requestStream, writer, callContext) }
        }

        call.deadline = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            loopBound.value.expire(serial: serial)
        }
        self.calls[serial] = call
        if extended {
            self.callByRequestID[requestID] = serial
        }
        let methodName = method.name
        let logger = self.logger
        self.calls[serial]?.task = Task(executorPreference: method.runsOnEventLoop ? self.loopExecutor : nil) {
            let result: Result<[UInt8], RPCError>
            do {
                result = .success(try await work())
            } catch {
                result = .failure(RPCServerConnectionHandler.rpcError(from: error, method: methodName, logger: logger))
            }
            eventLoop.execute { loopBound.value.complete(serial: serial, result) }
        }
        if extended, call.stream != nil, self.configuration.streamWindow > 1 {
            self.grantCredit(serial: serial, UInt32(self.configuration.streamWindow - 1))
        }
    }

    // MARK: Completion (always on the event loop)

    private func complete(serial: UInt64, _ result: Result<[UInt8], RPCError>) {
        guard let call = self.removeCall(serial: serial), let context = self.context else { return }
        switch result {
        case .success(let bytes):
            self.writeSuccess(bytes, methodIndex: call.methodIndex, requestID: call.requestID, extended: call.extended, context: context)
            self.metrics.record(method: call.methodName, code: .ok, started: call.started)
        case .failure(let error):
            self.writeFailure(error, methodIndex: call.methodIndex, requestID: call.requestID, extended: call.extended, context: context)
            self.metrics.record(method: call.methodName, code: error.code, started: call.started)
        }
        self.flushIfNeeded(context: context)
        self.afterCallEnded(context: context)
    }

    private func expire(serial: UInt64) {
        self.failCall(serial: serial, RPCError(.deadlineExceeded, "the call did not complete before its deadline"))
    }

    private func failCall(serial: UInt64, _ error: RPCError) {
        guard let call = self.removeCall(serial: serial), let context = self.context else { return }
        self.metrics.record(method: call.methodName, code: error.code, started: call.started)
        call.task?.cancel()
        call.stream?.finish(throwing: CancellationError())
        self.writeFailure(error, methodIndex: call.methodIndex, requestID: call.requestID, extended: call.extended, context: context)
        self.flushIfNeeded(context: context)
        self.afterCallEnded(context: context)
    }

    private func cancelCall(serial: UInt64) {
        guard let call = self.removeCall(serial: serial), let context = self.context else { return }
        self.metrics.record(method: call.methodName, code: .cancelled, started: call.started)
        call.task?.cancel()
        call.stream?.finish(throwing: CancellationError())
        self.afterCallEnded(context: context)
    }

    private func grantCredit(serial: UInt64, _ credit: UInt32) {
        guard let call = self.calls[serial], call.extended, call.stream != nil, let context = self.context else { return }
        self.calls[serial]?.granted += credit
        self.writeExtended(
            status: .ok, methodIndex: call.methodIndex, requestID: call.requestID, message: [], errorMessage: "",
            flags: WireProtocol.flagCredit, credit: credit, context: context
        )
        self.flushIfNeeded(context: context)
    }

    private func sendIntermediate(serial: UInt64, _ bytes: [UInt8]) {
        guard let call = self.calls[serial], call.extended, let context = self.context else { return }
        self.writeExtended(
            status: .ok, methodIndex: call.methodIndex, requestID: call.requestID, message: bytes, errorMessage: "",
            flags: 0, credit: 0, context: context
        )
        self.flushIfNeeded(context: context)
    }

    private func removeCall(serial: UInt64) -> ActiveCall? {
        guard let call = self.calls.removeValue(forKey: serial) else { return nil }
        call.deadline?.cancel()
        if call.extended, self.callByRequestID[call.requestID] == serial {
            self.callByRequestID.removeValue(forKey: call.requestID)
        }
        return call
    }

    /// A slot is free: run frames that waited for one, then resume reading.
    private func afterCallEnded(context: ChannelHandlerContext) {
        while !self.waitingFrames.isEmpty, self.calls.count < self.configuration.maxInFlightCallsPerConnection {
            self.process(self.waitingFrames.removeFirst(), context: context)
        }
        self.flushIfNeeded(context: context)
        if self.readHeldBack, self.waitingFrames.isEmpty,
            self.calls.count < self.configuration.maxInFlightCallsPerConnection
        {
            self.readHeldBack = false
            context.read()
        }
        if self.draining, self.calls.isEmpty {
            context.close(promise: nil)
        }
    }

    // MARK: Writing replies

    private func writeSuccess(
        _ message: [UInt8], methodIndex: UInt32, requestID: UInt32, extended: Bool, context: ChannelHandlerContext
    ) {
        if extended {
            self.writeExtended(
                status: .ok, methodIndex: methodIndex, requestID: requestID, message: message, errorMessage: "",
                flags: WireProtocol.flagEndStream, credit: 0, context: context
            )
        } else {
            self.writeRaw(status: 0, methodIndex: methodIndex, requestID: requestID, body: message, context: context)
        }
    }

    /// Stock clients abort on a failure frame with a body and can't read detail from one without,
    /// so they get status 0 and a message whose only field is `error` (field 15 of every response).
    private func writeFailure(
        _ error: RPCError, methodIndex: UInt32, requestID: UInt32, extended: Bool, context: ChannelHandlerContext
    ) {
        if extended {
            self.writeExtended(
                status: error.code, methodIndex: methodIndex, requestID: requestID, message: [],
                errorMessage: error.message, flags: WireProtocol.flagEndStream, credit: 0, context: context
            )
        } else {
            self.writeRaw(
                status: 0, methodIndex: methodIndex, requestID: requestID, body: StockError.body(for: error),
                context: context
            )
        }
    }

    private func writeExtended(
        status: RPCStatusCode, methodIndex: UInt32, requestID: UInt32, message: [UInt8], errorMessage: String,
        flags: UInt32, credit: UInt32, context: ChannelHandlerContext
    ) {
        var envelope = ReplyEnvelope()
        envelope.message = message
        envelope.errorMessage = errorMessage
        envelope.flags = flags
        envelope.credit = credit
        self.writeRaw(
            status: status.rawValue, methodIndex: methodIndex, requestID: requestID,
            body: envelope.serializedBytes(), context: context
        )
    }

    private func writeRaw(status: UInt32, methodIndex: UInt32, requestID: UInt32, body: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: WireProtocol.replyHeaderSize + body.count)
        buffer.writeMultipleIntegers(status, methodIndex, UInt32(body.count), requestID, endianness: .little)
        buffer.writeBytes(body)
        context.write(self.wrapOutboundOut(buffer), promise: nil)
        self.needsFlush = true
    }

    private func flushIfNeeded(context: ChannelHandlerContext) {
        if self.needsFlush {
            self.needsFlush = false
            context.flush()
        }
    }

    private func rpcError(from error: any Error, method: String) -> RPCError {
        RPCServerConnectionHandler.rpcError(from: error, method: method, logger: self.logger)
    }

    static func rpcError(from error: any Error, method: String, logger: Logger) -> RPCError {
        if let convertible = error as? any RPCErrorConvertible {
            return convertible.rpcError
        }
        if error is CancellationError {
            return RPCError(.cancelled, "the call was cancelled")
        }
        // Unexpected errors may carry details that must not reach callers: log them, say little.
        logger.error("call failed with an unexpected error", metadata: ["rpc.method": "\(method)", "error": "\(error)"])
        return RPCError(.internal, "internal error; the server log has details")
    }
}

/// Compares without an early exit, so the time taken says nothing about where two tokens differ.
func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    var difference = UInt8(a.count == b.count ? 0 : 1)
    let count = max(a.count, b.count)
    for index in 0..<count {
        let x = index < a.count ? a[index] : 0
        let y = index < b.count ? b[index] : 0
        difference |= x ^ y
    }
    return difference == 0
}
