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
    let handlers: IngestHandlers
    let logger: Logger
    private let stopped = NIOLockedValueBox(false)
    private let sweeper: NIOLockedValueBox<Task<Void, Never>?> = NIOLockedValueBox(nil)
    private let poolReporter: NIOLockedValueBox<Task<Void, Never>?> = NIOLockedValueBox(nil)

    private init(
        configuration: IngestServiceConfiguration, rpcServer: RPCServer, store: IngestStore, handlers: IngestHandlers,
        logger: Logger
    ) {
        self.configuration = configuration
        self.rpcServer = rpcServer
        self.store = store
        self.handlers = handlers
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
            let application = IngestApplication(
                configuration: configuration, rpcServer: rpcServer, store: store, handlers: handlers, logger: logger
            )
            application.startRecoverySweep()
            return application
        } catch {
            await store.shutdown()
            throw error
        }
    }

    public var rpcAddress: SocketAddress? { self.rpcServer.localAddress }

    /// Every `recoverySweepInterval`, verifies notifications stored but never processed (a crash
    /// between storing and verifying). Deliveries younger than the interval are left to their own call.
    private func startRecoverySweep() {
        // Pool saturation for the metrics, every two seconds.
        let store = self.store
        let handlers = self.handlers
        let poolTask = Task {
            while !Task.isCancelled {
                handlers.metrics.recordPool(store.poolStats)
                try? await Task.sleep(for: .seconds(2))
            }
        }
        self.poolReporter.withLockedValue { $0 = poolTask }
        guard let interval = self.configuration.recoverySweepInterval else { return }
        let task = Task {
            while !Task.isCancelled {
                _ = await handlers.recoverUnprocessedDeliveries(olderThanSeconds: Int(interval.components.seconds))
                try? await Task.sleep(for: interval)
            }
        }
        self.sweeper.withLockedValue { $0 = task }
    }

    /// Runs the recovery sweep now (tests, operators); returns how many deliveries it processed.
    public func recoverUnprocessedDeliveries(olderThanSeconds: Int) async -> Int {
        await self.handlers.recoverUnprocessedDeliveries(olderThanSeconds: olderThanSeconds)
    }

    /// Graceful stop: no new connections, in-flight calls finish (bounded), then the pool closes.
    public func shutdown() async {
        let alreadyStopped = self.stopped.withLockedValue { stopped in
            defer { stopped = true }
            return stopped
        }
        guard !alreadyStopped else { return }
        self.logger.info("shutting down")
        self.sweeper.withLockedValue { $0?.cancel() }
        self.poolReporter.withLockedValue { $0?.cancel() }
        await self.rpcServer.shutdown()
        await self.store.shutdown()
        self.logger.info("stopped")
    }
}
