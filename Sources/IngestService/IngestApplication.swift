import IngestStore
import NIOConcurrencyHelpers
public import Logging
public import NIOCore
public import NIOPosix
public import RPCCore

/// The whole service in one process: database pool and migrations, the RPC server, and the HTTP
/// gateway. `cbingest serve` and the end-to-end tests start it the same way.
public final class IngestApplication: Sendable {
    public let configuration: IngestServiceConfiguration
    public let rpcServer: RPCServer
    let store: IngestStore
    let logger: Logger
    private let stopped = NIOLockedValueBox(false)

    private init(configuration: IngestServiceConfiguration, rpcServer: RPCServer, store: IngestStore, logger: Logger) {
        self.configuration = configuration
        self.rpcServer = rpcServer
        self.store = store
        self.logger = logger
    }

    /// Connects to the database, applies migrations, and starts listening.
    public static func start(
        configuration: IngestServiceConfiguration,
        keyring: MasterKeyring,
        logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> IngestApplication {
        // Connects and applies pending migrations (safe when several instances start at once).
        let store = try await IngestStore.connect(conninfo: configuration.databaseURL, poolSize: configuration.databasePoolSize)
        do {
            let handlers = IngestHandlers(store: store, keyring: keyring, configuration: configuration, logger: logger)
            let rpcServer = try await RPCServer.start(
                configuration: configuration.rpc, router: handlers.makeRouter(), group: group, logger: logger
            )
            logger.info(
                "cbingest RPC listening",
                metadata: ["address": "\(rpcServer.localAddress.map { "\($0)" } ?? "?")"]
            )
            return IngestApplication(configuration: configuration, rpcServer: rpcServer, store: store, logger: logger)
        } catch {
            await store.shutdown()
            throw error
        }
    }

    public var rpcAddress: SocketAddress? { self.rpcServer.localAddress }

    /// Graceful stop: no new connections, in-flight calls finish (bounded), then the pool closes.
    public func shutdown() async {
        let alreadyStopped = self.stopped.withLockedValue { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        self.logger.info("shutting down")
        await self.rpcServer.shutdown()
        await self.store.shutdown()
        self.logger.info("stopped")
    }
}
