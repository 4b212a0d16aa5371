/// What kind of money movement a transaction type means, for analytics (proto enum
/// `clickbank.ingest.v1.TransactionKind`).
public enum TransactionKind: RawRepresentable, Hashable, Sendable {
    case unknown
    case sale
    case rebill
    case refund
    case chargeback
    case insufficientFunds
    case cancelRebill
    case uncancelRebill
    case test
    case testPurchase
    case other
    /// A value this build does not know; kept so it survives a decode/encode round trip.
    case unrecognized(Int32)

    /// Every value this build knows.
    public static let allCases: [TransactionKind] = [
        .unknown, .sale, .rebill, .refund, .chargeback, .insufficientFunds, .cancelRebill, .uncancelRebill, .test,
        .testPurchase, .other,
    ]

    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .unknown
        case 1: self = .sale
        case 2: self = .rebill
        case 3: self = .refund
        case 4: self = .chargeback
        case 5: self = .insufficientFunds
        case 6: self = .cancelRebill
        case 7: self = .uncancelRebill
        case 8: self = .test
        case 9: self = .testPurchase
        case 10: self = .other
        default: self = .unrecognized(rawValue)
        }
    }

    public var rawValue: Int32 {
        switch self {
        case .unknown: 0
        case .sale: 1
        case .rebill: 2
        case .refund: 3
        case .chargeback: 4
        case .insufficientFunds: 5
        case .cancelRebill: 6
        case .uncancelRebill: 7
        case .test: 8
        case .testPurchase: 9
        case .other: 10
        case .unrecognized(let value): value
        }
    }

    /// By wire value, so `.unrecognized(1) == .sale`.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}
