/// What became of one kept raw delivery (for operators and tests): `status` is "received" (stored, not
/// yet processed), "verified" or "failed".
public struct StoredDeliveryState: Sendable, Hashable {
    public var id: Int64
    public var account: String
    public var status: String
    public var receivedAtMs: Int64
    /// The failure code ("bad_padding", "no_secret", ...) and its detail, for a failed delivery.
    public var failure: String?
    public var failureDetail: String?
    /// The secret version that verified it.
    public var keyVersion: Int?
    /// The event it proves (nil for a Test IPN and until verified).
    public var eventID: Int64?
    public var isTest: Bool
    /// Whether the event was already stored when it was verified.
    public var duplicate: Bool?
    public var processedAtMs: Int64?
}
