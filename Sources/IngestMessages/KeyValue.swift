internal import IngestProtoC

public struct KeyValue: WireMessage {
    public static let protoName = "clickbank.ingest.v1.KeyValue"

    public var key: String = ""
    public var value: String = ""

    public init() {}

    public init(key: String = "", value: String = "") {
        self.key = key
        self.value = value
    }
}

extension KeyValue: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__KeyValue

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__key_value__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__key_value__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.key = swiftString(message.key)
        self.value = swiftString(message.value)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.key = arena.string(self.key)
        message.value = arena.string(self.value)
    }
}
