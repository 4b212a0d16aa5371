/// What the service reports about an account's webhook endpoint.
public struct EndpointState: Sendable, Hashable {
    /// Whether a current ClickBank secret key is stored.
    public var hasSecret: Bool
    public var createdAtMs: Int64
    /// When ClickBank's test notification last arrived (Unix ms), if ever.
    public var testSeenAtMs: Int64?
    /// When the last notification (test or real) arrived (Unix ms), if ever.
    public var lastNotificationAtMs: Int64?
    /// Notifications accepted and rejected so far.
    public var accepted: Int64
    public var rejected: Int64

    public init(
        hasSecret: Bool,
        createdAtMs: Int64,
        testSeenAtMs: Int64? = nil,
        lastNotificationAtMs: Int64? = nil,
        accepted: Int64 = 0,
        rejected: Int64 = 0
    ) {
        self.hasSecret = hasSecret
        self.createdAtMs = createdAtMs
        self.testSeenAtMs = testSeenAtMs
        self.lastNotificationAtMs = lastNotificationAtMs
        self.accepted = accepted
        self.rejected = rejected
    }
}
