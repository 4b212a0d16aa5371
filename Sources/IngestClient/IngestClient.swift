@_exported public import IngestMessages
@_exported public import RPCCore
public import NIOCore
public import NIOPosix

/// The Swift client of the cbingest service, for backend services, the HTTP gateway and the CLI.
///
/// One instance holds one multiplexed connection (opened on first use, reopened after a drop) that
/// any number of tasks share. Every method throws `RPCError` with the server's status code and
/// message. Calls that are safe to repeat are retried once when the connection dropped under them.
public final class IngestClient: Sendable {
    public let configuration: RPCClientConfiguration
    let channel: RPCClientChannel

    public init(
        configuration: RPCClientConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.channel = RPCClientChannel(configuration: configuration, group: group)
    }

    /// Connects now instead of on the first call, so a wrong address or auth token fails early.
    public func connect() async throws {
        try await self.channel.connect()
    }

    public func close() async {
        await self.channel.close()
    }

    // MARK: Methods

    /// Stores (or replaces) a tenant's ClickBank secret key for one account, encrypted at rest.
    public func storeSecret(_ request: StoreSecretRequest, timeout: Duration? = nil) async throws -> StoreSecretResponse {
        try await self.call(.storeSecret, request, timeout: timeout, idempotent: false)
    }

    public func storeSecret(tenantID: String, account: String, secretKey: String) async throws -> StoreSecretResponse {
        var request = StoreSecretRequest()
        request.tenantId = tenantID
        request.account = account
        request.secretKey = secretKey
        return try await self.storeSecret(request)
    }

    /// The URL to paste into ClickBank and the state of that endpoint.
    public func getWebhookURL(_ request: GetWebhookURLRequest, timeout: Duration? = nil) async throws -> GetWebhookURLResponse {
        try await self.call(.getWebhookURL, request, timeout: timeout, idempotent: !request.rotateToken)
    }

    public func getWebhookURL(tenantID: String, account: String, rotateToken: Bool = false) async throws -> GetWebhookURLResponse {
        var request = GetWebhookURLRequest()
        request.tenantId = tenantID
        request.account = account
        request.rotateToken = rotateToken
        return try await self.getWebhookURL(request)
    }

    /// Verifies and records one ClickBank notification (the exact raw body as received). Safe to
    /// repeat: a redelivery is recorded once.
    public func verifyIPN(_ request: VerifyIPNRequest, timeout: Duration? = nil) async throws -> VerifyIPNResponse {
        try await self.call(.verifyIPN, request, timeout: timeout, idempotent: true)
    }

    /// Health: `service` "" checks the server, "database" also the database.
    public func check(service: String = "", timeout: Duration? = nil) async throws -> HealthCheckResponse {
        var request = HealthCheckRequest()
        request.service = service
        return try await self.call(.check, request, timeout: timeout, idempotent: true)
    }

    // MARK: Plumbing

    func call<Request: WireMessage, Response: WireMessage>(
        _ method: IngestMethod,
        _ request: Request,
        timeout: Duration?,
        idempotent: Bool
    ) async throws -> Response {
        let bytes = request.serializedBytes()
        var attempt = 0
        while true {
            attempt += 1
            do {
                let reply = try await self.channel.unary(methodIndex: method.rawValue, request: bytes, timeout: timeout)
                do {
                    return try Response(serializedBytes: reply)
                } catch {
                    throw RPCError(.internal, "the server's \(method.name) reply could not be decoded")
                }
            } catch let error as RPCError where error.code == .unavailable && idempotent && attempt == 1 {
                continue  // The connection dropped; the call is safe to repeat on a new one.
            }
        }
    }
}
