public import IngestClient
public import Logging
public import NIOCore
import NIOConcurrencyHelpers
import NIOHTTP1
public import NIOPosix

/// The HTTP/1.1 server that receives ClickBank's notification POSTs and hands each one to
/// VerifyIPN over RPC through the client library. Part of `cbingest serve`, or on its own as
/// `cbingest gateway --rpc HOST:PORT`.
public final class Gateway: Sendable {
    public let configuration: GatewayConfiguration
    private let channel: any Channel
    private let metrics: GatewayMetrics

    private init(configuration: GatewayConfiguration, channel: any Channel, metrics: GatewayMetrics) {
        self.configuration = configuration
        self.channel = channel
        self.metrics = metrics
    }

    public var localAddress: SocketAddress? { self.channel.localAddress }

    public static func start(
        configuration: GatewayConfiguration,
        client: IngestClient,
        logger: Logger,
        metricsText: (@Sendable () -> String)? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
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
                            client: client, configuration: configuration, metrics: metrics, metricsText: metricsText,
                            logger: logger
                        )
                    )
                }
            }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        logger.info("cbingest gateway listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        return Gateway(configuration: configuration, channel: channel, metrics: metrics)
    }

    /// Stops accepting; requests in progress finish on their connections.
    public func shutdown() async {
        try? await self.channel.close()
    }
}
