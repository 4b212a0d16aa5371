/// The natural key of one line of one ClickBank event (spec section 7).
///
/// (account, role, receipt, transaction type, transaction instant, item number). Redeliveries share it
/// (`attemptCount` and the random IV are not part of it); partial refunds differ by time.
public struct EventIdentity: Hashable, Sendable {
    /// The receiving ClickBank account, lower-cased (nicknames are case-insensitive).
    public var account: String
    public var role: String
    public var receipt: String
    public var transactionType: String
    /// `transactionTime` as Unix milliseconds: the instant, independent of the offset it was written in.
    public var instantMilliseconds: Int64
    /// The line item's `itemNo`, or "" for a notification without line items.
    public var itemNo: String

    public init(
        account: String, role: String, receipt: String, transactionType: String, instantMilliseconds: Int64,
        itemNo: String
    ) {
        self.account = account
        self.role = role
        self.receipt = receipt
        self.transactionType = transactionType
        self.instantMilliseconds = instantMilliseconds
        self.itemNo = itemNo
    }
}
