import Foundation
import IngestClient
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The running cbingest server these tests call, from the environment:
///
/// - `CBINGEST_IT_RPC`: its RPC address, `host:port`
/// - `CBINGEST_IT_HTTP`: its HTTP gateway, `http://host:port`
/// - `CBINGEST_IT_TOKEN`: the auth token it requires
/// - `CBINGEST_IT_VECTORS` (optional): the shared IPN vectors folder; default `../shared/vectors/ipn`
///   beside the repository
///
/// `make test` (scripts/integration.sh) sets them for a server in its own network namespace; the
/// compose `integration` profile sets them for the container.
struct IntegrationServer: Sendable {
    var rpcHost: String
    var rpcPort: Int
    var httpBase: String
    var token: String

    static let current: IntegrationServer? = {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        guard let rpc = value("CBINGEST_IT_RPC"), let http = value("CBINGEST_IT_HTTP"), let token = value("CBINGEST_IT_TOKEN"),
            let colon = rpc.lastIndex(of: ":"), let port = Int(rpc[rpc.index(after: colon)...])
        else { return nil }
        var host = String(rpc[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return IntegrationServer(
            rpcHost: host, rpcPort: port, httpBase: http.hasSuffix("/") ? String(http.dropLast()) : http, token: token
        )
    }()

    static var server: IntegrationServer {
        get throws { try #require(Self.current, "CBINGEST_IT_RPC, CBINGEST_IT_HTTP and CBINGEST_IT_TOKEN must be set") }
    }

    /// A client with the server's auth token (or `token`), its own connection.
    func client(token: String? = nil) -> IngestClient {
        var configuration = RPCClientConfiguration(host: self.rpcHost, port: self.rpcPort)
        configuration.authToken = token ?? self.token
        configuration.defaultCallTimeout = .seconds(20)
        configuration.clientName = "cbingest-integration-tests"
        return IngestClient(configuration: configuration)
    }

    /// Runs `body` with a client and closes it afterwards, also when `body` throws.
    func withClient<T>(token: String? = nil, _ body: (IngestClient) async throws -> T) async throws -> T {
        let client = self.client(token: token)
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    /// One HTTP request to the gateway; returns the status and the body as text.
    func http(_ method: String, _ path: String, body: [UInt8] = [], contentType: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: self.httpBase + path)!)
        request.httpMethod = method
        request.timeoutInterval = 20
        if !body.isEmpty || method == "POST" { request.httpBody = Data(body) }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    /// Ids unique to one test and one run: the server (a container, say) may keep its database.
    static func uniqueTenant() -> String {
        "it-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }
}

extension Trait where Self == ConditionTrait {
    static var requiresServer: Self {
        .enabled(
            if: IntegrationServer.current != nil,
            """
            CBINGEST_IT_RPC (host:port), CBINGEST_IT_HTTP (http://host:port) and CBINGEST_IT_TOKEN are not set: \
            `make test` (scripts/integration.sh) or `make docker-test` runs these against a real server
            """
        )
    }
}
