import ArgumentParser
import Dispatch
import Foundation
import IngestClient
import IngestGateway
import IngestService
import NIOCore
import Logging
import Metrics
import Prometheus
import RPCCore

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the cbingest service (RPC server).",
        discussion: """
            Every option can also be given by environment variable (shown in brackets); a flag wins \
            over the environment. Configuration is read here and nowhere else. SIGTERM or SIGINT \
            stops accepting connections, lets in-flight calls finish (bounded), then exits.
            """
    )

    @Option(help: "RPC listen address [CBINGEST_RPC_HOST, default 127.0.0.1].")
    var rpcHost: String?

    @Option(help: "RPC listen port [CBINGEST_RPC_PORT, default 7600].")
    var rpcPort: Int?

    @Option(help: "PostgreSQL connection string or URL [DATABASE_URL] (required).")
    var databaseURL: String?

    @Option(help: "File with the master key(s) that encrypt secrets at rest [CBINGEST_MASTER_KEY_FILE]; or set CBINGEST_MASTER_KEY.")
    var masterKeyFile: String?

    @Option(help: "File with the shared token callers must present [CBINGEST_AUTH_TOKEN_FILE]; or set CBINGEST_AUTH_TOKEN.")
    var authTokenFile: String?

    @Option(help: "Public base URL of the webhook endpoint [CBINGEST_PUBLIC_BASE_URL, default http://127.0.0.1:8080].")
    var publicBaseURL: String?

    @Option(help: "HTTP gateway listen address [CBINGEST_HTTP_HOST, default 127.0.0.1].")
    var httpHost: String?

    @Option(help: "HTTP gateway port [CBINGEST_HTTP_PORT, default 8080].")
    var httpPort: Int?

    @Flag(help: "Run without the HTTP gateway [CBINGEST_GATEWAY=off].")
    var noGateway = false

    @Flag(help: "Validate the configuration, print a summary (without secrets) and exit.")
    var checkConfig = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let settings: ServeSettings
        do {
            settings = try ServeSettings(environment: environment, flags: self)
        } catch let error as ServeSettings.Problem {
            FileHandle.standardError.write(Data("cbingest serve: \(error.message)\n".utf8))
            throw ExitCode(64)
        }
        let level = settings.logLevel
        if settings.jsonLogs {
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: level) }
        } else {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
        // Prometheus metrics, served by the HTTP gateway on /metrics.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "cbingest")
        if self.checkConfig {
            print(settings.summary)
            return
        }
        let application: IngestApplication
        do {
            application = try await IngestApplication.start(
                configuration: settings.service, keyring: settings.keyring, logger: logger
            )
        } catch {
            FileHandle.standardError.write(Data("cbingest serve: cannot start: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let rpcPort = application.rpcAddress?.port ?? settings.service.rpc.port
        print("cbingest RPC listening on \(settings.service.rpc.host):\(rpcPort)")
        var gateway: Gateway?
        if let gatewayConfiguration = settings.gateway {
            // The gateway reaches VerifyIPN through the client library, like any other caller.
            // Its connections are socket pairs with the RPC server, each served on its client's event
            // loop (`inProcessClientConfiguration`), rather than TCP connections to the RPC port: a
            // notification then stays on one loop's thread but for the database. (In six A/B pairs at
            // 16 gateway connections the server's CPU per notification was lower in five, and
            // throughput higher in four.)
            var clientConfiguration = RPCClientConfiguration(host: settings.rpcHostForLocalClients, port: rpcPort)
            clientConfiguration.authToken = settings.service.rpc.authToken
            clientConfiguration.clientName = "cbingest-gateway"
            clientConfiguration = application.rpcServer.inProcessClientConfiguration(clientConfiguration)
            do {
                gateway = try await Gateway.start(
                    configuration: gatewayConfiguration, rpc: clientConfiguration, logger: logger,
                    metricsText: { registry.emitToString() }
                )
            } catch {
                FileHandle.standardError.write(Data("cbingest serve: cannot start the HTTP gateway: \(error)\n".utf8))
                await application.shutdown()
                throw ExitCode(1)
            }
            let httpPort = gateway?.localAddress?.port ?? gatewayConfiguration.port
            print("cbingest HTTP gateway listening on \(gatewayConfiguration.host):\(httpPort)")
        }
        await Self.waitForTerminationSignal()
        await gateway?.shutdown()
        await application.shutdown()
    }

    /// Suspends until SIGTERM or SIGINT arrives.
    static func waitForTerminationSignal() async {
        signal(SIGTERM, SIG_IGN)
        signal(SIGINT, SIG_IGN)
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGTERM, SIGINT].map { signalNumber in
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { continuation.yield(signalNumber) }
            source.resume()
            return source
        }
        for await _ in stream { break }
        sources.forEach { $0.cancel() }
    }
}
