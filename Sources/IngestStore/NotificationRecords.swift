public import ClickBank

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

/// A notification the service verified, for the store to record.
public struct VerifiedNotification: Sendable {
    public var notification: ClickBankNotification
    /// The secret version that verified it.
    public var keyVersion: Int

    public init(notification: ClickBankNotification, keyVersion: Int) {
        self.notification = notification
        self.keyVersion = keyVersion
    }
}

/// What `IngestStore.recordDelivery(…, verifyingWith:)` did with a delivery.
public struct DeliveryOutcome: Sendable {
    public var stored: StoredDeliveryWithSecrets
    /// What the verifier made of the stored body: the notification, or the error it threw (nothing
    /// is recorded for a failure: the caller records it).
    public var verification: Result<VerifiedNotification, any Error>
    /// How the verified notification was recorded (nil when it didn't verify).
    public var recorded: RecordedNotification?
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
