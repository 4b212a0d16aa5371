internal import IngestProtoC

/// The first frame of a connection that opts in to the extended protocol. Its `description` never shows the
/// auth token.
public struct Hello: WireMessage {
    public static let protoName = "clickbank.rpc.v1.Hello"

    /// The extended protocol version the client speaks (1).
    public var protocolVersion: UInt32 = 0
    /// The shared secret, when the server requires authentication.
    public var authToken: String = ""
    public var clientName: String = ""

    public init() {}

    public init(protocolVersion: UInt32 = 0, authToken: String = "", clientName: String = "") {
        self.protocolVersion = protocolVersion
        self.authToken = authToken
        self.clientName = clientName
    }
}

extension Hello: CustomStringConvertible, CustomDebugStringConvertible {
    public var description: String {
        "Hello(protocolVersion: \(self.protocolVersion), authToken: \(self.authToken.isEmpty ? "\"\"" : "<redacted>"), "
            + "clientName: \(self.clientName))"
    }

    public var debugDescription: String { self.description }
}

extension Hello: CBackedMessage {
    typealias CMessage = Clickbank__Rpc__V1__Hello

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__rpc__v1__hello__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__rpc__v1__hello__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.protocolVersion = message.protocol_version
        self.authToken = swiftString(message.auth_token)
        self.clientName = swiftString(message.client_name)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.protocol_version = self.protocolVersion
        message.auth_token = arena.string(self.authToken)
        message.client_name = arena.string(self.clientName)
    }
}
