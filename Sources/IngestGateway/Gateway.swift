public import IngestClient
public import Logging
public import NIOCore
import NIOConcurrencyHelpers
import NIOHTTP1
public import NIOPosix
public import RPCCore

/// The HTTP/1.1 server that receives ClickBank's notification POSTs and hands each one to
/// VerifyIPN over RPC through the client library. Part of `cbingest serve`, or on its own as
/// `cbingest gateway --rpc HOST:PORT`.
public final class Gateway: Sendable {
    public let configuration: GatewayConfiguration
    private let channel: any Channel
    private let metrics: GatewayMetrics
    /// Clients the gateway made itself (`start(configuration:rpc:...)`), closed by `shutdown`.
    private let ownedClients: [IngestClient]

    private init(configuration: GatewayConfiguration, channel: any Channel, metrics: GatewayMetrics, ownedClients: [IngestClient]) {
        self.configuration = configuration
        self.channel = channel
        self.metrics = metrics
        self.ownedClients = ownedClients
    }

    public var localAddress: SocketAddress? { self.channel.localAddress }

    /// Starts the gateway with RPC clients of its own, one per event loop of `group`, each with its
    /// connection on its loop. A request uses the client of its own loop, so its call is made,
    /// answered and replied to without crossing to another thread, and the RPC server gets one
    /// connection per loop to spread its work over. (With VerifyIPN run on the server's loops too, this
    /// did more notifications/s at 16 connections than the earlier single client with no loop tasks
    /// in 12 of 14 A/B pairs on the two-core machine; one shared client with loop tasks gained
    /// nothing, and one loop then verified every call.)
    /// `shutdown` closes the clients.
    public static func start(
        configuration: GatewayConfiguration,
        rpc clientConfiguration: RPCClientConfiguration,
        logger: Logger,
        metricsText: (@Sendable () -> String)? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Gateway {
        let loopClients = group.makeIterator().map { loop in
            (eventLoop: loop, client: IngestClient(configuration: clientConfiguration, group: loop))
        }
        let clients = loopClients.map(\.client)
        do {
            return try await Self.start(
                configuration: configuration,
                // A group always has a loop; the first loop's client serves any other.
                client: { loop in loopClients.first { $0.eventLoop === loop }?.client ?? clients[0] },
                ownedClients: clients, logger: logger, metricsText: metricsText, group: group
            )
        } catch {
            for client in clients { await client.close() }
            throw error
        }
    }

    /// Starts the gateway with one client for every request (the caller closes it).
    public static func start(
        configuration: GatewayConfiguration,
        client: IngestClient,
        logger: Logger,
        metricsText: (@Sendable () -> String)? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> Gateway {
        try await Self.start(
            configuration: configuration, client: { _ in client }, ownedClients: [], logger: logger,
            metricsText: metricsText, group: group
        )
    }

    /// `client`: the client for a connection on that event loop.
    private static func start(
        configuration: GatewayConfiguration,
        client: @escaping @Sendable (any EventLoop) -> IngestClient,
        ownedClients: [IngestClient],
        logger: Logger,
        metricsText: (@Sendable () -> String)?,
        group: any EventLoopGroup
    ) async throws -> Gateway {
        let metrics = GatewayMetrics()
        let maxConnections = configuration.maxConnections
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                guard metrics.connectionOpened(limit: maxConnections) else {
                    logger.warning("gateway refusing a connection: at the connection limit")
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in metrics.connectionClosed() }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(withErrorHandling: true)
                    try sync.addHandler(
                        GatewayHandler(
                            client: client(channel.eventLoop),
                            configuration: configuration, metrics: metrics, metricsText: metricsText,
                            logger: logger
                        )
                    )
                }
            }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        logger.info("cbingest gateway listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        return Gateway(configuration: configuration, channel: channel, metrics: metrics, ownedClients: ownedClients)
    }

    /// Stops accepting; requests in progress finish on their connections. Then closes the clients the
    /// gateway made.
    public func shutdown() async {
        try? await self.channel.close()
        for client in self.ownedClients {
            await client.close()
        }
    }
}
