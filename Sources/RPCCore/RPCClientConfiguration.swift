/// Where and how a client connects. Every property has a default.
public struct RPCClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Sent in Hello; required when the server has authentication on.
    public var authToken: String? = nil
    public var connectTimeout: Duration = .seconds(5)
    /// Deadline for calls that don't give their own; nil = none.
    public var defaultCallTimeout: Duration? = .seconds(30)
    /// The largest reply accepted.
    public var maxMessageBytes: Int = 4 * 1024 * 1024
    public var clientName: String = "cbingest-swift-client"
    /// Set by `RPCServer.inProcessClientConfiguration`: each connection is a socket pair with that
    /// server, both ends on the client's event loop, instead of TCP to `host`:`port`.
    var inProcessServer: RPCServer? = nil

    public init(host: String = "127.0.0.1", port: Int = 7600) {
        self.host = host
        self.port = port
    }
}
