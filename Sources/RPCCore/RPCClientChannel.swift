public import NIOCore
import IngestMessages
import NIOConcurrencyHelpers
public import NIOPosix

/// One multiplexed connection to a cbingest server, opened lazily and reopened after it drops.
/// Calls from many tasks share it; replies are matched by request id. Calls in flight when the
/// connection drops fail with UNAVAILABLE (the caller decides whether a retry is safe).
public final class RPCClientChannel: Sendable {
    public let configuration: RPCClientConfiguration
    private let group: any EventLoopGroup
    private let state: NIOLockedValueBox<State>

    private enum State {
        case idle
        case connecting(EventLoopFuture<Connection>)
        case ready(Connection)
        case closed
    }

    struct Connection: Sendable {
        let channel: any Channel
        let handler: NIOLoopBound<RPCClientConnectionHandler>
        let serverLimits: HelloReply
    }

    public init(configuration: RPCClientConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        self.group = group
        self.state = NIOLockedValueBox(.idle)
    }

    /// A unary call: one request message, one reply message.
    public func unary(methodIndex: UInt32, request: [UInt8], timeout: Duration? = nil) async throws -> [UInt8] {
        // A connection can close between being handed out and the call being written (the server's
        // idle timeout, a restart). Nothing was sent then, so trying again on a new connection is safe.
        for attempt in 0..<3 {
            let connection = try await self.connection()
            do {
                return try await self.unary(on: connection, methodIndex: methodIndex, request: request, timeout: timeout)
            } catch is CallNotSent {
                self.forget(connection)
                if attempt == 2 { break }
            }
        }
        // Three connections in a row closed before the call could be written.
        throw RPCError(.unavailable, "the connection to the server is closed")
    }

    /// Drops a connection found closed, so the next call opens a new one.
    private func forget(_ connection: Connection) {
        self.state.withLockedValue { state in
            if case .ready(let current) = state, current.channel === connection.channel {
                state = .idle
            }
        }
    }

    private func unary(on connection: Connection, methodIndex: UInt32, request: [UInt8], timeout: Duration?) async throws -> [UInt8] {
        let timeout = timeout ?? self.configuration.defaultCallTimeout
        let promise = connection.channel.eventLoop.makePromise(of: [UInt8].self)
        let requestID = NIOLockedValueBox<UInt32?>(nil)
        return try await withTaskCancellationHandler {
            connection.channel.eventLoop.execute {
                let id = connection.handler.value.start(
                    methodIndex: methodIndex,
                    message: request,
                    timeout: timeout,
                    endOfStream: true,
                    call: .init(promise: promise)
                )
                requestID.withLockedValue { $0 = id }
            }
            return try await promise.futureResult.get()
        } onCancel: {
            connection.channel.eventLoop.execute {
                if let id = requestID.withLockedValue({ $0 }) {
                    connection.handler.value.fail(requestID: id, RPCError(.cancelled, "the call was cancelled"), notifyServer: true)
                } else {
                    promise.fail(RPCError(.cancelled, "the call was cancelled"))
                }
            }
        }
    }

    /// Starts a client-streaming call. Send messages with `send`, then `finish` for the reply.
    public func clientStreaming(
        methodIndex: UInt32,
        timeout: Duration? = nil,
        onMessage: @escaping @Sendable ([UInt8]) -> Void = { _ in }
    ) async throws -> RPCClientStream {
        let connection = try await self.connection()
        return RPCClientStream(
            connection: connection,
            methodIndex: methodIndex,
            timeout: timeout ?? self.configuration.defaultCallTimeout,
            onMessage: onMessage
        )
    }

    /// Closes the connection; later calls fail with UNAVAILABLE.
    public func close() async {
        let previous = self.state.withLockedValue { state -> State in
            let previous = state
            state = .closed
            return previous
        }
        switch previous {
        case .ready(let connection):
            try? await connection.channel.close()
        case .connecting(let future):
            if let connection = try? await future.get() {
                try? await connection.channel.close()
            }
        case .idle, .closed:
            break
        }
    }

    /// Opens a connection now (otherwise the first call does); useful to fail fast at start-up.
    public func connect() async throws {
        _ = try await self.connection()
    }

    func connection() async throws -> Connection {
        let action = self.state.withLockedValue { state -> Result<EventLoopFuture<Connection>, RPCError> in
            switch state {
            case .ready(let connection) where connection.channel.isActive:
                return .success(connection.channel.eventLoop.makeSucceededFuture(connection))
            case .connecting(let future):
                return .success(future)
            case .closed:
                return .failure(RPCError(.unavailable, "the client is closed"))
            case .idle, .ready:
                let future = self.openConnection()
                state = .connecting(future)
                return .success(future)
            }
        }
        let future = try action.get()
        do {
            let connection = try await future.get()
            self.state.withLockedValue { state in
                if case .connecting = state { state = .ready(connection) }
            }
            return connection
        } catch {
            self.state.withLockedValue { state in
                if case .connecting = state { state = .idle }
            }
            if let rpcError = error as? RPCError { throw rpcError }
            let reason = (error as? NIOConnectionError)?.connectionErrors.first.map { "\($0.error)" } ?? "\(error)"
            if self.configuration.inProcessServer != nil {
                throw RPCError(.unavailable, "cannot connect to the server in this process (\(reason))")
            }
            throw RPCError(
                .unavailable,
                "cannot connect to \(self.configuration.host):\(self.configuration.port) (\(reason)); is cbingest serve running there?"
            )
        }
    }

    private static func bootstrap(_ group: any EventLoopGroup, _ configuration: RPCClientConfiguration) -> ClientBootstrap {
        ClientBootstrap(group: group)
            .connectTimeout(TimeAmount(configuration.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(ReplyFrameDecoder(maxMessageBytes: configuration.maxMessageBytes + 64)))
                    try sync.addHandler(RPCClientConnectionHandler())
                }
            }
    }

    private func openConnection() -> EventLoopFuture<Connection> {
        let configuration = self.configuration
        let connected: EventLoopFuture<any Channel>
        if let server = configuration.inProcessServer {
            let loop = self.group.next()
            connected = server.connectedSocketPair(on: loop).flatMap { descriptor in
                Self.bootstrap(loop, configuration).withConnectedSocket(descriptor)
            }
        } else {
            connected = Self.bootstrap(self.group, configuration)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .connect(host: configuration.host, port: configuration.port)
        }
        return connected.flatMap { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.handler(type: RPCClientConnectionHandler.self)
            }.flatMap { handler in
                var hello = Hello()
                hello.protocolVersion = WireProtocol.extendedProtocolVersion
                hello.authToken = configuration.authToken ?? ""
                hello.clientName = configuration.clientName
                let promise = channel.eventLoop.makePromise(of: HelloReply.self)
                handler.sendHello(hello, promise: promise)
                let loopBound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
                return promise.futureResult.map { reply in
                    Connection(channel: channel, handler: loopBound, serverLimits: reply)
                }
            }.flatMapErrorThrowing { error in
                channel.close(promise: nil)
                throw error
            }
        }
    }
}
