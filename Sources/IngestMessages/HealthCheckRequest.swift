internal import IngestProtoC

public struct HealthCheckRequest: WireMessage {
    public static let protoName = "clickbank.ingest.v1.HealthCheckRequest"

    /// Empty: the whole server. "database": also check the database.
    public var service: String = ""

    public init() {}

    public init(service: String = "") {
        self.service = service
    }
}

extension HealthCheckRequest: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__HealthCheckRequest

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__health_check_request__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__health_check_request__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.service = swiftString(message.service)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.service = arena.string(self.service)
    }
}
