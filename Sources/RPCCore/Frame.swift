public import NIOCore

/// Constants of the wire protocol (docs/PROTOCOL.md).
public enum WireProtocol {
    /// Bytes before a request body: method_index, message_length, request_id (all u32 LE).
    public static let requestHeaderSize = 12
    /// Bytes before a reply body: status, method_index, message_length, request_id.
    public static let replyHeaderSize = 16
    /// The reserved method index of the opt-in Hello frame; never a service method.
    public static let helloMethodIndex: UInt32 = 0xFFFF_0000
    /// Extended protocol version spoken by this implementation.
    public static let extendedProtocolVersion: UInt32 = 1

    /// RequestEnvelope.flags
    public static let flagEndStream: UInt32 = 1
    public static let flagCancel: UInt32 = 2
    /// ReplyEnvelope.flags (END_STREAM shares bit 1)
    public static let flagCredit: UInt32 = 2
}

/// One request as it travels from client to server. `requestID` is the 4 opaque bytes read as a
/// little-endian integer; they are echoed back written the same way, so their value never matters.
public struct RequestFrame: Sendable, Equatable {
    public var methodIndex: UInt32
    public var requestID: UInt32
    public var body: ByteBuffer

    public init(methodIndex: UInt32, requestID: UInt32, body: ByteBuffer) {
        self.methodIndex = methodIndex
        self.requestID = requestID
        self.body = body
    }
}

/// One reply from server to client.
public struct ReplyFrame: Sendable, Equatable {
    /// Stock mode: 0 SUCCESS, 1 SERVICE_FAILED, 2 TOO_MANY_PENDING. Extended mode: an RPCStatusCode.
    public var status: UInt32
    public var methodIndex: UInt32
    public var requestID: UInt32
    public var body: ByteBuffer

    public init(status: UInt32, methodIndex: UInt32, requestID: UInt32, body: ByteBuffer) {
        self.status = status
        self.methodIndex = methodIndex
        self.requestID = requestID
        self.body = body
    }
}

extension ByteBuffer {
    @inlinable
    mutating func writeRequestFrame(_ frame: RequestFrame) {
        self.writeMultipleIntegers(
            frame.methodIndex,
            UInt32(truncatingIfNeeded: frame.body.readableBytes),
            frame.requestID,
            endianness: .little
        )
        var body = frame.body
        self.writeBuffer(&body)
    }

    @inlinable
    mutating func writeReplyFrame(_ frame: ReplyFrame) {
        self.writeMultipleIntegers(
            frame.status,
            frame.methodIndex,
            UInt32(truncatingIfNeeded: frame.body.readableBytes),
            frame.requestID,
            endianness: .little
        )
        var body = frame.body
        self.writeBuffer(&body)
    }
}
