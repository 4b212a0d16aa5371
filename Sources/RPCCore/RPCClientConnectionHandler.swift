import IngestMessages
import NIOCore

/// A call found its connection closed before anything was written: safe to send on a new one.
struct CallNotSent: Error {}

/// The client side of one connection: matches replies to calls by request id. Event-loop bound.
final class RPCClientConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ReplyFrame
    typealias OutboundOut = ByteBuffer

    /// A call waiting for replies. Streaming calls also receive credits and intermediate messages.
    struct PendingCall {
        var promise: EventLoopPromise<[UInt8]>
        var onMessage: (@Sendable ([UInt8]) -> Void)?
        var onCredit: (@Sendable (UInt32) -> Void)?
        var deadline: Scheduled<Void>?
    }

    private var pending: [UInt32: PendingCall] = [:]
    private var hello: EventLoopPromise<HelloReply>?
    private var nextRequestID: UInt32 = 1
    private var context: ChannelHandlerContext?
    private var closed = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Sending (on the event loop)

    func sendHello(_ hello: Hello, promise: EventLoopPromise<HelloReply>) {
        guard let context = self.context, !self.closed else {
            promise.fail(RPCError(.unavailable, "the connection closed before the handshake"))
            return
        }
        self.hello = promise
        self.write(methodIndex: WireProtocol.helloMethodIndex, requestID: 0, body: hello.serializedBytes(), context: context)
        context.flush()
    }

    /// Starts a call and returns its request id, or fails the promise if the connection is gone.
    @discardableResult
    func start(
        methodIndex: UInt32,
        message: [UInt8],
        timeout: Duration?,
        endOfStream: Bool,
        call: PendingCall
    ) -> UInt32? {
        guard let context = self.context, !self.closed else {
            call.promise.fail(CallNotSent())
            return nil
        }
        var requestID = self.nextRequestID
        while self.pending[requestID] != nil || requestID == 0 {
            requestID &+= 1
        }
        self.nextRequestID = requestID &+ 1
        var call = call
        if let timeout {
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            call.deadline = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                loopBound.value.fail(
                    requestID: requestID,
                    RPCError(.deadlineExceeded, "the call did not complete within \(timeout)"),
                    notifyServer: true
                )
            }
        }
        self.pending[requestID] = call
        var envelope = RequestEnvelope()
        envelope.message = message
        envelope.flags = endOfStream ? WireProtocol.flagEndStream : 0
        if let timeout {
            let milliseconds = timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000
            envelope.timeoutMs = UInt32(clamping: max(1, milliseconds))
        }
        self.write(methodIndex: methodIndex, requestID: requestID, body: envelope.serializedBytes(), context: context)
        context.flush()
        return requestID
    }

    /// Sends a further message of a streaming call.
    func send(requestID: UInt32, methodIndex: UInt32, message: [UInt8], endOfStream: Bool) -> Bool {
        guard let context = self.context, !self.closed, self.pending[requestID] != nil else { return false }
        var envelope = RequestEnvelope()
        envelope.message = message
        envelope.flags = endOfStream ? WireProtocol.flagEndStream : 0
        self.write(methodIndex: methodIndex, requestID: requestID, body: envelope.serializedBytes(), context: context)
        context.flush()
        return true
    }

    /// Ends a call locally with `error`; tells the server to stop working on it when asked.
    func fail(requestID: UInt32, _ error: RPCError, notifyServer: Bool) {
        guard let call = self.pending.removeValue(forKey: requestID) else { return }
        call.deadline?.cancel()
        call.promise.fail(error)
        if notifyServer, let context = self.context, !self.closed {
            var envelope = RequestEnvelope()
            envelope.flags = WireProtocol.flagCancel
            self.write(methodIndex: 0, requestID: requestID, body: envelope.serializedBytes(), context: context)
            context.flush()
        }
    }

    private func write(methodIndex: UInt32, requestID: UInt32, body: [UInt8], context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: WireProtocol.requestHeaderSize + body.count)
        buffer.writeMultipleIntegers(methodIndex, UInt32(body.count), requestID, endianness: .little)
        buffer.writeBytes(body)
        context.write(self.wrapOutboundOut(buffer), promise: nil)
    }

    // MARK: Receiving

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = self.unwrapInboundIn(data)
        let envelope: ReplyEnvelope
        do {
            envelope = try ReplyEnvelope(serializedBytes: Array(frame.body.readableBytesView))
        } catch {
            self.abort(context: context, RPCError(.internal, "the server sent a reply that is not a ReplyEnvelope"))
            return
        }
        if frame.methodIndex == WireProtocol.helloMethodIndex, let hello = self.hello {
            self.hello = nil
            if frame.status == 0 {
                do {
                    hello.succeed(try HelloReply(serializedBytes: envelope.message))
                } catch {
                    hello.fail(RPCError(.internal, "the server's HelloReply is malformed"))
                }
            } else {
                hello.fail(RPCError(RPCStatusCode(rawValue: frame.status), envelope.errorMessage))
            }
            return
        }
        guard let call = self.pending[frame.requestID] else {
            return  // A reply to a call we already gave up on (deadline or cancellation).
        }
        if envelope.flags & WireProtocol.flagEndStream != 0 {
            self.pending.removeValue(forKey: frame.requestID)
            call.deadline?.cancel()
            if frame.status == 0 {
                call.promise.succeed(envelope.message)
            } else {
                call.promise.fail(RPCError(RPCStatusCode(rawValue: frame.status), envelope.errorMessage))
            }
        } else if envelope.flags & WireProtocol.flagCredit != 0 {
            call.onCredit?(envelope.credit)
        } else {
            call.onMessage?(envelope.message)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closed = true
        self.failAll(RPCError(.unavailable, "the connection to the server was lost"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.abort(context: context, RPCError(.unavailable, "connection error: \(error)"))
    }

    private func abort(context: ChannelHandlerContext, _ error: RPCError) {
        self.closed = true
        self.failAll(error)
        context.close(promise: nil)
    }

    private func failAll(_ error: RPCError) {
        self.hello?.fail(error)
        self.hello = nil
        let calls = self.pending
        self.pending.removeAll()
        for call in calls.values {
            call.deadline?.cancel()
            call.promise.fail(error)
        }
    }
}
