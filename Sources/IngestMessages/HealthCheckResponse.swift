internal import IngestProtoC

public struct HealthCheckResponse: WireMessage {
    public static let protoName = "clickbank.ingest.v1.HealthCheckResponse"

    public enum ServingStatus: RawRepresentable, Hashable, Sendable {
        case unknown
        case serving
        case notServing
        /// A value this build does not know; kept so it survives a decode/encode round trip.
        case unrecognized(Int32)

        public static let allCases: [ServingStatus] = [.unknown, .serving, .notServing]

        public init(rawValue: Int32) {
            switch rawValue {
            case 0: self = .unknown
            case 1: self = .serving
            case 2: self = .notServing
            default: self = .unrecognized(rawValue)
            }
        }

        public var rawValue: Int32 {
            switch self {
            case .unknown: 0
            case .serving: 1
            case .notServing: 2
            case .unrecognized(let value): value
            }
        }

        public static func == (lhs: Self, rhs: Self) -> Bool { lhs.rawValue == rhs.rawValue }
        public func hash(into hasher: inout Hasher) { hasher.combine(self.rawValue) }
    }

    public var status: ServingStatus = .unknown
    public var error: CallError?

    public init() {}

    public init(status: ServingStatus = .unknown, error: CallError? = nil) {
        self.status = status
        self.error = error
    }
}

extension HealthCheckResponse: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__HealthCheckResponse

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__health_check_response__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__health_check_response__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.status = ServingStatus(rawValue: Int32(bitPattern: message.status.rawValue))
        self.error = swiftMessage(message.error)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.status = .init(rawValue: UInt32(bitPattern: self.status.rawValue))
        message.error = arena.message(self.error)
    }
}
