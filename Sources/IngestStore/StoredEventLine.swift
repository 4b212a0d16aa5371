/// One stored line item of an event, as the read helpers return it.
public struct StoredEventLine: Sendable, Hashable {
    public var eventID: Int64
    public var transactionType: String
    public var transactionTimeMs: Int64
    /// The line's `itemNo`; "" for the single line of a notification without line items.
    public var itemNo: String
    public var lineItemType: String?
    public var quantity: Int?
    /// Exact decimal text as PostgreSQL prints the numeric, signed by the event's kind.
    public var accountAmount: String?
    /// "ipn" or "csv", as for `StoredEvent.source`.
    public var source: String
    public var csvConfirmedAtMs: Int64?
}
