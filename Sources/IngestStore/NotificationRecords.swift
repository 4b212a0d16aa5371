/// What recording a verified notification did.
public struct RecordedNotification: Sendable, Hashable {
    /// The event the notification proves; nil for a Test IPN.
    public var eventID: Int64?
    /// The event was already stored (a redelivery, a concurrent duplicate, or a CSV import).
    public var duplicate: Bool
    public var isTest: Bool
    /// Line items inserted for the event. Recordings of one event written together (concurrent
    /// duplicates in one batch) report them all on the one that inserted the event.
    public var linesInserted: Int
}

/// A kept raw delivery, for re-verification.
public struct StoredDelivery: Sendable, Hashable {
    public var tenant: String
    public var account: String
    public var id: Int64
    public var contentType: String
    public var body: [UInt8]
    public var receivedAtMs: Int64
}

/// A raw delivery just stored through its webhook token, with the secrets that may verify it.
public struct StoredDeliveryWithSecrets: Sendable, Hashable {
    public var tenant: String
    public var account: String
    public var deliveryID: Int64
    /// Current first, then previous versions still within their grace period; empty if none stored.
    public var secrets: [SealedSecret]
}
