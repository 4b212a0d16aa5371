internal import IngestProtoC

public struct Contact: WireMessage {
    public static let protoName = "clickbank.ingest.v1.Contact"

    public var firstName: String = ""
    public var lastName: String = ""
    public var fullName: String = ""
    public var phoneNumber: String = ""
    public var email: String = ""
    public var address: Address?

    public init() {}

    public init(
        firstName: String = "", lastName: String = "", fullName: String = "", phoneNumber: String = "",
        email: String = "", address: Address? = nil
    ) {
        self.firstName = firstName
        self.lastName = lastName
        self.fullName = fullName
        self.phoneNumber = phoneNumber
        self.email = email
        self.address = address
    }
}

extension Contact: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__Contact

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__contact__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__contact__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.firstName = swiftString(message.first_name)
        self.lastName = swiftString(message.last_name)
        self.fullName = swiftString(message.full_name)
        self.phoneNumber = swiftString(message.phone_number)
        self.email = swiftString(message.email)
        self.address = swiftMessage(message.address)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.first_name = arena.string(self.firstName)
        message.last_name = arena.string(self.lastName)
        message.full_name = arena.string(self.fullName)
        message.phone_number = arena.string(self.phoneNumber)
        message.email = arena.string(self.email)
        message.address = arena.message(self.address)
    }
}
