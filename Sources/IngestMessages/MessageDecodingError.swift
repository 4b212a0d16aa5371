/// Bytes that are not a valid protobuf encoding of the expected message.
///
/// The description names the message type and the input size only; it never contains the bytes, which may hold
/// secrets or customer data.
public struct MessageDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The fully qualified protobuf name of the message that was expected.
    public var messageName: String
    /// How many bytes were offered.
    public var byteCount: Int

    public init(messageName: String, byteCount: Int) {
        self.messageName = messageName
        self.byteCount = byteCount
    }

    public var description: String {
        "malformed \(self.messageName): \(self.byteCount) bytes are not a valid protobuf encoding of it"
    }
}
