/// Settings of the HTTP gateway that receives ClickBank's POSTs. Every property has a default.
public struct GatewayConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port: Int = 8080
    /// Largest notification body accepted; checked against Content-Length before reading.
    public var maxBodyBytes: Int = 64 * 1024
    /// Connections open at once; more are closed on accept.
    public var maxConnections: Int = 1024
    /// A request's head must arrive within this time of the connection opening (or of the previous
    /// response), and the rest within this time of the head: slow, idle or half-sent requests are cut off.
    public var requestTimeout: Duration = .seconds(10)
    /// How long the gateway waits for VerifyIPN before answering 503 (ClickBank then retries).
    public var verifyTimeout: Duration = .seconds(8)

    public init() {}
}
