/// A protobuf message of the cbingest RPC protocol, as plain Swift values.
///
/// Encoding and decoding go through protobuf-c (the code `make proto` generates from `proto/`), so the bytes are
/// exactly what a stock protobuf-c peer writes and reads. proto3 rules: a field equal to its default is not
/// written, and an empty byte string decodes to the default message.
///
/// Caveats of protobuf-c that carry over:
/// - Strings travel as C strings: a string containing U+0000 is cut at that character when encoded.
/// - Unknown fields are accepted when decoding but are not kept, so re-encoding a decoded message drops them.
/// - Unknown enum values are kept (the `unrecognized` case) and re-encoded unchanged.
public protocol WireMessage: Sendable, Hashable {
    /// The fully qualified protobuf name, for example `clickbank.ingest.v1.StoreSecretRequest`.
    static var protoName: String { get }

    /// The default message: every field at its proto3 default, nested messages absent.
    init()

    /// Decodes a message.
    ///
    /// - Throws: ``MessageDecodingError`` when the bytes are not a valid encoding of this message.
    init(serializedBytes: [UInt8]) throws(MessageDecodingError)

    /// Decodes a message from bytes that are only borrowed for the duration of the call (for example the readable
    /// bytes of a NIO `ByteBuffer`), without copying them into an array first.
    ///
    /// - Throws: ``MessageDecodingError`` when the bytes are not a valid encoding of this message.
    init(serializedBytes: UnsafeRawBufferPointer) throws(MessageDecodingError)

    /// The protobuf encoding of this message.
    func serializedBytes() -> [UInt8]
}
