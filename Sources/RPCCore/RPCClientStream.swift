import NIOConcurrencyHelpers
import NIOCore

/// A client-streaming call in progress. `send` waits for credit from the server, so the client
/// never sends faster than the server consumes; `finish` ends the stream and returns the reply.
public final class RPCClientStream: Sendable {
    private let connection: RPCClientChannel.Connection
    private let methodIndex: UInt32
    private let timeout: Duration?
    private let onMessage: @Sendable ([UInt8]) -> Void
    private let promise: EventLoopPromise<[UInt8]>
    private let state: NIOLockedValueBox<FlowState>

    private struct FlowState {
        var requestID: UInt32?
        /// The first message may go without credit (the protocol's implicit initial credit).
        var credit: UInt32 = 1
        var waiter: CheckedContinuation<Void, any Error>?
        var ended = false
    }

    init(
        connection: RPCClientChannel.Connection,
        methodIndex: UInt32,
        timeout: Duration?,
        onMessage: @escaping @Sendable ([UInt8]) -> Void
    ) {
        self.connection = connection
        self.methodIndex = methodIndex
        self.timeout = timeout
        self.onMessage = onMessage
        self.promise = connection.channel.eventLoop.makePromise(of: [UInt8].self)
        self.state = NIOLockedValueBox(FlowState())
        self.promise.futureResult.whenComplete { [state] _ in
            // The call is over (reply, error, deadline): wake a sender waiting for credit.
            let waiter = state.withLockedValue { flow -> CheckedContinuation<Void, any Error>? in
                flow.ended = true
                defer { flow.waiter = nil }
                return flow.waiter
            }
            waiter?.resume(throwing: RPCError(.aborted, "the call ended before all messages were sent"))
        }
    }

    /// Sends one message; suspends while the server has granted no credit.
    public func send(_ message: [UInt8], endOfStream: Bool = false) async throws {
        try await self.waitForCredit()
        let isFirst = self.state.withLockedValue { $0.requestID == nil }
        let connection = self.connection
        let methodIndex = self.methodIndex
        if isFirst {
            let state = self.state
            let onMessage = self.onMessage
            let call = RPCClientConnectionHandler.PendingCall(
                promise: self.promise,
                onMessage: onMessage,
                onCredit: { [state] credit in
                    // A waiting sender takes one of the new credits on the spot.
                    let waiter = state.withLockedValue { flow -> CheckedContinuation<Void, any Error>? in
                        flow.credit += credit
                        guard let waiter = flow.waiter, flow.credit > 0 else { return nil }
                        flow.credit -= 1
                        flow.waiter = nil
                        return waiter
                    }
                    waiter?.resume()
                }
            )
            let timeout = self.timeout
            let idPromise = connection.channel.eventLoop.makePromise(of: UInt32?.self)
            connection.channel.eventLoop.execute {
                idPromise.succeed(
                    connection.handler.value.start(
                        methodIndex: methodIndex, message: message, timeout: timeout, endOfStream: endOfStream, call: call
                    )
                )
            }
            let id = try await idPromise.futureResult.get()
            self.state.withLockedValue { $0.requestID = id }
            if id == nil {
                do {
                    _ = try await self.promise.futureResult.get()
                } catch is CallNotSent {
                    throw RPCError(.unavailable, "the connection to the server is closed")
                }
            }
        } else {
            guard let requestID = self.state.withLockedValue({ $0.requestID }) else { return }
            let sent = try await connection.channel.eventLoop.submit {
                connection.handler.value.send(
                    requestID: requestID, methodIndex: methodIndex, message: message, endOfStream: endOfStream
                )
            }.get()
            if !sent { _ = try await self.promise.futureResult.get() }
        }
    }

    /// Sends the last message (possibly empty) and waits for the final reply.
    public func finish(lastMessage: [UInt8] = []) async throws -> [UInt8] {
        try await self.send(lastMessage, endOfStream: true)
        return try await self.promise.futureResult.get()
    }

    /// Abandons the call; the server stops working on it.
    public func cancel() {
        let connection = self.connection
        guard let requestID = self.state.withLockedValue({ $0.requestID }) else {
            self.promise.fail(RPCError(.cancelled, "the call was cancelled"))
            return
        }
        connection.channel.eventLoop.execute {
            connection.handler.value.fail(requestID: requestID, RPCError(.cancelled, "the call was cancelled"), notifyServer: true)
        }
    }

    private func waitForCredit() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let ready: Result<Void, RPCError>? = self.state.withLockedValue { flow in
                if flow.ended { return .failure(RPCError(.aborted, "the call has already ended")) }
                if flow.credit > 0 {
                    flow.credit -= 1
                    return .success(())
                }
                flow.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
