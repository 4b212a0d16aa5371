import ArgumentParser
import Foundation
import IngestClient
import IngestGateway
import Logging
import NIOCore

struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run only the HTTP gateway, forwarding ClickBank's POSTs to a cbingest RPC server.",
        discussion: """
            `cbingest serve` already runs a gateway; use this to run gateways apart from the RPC \
            servers (for example at the edge). Auth token from CBINGEST_AUTH_TOKEN(_FILE).
            """
    )

    @Option(help: "The RPC server HOST:PORT.")
    var rpc: String = "127.0.0.1:7600"

    @Option(help: "HTTP listen address [CBINGEST_HTTP_HOST].")
    var httpHost: String = ProcessInfo.processInfo.environment["CBINGEST_HTTP_HOST"] ?? "127.0.0.1"

    @Option(help: "HTTP port [CBINGEST_HTTP_PORT].")
    var httpPort: Int = Int(ProcessInfo.processInfo.environment["CBINGEST_HTTP_PORT"] ?? "") ?? 8080

    @Option(help: "Largest notification body in bytes.")
    var maxBodyBytes: Int = 64 * 1024

    func run() async throws {
        let rpc = try ClientOptions.clientConfiguration(server: self.rpc, timeoutSeconds: 10, authTokenFile: nil, name: "cbingest-gateway")
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "cbingest-gateway")
        var configuration = GatewayConfiguration()
        configuration.host = self.httpHost
        configuration.port = self.httpPort
        configuration.maxBodyBytes = self.maxBodyBytes
        let gateway = try await Gateway.start(configuration: configuration, rpc: rpc, logger: logger)
        print("cbingest HTTP gateway listening on \(self.httpHost):\(gateway.localAddress?.port ?? self.httpPort), forwarding to \(self.rpc)")
        await ServeCommand.waitForTerminationSignal()
        await gateway.shutdown()
    }
}
