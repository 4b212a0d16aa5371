/// Why a notification did not verify (proto enum `clickbank.ingest.v1.VerifyFailure`).
public enum VerifyFailure: RawRepresentable, Hashable, Sendable {
    case none
    case badBase64
    case badIvLength
    case badCiphertextLength
    case badPadding
    case notUtf8
    case notJson
    case schema
    case noSecret
    case badCverify
    case malformedBody
    case vendorMismatch
    /// A value this build does not know; kept so it survives a decode/encode round trip.
    case unrecognized(Int32)

    /// Every value this build knows.
    public static let allCases: [VerifyFailure] = [
        .none, .badBase64, .badIvLength, .badCiphertextLength, .badPadding, .notUtf8, .notJson, .schema, .noSecret,
        .badCverify, .malformedBody, .vendorMismatch,
    ]

    public init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .none
        case 1: self = .badBase64
        case 2: self = .badIvLength
        case 3: self = .badCiphertextLength
        case 4: self = .badPadding
        case 5: self = .notUtf8
        case 6: self = .notJson
        case 7: self = .schema
        case 8: self = .noSecret
        case 9: self = .badCverify
        case 10: self = .malformedBody
        case 11: self = .vendorMismatch
        default: self = .unrecognized(rawValue)
        }
    }

    public var rawValue: Int32 {
        switch self {
        case .none: 0
        case .badBase64: 1
        case .badIvLength: 2
        case .badCiphertextLength: 3
        case .badPadding: 4
        case .notUtf8: 5
        case .notJson: 6
        case .schema: 7
        case .noSecret: 8
        case .badCverify: 9
        case .malformedBody: 10
        case .vendorMismatch: 11
        case .unrecognized(let value): value
        }
    }

    /// By wire value, so `.unrecognized(1) == .badBase64`.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawValue == rhs.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
}
