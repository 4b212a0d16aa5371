/// One stored ClickBank event (a notification or a CSV import proved it), as the read helpers return it.
public struct StoredEvent: Sendable, Hashable {
    public var id: Int64
    public var account: String
    public var role: String
    public var receipt: String
    public var transactionType: String
    /// The transaction instant, Unix milliseconds.
    public var transactionTimeMs: Int64
    /// The `TransactionKind` case name ("sale", "refund", ...).
    public var kind: String
    /// "ipn" (a verified notification stored or upgraded it) or "csv" (only a CSV import has seen it).
    public var source: String
    /// When a CSV import confirmed the event (Unix ms), if one has.
    public var csvConfirmedAtMs: Int64?
    public var currency: String?
    /// Exact decimal text as PostgreSQL prints the numeric ("-49.95"), signed by the kind.
    public var totalAccountAmount: String?
    /// The delivery attempt of the notification that stored it (nil for a CSV-only event).
    public var attemptCount: Int?
    /// Line items stored for the event.
    public var lineCount: Int
}
