/// Settings of the HTTP gateway that receives ClickBank's POSTs. Every property has a default.
public struct GatewayConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port: Int = 8080
    /// Largest notification body accepted; checked against Content-Length before reading.
    public var maxBodyBytes: Int = 64 * 1024
    /// Connections open at once; more are closed on accept.
    public var maxConnections: Int = 1024
    /// A request must arrive whole within this time (slow or half-sent requests are cut off).
    public var requestTimeout: Duration = .seconds(10)
    /// A keep-alive connection with no request for this long is closed.
    public var idleTimeout: Duration = .seconds(60)
    /// How long the gateway waits for VerifyIPN before answering 503 (ClickBank then retries).
    public var verifyTimeout: Duration = .seconds(8)

    public init() {}
}
