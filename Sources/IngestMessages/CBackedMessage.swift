internal import CProtobufC
internal import IngestProtoC

/// A ``WireMessage`` whose encoding is done by the protobuf-c struct and functions generated for it.
///
/// Each message supplies only its mapping: the generated `_init` and `_unpack`, `fill` (Swift -> C, with pointers
/// into an ``Arena``) and `init(c:)` (C -> Swift, copying every value). Packing, unpacking, freeing and error
/// handling are shared below. Every generated struct starts with `ProtobufCMessage base`, which is how the shared
/// code reaches `protobuf_c_message_get_packed_size`, `_pack` and `_free_unpacked` (what the generated per-type
/// functions call after asserting the descriptor).
protocol CBackedMessage: WireMessage {
    associatedtype CMessage

    /// Calls the generated `..._init` on uninitialized memory (it assigns the whole struct).
    static func cInit(_ message: UnsafeMutablePointer<CMessage>)

    /// Calls the generated `..._unpack(nil, count, bytes)`: nil when the bytes are malformed.
    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>?

    /// Copies every value out of an unpacked C message.
    init(c message: CMessage)

    /// Sets every field of an initialized C message; pointers go into `arena`.
    func fill(_ message: inout CMessage, _ arena: inout Arena)

    /// Runs `body` with the message's bytes field pointed at this value's own storage, so a top-level message does
    /// not copy its payload. The default does nothing; messages with a bytes field override it.
    func withBorrowedBytes<R>(_ message: UnsafeMutablePointer<CMessage>, _ body: () -> R) -> R
}

extension CBackedMessage {
    func withBorrowedBytes<R>(_ message: UnsafeMutablePointer<CMessage>, _ body: () -> R) -> R {
        body()
    }

    public init(serializedBytes: [UInt8]) throws(MessageDecodingError) {
        let decoded = serializedBytes.withUnsafeBufferPointer { buffer in
            Self.cDecoded(buffer.count, buffer.baseAddress)
        }
        guard let decoded else {
            throw MessageDecodingError(messageName: Self.protoName, byteCount: serializedBytes.count)
        }
        self = decoded
    }

    public init(serializedBytes: UnsafeRawBufferPointer) throws(MessageDecodingError) {
        let bytes = serializedBytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        guard let decoded = Self.cDecoded(serializedBytes.count, bytes) else {
            throw MessageDecodingError(messageName: Self.protoName, byteCount: serializedBytes.count)
        }
        self = decoded
    }

    public func serializedBytes() -> [UInt8] {
        self.cSerialized()
    }

    /// Unpacks with protobuf-c, copies the values out and frees the C message; nil when malformed.
    private static func cDecoded(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> Self? {
        guard let unpacked = Self.cUnpack(count, bytes) else {
            return nil
        }
        defer {
            protobuf_c_message_free_unpacked(
                UnsafeMutableRawPointer(unpacked).assumingMemoryBound(to: ProtobufCMessage.self), nil)
        }
        return Self(c: unpacked.pointee)
    }

    /// Builds the C message on the stack (nested parts in an arena) and packs it into a new array.
    func cSerialized() -> [UInt8] {
        withUnsafeTemporaryAllocation(of: CMessage.self, capacity: 1) { storage in
            let message = storage.baseAddress.unsafelyUnwrapped
            Self.cInit(message)
            var arena = Arena()
            return self.withBorrowedBytes(message) {
                self.fill(&message.pointee, &arena)
                let base = UnsafeRawPointer(message).assumingMemoryBound(to: ProtobufCMessage.self)
                let size = protobuf_c_message_get_packed_size(base)
                if size == 0 {
                    return []
                }
                return [UInt8](unsafeUninitializedCapacity: size) { out, count in
                    count = protobuf_c_message_pack(base, out.baseAddress.unsafelyUnwrapped)
                    precondition(count == size, "protobuf-c packed a different size than it measured")
                }
            }
        }
    }
}

// MARK: Field helpers (C field -> Swift value)

/// A string field; protobuf-c leaves an absent one as `protobuf_c_empty_string` (and NULL is possible too).
@inline(__always)
func swiftString(_ string: UnsafePointer<CChar>?) -> String {
    guard let string, string.pointee != 0 else {
        return ""
    }
    return String(cString: string)
}

/// A repeated string field.
func swiftStrings(_ count: Int, _ strings: UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> [String] {
    guard count > 0, let strings else {
        return []
    }
    return UnsafeBufferPointer(start: strings, count: count).map { swiftString($0) }
}

/// A bytes field.
func swiftBytes(_ data: ProtobufCBinaryData) -> [UInt8] {
    guard data.len > 0, let bytes = data.data else {
        return []
    }
    return Array(UnsafeBufferPointer(start: bytes, count: data.len))
}

/// A nested message field: nil when absent.
func swiftMessage<M: CBackedMessage>(_ message: UnsafePointer<M.CMessage>?) -> M? {
    guard let message else {
        return nil
    }
    return M(c: message.pointee)
}

/// A repeated message field.
func swiftMessages<M: CBackedMessage>(
    _ count: Int, _ messages: UnsafePointer<UnsafeMutablePointer<M.CMessage>?>?
) -> [M] {
    guard count > 0, let messages else {
        return []
    }
    return UnsafeBufferPointer(start: messages, count: count).compactMap { swiftMessage($0.map { UnsafePointer($0) }) }
}

/// Runs `body` with binary data pointing at `bytes`' own storage (no copy); only valid inside `body`.
func withBinaryData<R>(_ bytes: [UInt8], _ body: (ProtobufCBinaryData) -> R) -> R {
    bytes.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress, buffer.count > 0 else {
            return body(ProtobufCBinaryData(len: 0, data: nil))
        }
        return body(ProtobufCBinaryData(len: buffer.count, data: UnsafeMutablePointer(mutating: base)))
    }
}
