/// Limits and settings of the RPC server. Every property has a default; docs/PROTOCOL.md and the
/// README list them.
public struct RPCServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (tests).
    public var port: Int = 7600
    /// The largest request body accepted, checked against the frame header before buffering.
    public var maxMessageBytes: Int = 4 * 1024 * 1024
    /// Calls one connection may have running at once; beyond it the server stops reading from
    /// that connection until a call completes (back-pressure, not an error).
    public var maxInFlightCallsPerConnection: Int = 128
    /// Connections open at once; a connection over the limit is closed as soon as it is accepted.
    public var maxConnections: Int = 1024
    /// A connection with no calls in flight and no traffic for this long is closed.
    public var idleTimeout: Duration = .seconds(300)
    /// When set, callers must present it in Hello; stock protobuf-c-rpc clients, which cannot
    /// send Hello, are then refused with UNAUTHENTICATED.
    public var authToken: String? = nil
    /// Deadline applied to calls that carry none (all stock-client calls).
    public var defaultCallTimeout: Duration = .seconds(60)
    /// How many request messages of a streaming call may wait in the server (flow-control window).
    public var streamWindow: Int = 4
    /// On shutdown, how long in-flight calls may take before connections are closed anyway.
    public var shutdownGracePeriod: Duration = .seconds(10)
    public var serverName: String = "cbingest"

    public init() {}

    /// True for addresses only this machine can reach.
    public var listensOnLoopbackOnly: Bool {
        let host = self.host.lowercased()
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
