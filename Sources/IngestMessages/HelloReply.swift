internal import IngestProtoC

public struct HelloReply: WireMessage {
    public static let protoName = "clickbank.rpc.v1.HelloReply"

    public var protocolVersion: UInt32 = 0
    public var maxMessageBytes: UInt32 = 0
    public var maxInFlightCalls: UInt32 = 0
    public var serverName: String = ""

    public init() {}

    public init(
        protocolVersion: UInt32 = 0, maxMessageBytes: UInt32 = 0, maxInFlightCalls: UInt32 = 0, serverName: String = ""
    ) {
        self.protocolVersion = protocolVersion
        self.maxMessageBytes = maxMessageBytes
        self.maxInFlightCalls = maxInFlightCalls
        self.serverName = serverName
    }
}

extension HelloReply: CBackedMessage {
    typealias CMessage = Clickbank__Rpc__V1__HelloReply

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__rpc__v1__hello_reply__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__rpc__v1__hello_reply__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.protocolVersion = message.protocol_version
        self.maxMessageBytes = message.max_message_bytes
        self.maxInFlightCalls = message.max_in_flight_calls
        self.serverName = swiftString(message.server_name)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.protocol_version = self.protocolVersion
        message.max_message_bytes = self.maxMessageBytes
        message.max_in_flight_calls = self.maxInFlightCalls
        message.server_name = arena.string(self.serverName)
    }
}
