internal import IngestProtoC

public struct Address: WireMessage {
    public static let protoName = "clickbank.ingest.v1.Address"

    public var address1: String = ""
    public var address2: String = ""
    public var city: String = ""
    public var county: String = ""
    public var state: String = ""
    public var postalCode: String = ""
    public var country: String = ""

    public init() {}

    public init(
        address1: String = "", address2: String = "", city: String = "", county: String = "", state: String = "",
        postalCode: String = "", country: String = ""
    ) {
        self.address1 = address1
        self.address2 = address2
        self.city = city
        self.county = county
        self.state = state
        self.postalCode = postalCode
        self.country = country
    }
}

extension Address: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__Address

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__address__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__address__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.address1 = swiftString(message.address1)
        self.address2 = swiftString(message.address2)
        self.city = swiftString(message.city)
        self.county = swiftString(message.county)
        self.state = swiftString(message.state)
        self.postalCode = swiftString(message.postal_code)
        self.country = swiftString(message.country)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.address1 = arena.string(self.address1)
        message.address2 = arena.string(self.address2)
        message.city = arena.string(self.city)
        message.county = arena.string(self.county)
        message.state = arena.string(self.state)
        message.postal_code = arena.string(self.postalCode)
        message.country = arena.string(self.country)
    }
}
