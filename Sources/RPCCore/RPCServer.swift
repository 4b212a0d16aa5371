public import Logging
public import NIOCore
import CoreMetrics
import NIOConcurrencyHelpers
public import NIOPosix
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The TCP server: accepts connections, applies the limits of `RPCServerConfiguration`, and on
/// shutdown drains in-flight calls before closing.
public final class RPCServer: Sendable {
    public let configuration: RPCServerConfiguration
    private let channel: any Channel
    private let connections: NIOLockedValueBox<ConnectionRegistry>
    private let logger: Logger
    /// Admits a connection and sets up its handlers, or hands it to the refusal given (accepted
    /// connections are closed; `serve(connectedSocket:on:)` fails): for both kinds of connection.
    private let initializeConnection: ConnectionInitializer
    typealias ConnectionInitializer = @Sendable (
        any Channel, _ refuse: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<Void>

    struct ConnectionRegistry {
        var nextID: UInt64 = 0
        var open: [UInt64: any Channel] = [:]
        var accepting = true
    }

    /// The address the server listens on (with the real port when the configuration said 0);
    /// still readable after shutdown.
    public let localAddress: SocketAddress?

    private init(
        configuration: RPCServerConfiguration,
        channel: any Channel,
        connections: NIOLockedValueBox<ConnectionRegistry>,
        logger: Logger,
        initializeConnection: @escaping ConnectionInitializer
    ) {
        self.configuration = configuration
        self.initializeConnection = initializeConnection
        self.channel = channel
        self.localAddress = channel.localAddress
        self.connections = connections
        self.logger = logger
    }

    public static func start(
        configuration: RPCServerConfiguration,
        router: RPCRouter,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> RPCServer {
        let connections = NIOLockedValueBox(ConnectionRegistry())
        let maxConnections = configuration.maxConnections
        let metrics = RPCMetrics()
        let initializeConnection: ConnectionInitializer = { channel, refuse in
            let admitted: UInt64? = connections.withLockedValue { registry in
                guard registry.accepting, registry.open.count < maxConnections else { return nil }
                let id = registry.nextID
                registry.nextID += 1
                registry.open[id] = channel
                return id
            }
            guard let id = admitted else {
                logger.warning("refusing a connection: at the connection limit or shutting down")
                return refuse(channel)
            }
            metrics.openConnections.record(connections.withLockedValue { $0.open.count })
            channel.closeFuture.whenComplete { _ in
                let open = connections.withLockedValue { registry in
                    registry.open.removeValue(forKey: id)
                    return registry.open.count
                }
                metrics.openConnections.record(open)
            }
            return channel.eventLoop.makeCompletedFuture {
                let sync = channel.pipeline.syncOperations
                try sync.addHandler(
                    IdleStateHandler(allTimeout: TimeAmount(configuration.idleTimeout))
                )
                try sync.addHandler(
                    ByteToMessageHandler(RequestFrameDecoder(maxMessageBytes: configuration.maxMessageBytes))
                )
                try sync.addHandler(
                    RPCServerConnectionHandler(router: router, configuration: configuration, metrics: metrics, logger: logger)
                )
            }
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in initializeConnection(channel, { $0.close() }) }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        return RPCServer(
            configuration: configuration, channel: channel, connections: connections, logger: logger,
            initializeConnection: initializeConnection
        )
    }

    /// A client configuration (from `base`, whose address is then unused) for a client in this
    /// process, such as `cbingest serve`'s HTTP gateway: each of its connections is a Unix socket
    /// pair whose server end is served on the client's own event loop, so a call is sent, served and
    /// answered without leaving that loop's thread (but for the database) and without TCP. The
    /// protocol, the handshake and the limits are those of any connection.
    public func inProcessClientConfiguration(_ base: RPCClientConfiguration) -> RPCClientConfiguration {
        var configuration = base
        configuration.inProcessServer = self
        return configuration
    }

    /// Makes a connected socket pair, serves one end on `loop`, and returns the other, the client's.
    func connectedSocketPair(on loop: any EventLoop) -> EventLoopFuture<CInt> {
        var descriptors: [CInt] = [-1, -1]
        #if canImport(Glibc)
        let made = socketpair(AF_UNIX, CInt(SOCK_STREAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0, &descriptors) == 0
        #else
        // No SOCK_CLOEXEC on Darwin: set close-on-exec on each end afterwards.
        let made = socketpair(AF_UNIX, SOCK_STREAM, 0, &descriptors) == 0
        if made { for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) } }
        #endif
        guard made else {
            return loop.makeFailedFuture(IOError(errnoCode: errno, reason: "socketpair"))
        }
        let (clientEnd, serverEnd) = (descriptors[0], descriptors[1])
        return self.serve(connectedSocket: serverEnd, on: loop)
            .map { _ in clientEnd }
            .flatMapErrorThrowing { error in
                close(clientEnd)
                throw error
            }
    }

    /// Serves a connection whose socket is already connected (one end of a socket pair) on `loop`,
    /// admitted and handled like an accepted one. `descriptor` belongs to the server from here on.
    func serve(connectedSocket descriptor: CInt, on loop: any EventLoop) -> EventLoopFuture<any Channel> {
        let initializeConnection = self.initializeConnection
        return ClientBootstrap(group: loop)
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                // A refused connection must fail the bootstrap (which then closes it), not be closed
                // under it.
                initializeConnection(channel, { channel in
                    channel.eventLoop.makeFailedFuture(
                        RPCError(.unavailable, "the server is not accepting connections (shutting down or at its limit)")
                    )
                })
            }
            .withConnectedSocket(descriptor)
    }

    /// Stops accepting, lets running calls finish (new calls on open connections get UNAVAILABLE),
    /// and closes every connection once idle or when the grace period runs out.
    public func shutdown() async {
        let open = self.connections.withLockedValue { registry -> [any Channel] in
            registry.accepting = false
            return Array(registry.open.values)
        }
        try? await self.channel.close()
        self.logger.info("draining connections", metadata: ["connections": "\(open.count)"])
        for connection in open {
            connection.eventLoop.execute {
                if let handler = try? connection.pipeline.syncOperations.handler(type: RPCServerConnectionHandler.self) {
                    handler.beginDraining()
                }
            }
        }
        let deadline = ContinuousClock.now + self.configuration.shutdownGracePeriod
        while ContinuousClock.now < deadline {
            if self.connections.withLockedValue({ $0.open.isEmpty }) { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let stragglers = self.connections.withLockedValue { Array($0.open.values) }
        if !stragglers.isEmpty {
            self.logger.warning("closing connections whose calls outlived the grace period", metadata: ["connections": "\(stragglers.count)"])
        }
        for connection in stragglers {
            try? await connection.close()
        }
    }

    /// Open connections right now (for metrics).
    public var openConnections: Int {
        self.connections.withLockedValue { $0.open.count }
    }
}
