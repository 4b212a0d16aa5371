/// What a ClickBank transaction type means for the money, shared by notifications and CSV rows.
/// ClickBank's set of types is open: unknown values map to `.other` and the original text is kept.
public enum TransactionKind: Int, Sendable, Hashable, CaseIterable {
    case unknown = 0
    case sale = 1
    case rebill = 2
    case refund = 3
    case chargeback = 4
    case insufficientFunds = 5
    case cancelRebill = 6
    case uncancelRebill = 7
    /// The "Test IPN" button: proof that the URL and secret work, never a sale.
    case test = 8
    /// TEST_SALE, TEST_BILL, TEST_RFND and the test rebill events from test purchases.
    case testPurchase = 9
    case other = 10

    public init(transactionType: String) {
        switch transactionType.uppercased() {
        case "SALE": self = .sale
        case "BILL": self = .rebill
        case "RFND": self = .refund
        case "CGBK": self = .chargeback
        case "INSF": self = .insufficientFunds
        case "CANCEL-REBILL": self = .cancelRebill
        case "UNCANCEL-REBILL": self = .uncancelRebill
        case "TEST": self = .test
        case "TEST_SALE", "TEST_BILL", "TEST_RFND", "CANCEL-TEST-REBILL", "UNCANCEL-TEST-REBILL": self = .testPurchase
        default: self = .other
        }
    }

    /// The case's name as stored in the `kind` columns ("sale", "insufficientFunds", ...): the same
    /// text as `"\(kind)"`, without the reflection that string interpolation of an enum goes through
    /// (a twentieth of a CSV import's parsing time).
    public var name: String {
        switch self {
        case .unknown: "unknown"
        case .sale: "sale"
        case .rebill: "rebill"
        case .refund: "refund"
        case .chargeback: "chargeback"
        case .insufficientFunds: "insufficientFunds"
        case .cancelRebill: "cancelRebill"
        case .uncancelRebill: "uncancelRebill"
        case .test: "test"
        case .testPurchase: "testPurchase"
        case .other: "other"
        }
    }

    /// Whether money flows back to the customer (so amounts are stored as negative).
    public var isMoneyOut: Bool {
        self == .refund || self == .chargeback
    }
}
