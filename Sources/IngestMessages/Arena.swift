internal import CProtobufC
internal import IngestProtoC

/// Memory for the C side of one encode: strings, binary data, nested structs and pointer arrays that a protobuf-c
/// message points at while it is packed.
///
/// A bump allocator over a chain of malloc'd chunks (the first 16 bytes of a chunk link to the previous one); a
/// message with no strings or nested messages costs no allocation at all. Everything is freed together when the
/// arena goes out of scope, so no pointer handed out may be used after that (``CBackedMessage/cSerialized()``
/// packs inside the arena's lifetime). Non-copyable, so it cannot be shared or escape by accident.
struct Arena: ~Copyable {
    private static let headerSize = 16
    private static let firstChunkSize = 2048

    /// The current chunk; its first word is the previous chunk or nil.
    private var chunk: UnsafeMutableRawPointer?
    private var used = 0
    private var capacity = 0

    init() {}

    deinit {
        var next = self.chunk
        while let current = next {
            next = current.load(as: UnsafeMutableRawPointer?.self)
            current.deallocate()
        }
    }

    /// Uninitialized memory for `count` values of `type`, bound to it.
    mutating func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let raw = self.allocate(byteCount: MemoryLayout<T>.stride * count, alignment: MemoryLayout<T>.alignment)
        return raw.bindMemory(to: T.self, capacity: count)
    }

    private mutating func allocate(byteCount: Int, alignment: Int) -> UnsafeMutableRawPointer {
        var start = (self.used + alignment - 1) & ~(alignment - 1)
        if self.chunk == nil || start + byteCount > self.capacity {
            // Chunks double up to 64 KiB; anything bigger gets a chunk of its own size.
            let needed = Self.headerSize + byteCount + alignment
            let size = max(min(self.capacity * 2, 64 << 10), Self.firstChunkSize, needed)
            let fresh = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: Self.headerSize)
            fresh.storeBytes(of: self.chunk, as: UnsafeMutableRawPointer?.self)
            self.chunk = fresh
            self.capacity = size
            start = (Self.headerSize + alignment - 1) & ~(alignment - 1)
        }
        self.used = start + byteCount
        return self.chunk.unsafelyUnwrapped + start
    }

    // MARK: Field helpers (Swift value -> C field)

    /// A NUL-terminated copy of `string` (cut at an embedded U+0000, as protobuf-c measures strings with strlen).
    mutating func string(_ string: String) -> UnsafeMutablePointer<CChar> {
        if string.isEmpty {
            return emptyCString
        }
        var string = string
        return string.withUTF8 { utf8 in
            let copy = self.allocate(CChar.self, count: utf8.count + 1)
            UnsafeMutableRawPointer(copy).copyMemory(from: utf8.baseAddress.unsafelyUnwrapped, byteCount: utf8.count)
            copy[utf8.count] = 0
            return copy
        }
    }

    /// A repeated string field: its count and array of C strings.
    mutating func strings(_ strings: [String]) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) {
        if strings.isEmpty {
            return (0, nil)
        }
        let array = self.allocate(UnsafeMutablePointer<CChar>?.self, count: strings.count)
        for (index, string) in strings.enumerated() {
            (array + index).initialize(to: self.string(string))
        }
        return (strings.count, array)
    }

    /// Points a bytes field at a copy of `bytes`, unless the field already points at borrowed storage (set by
    /// ``CBackedMessage/withBorrowedBytes(_:_:)`` for a top-level message, which saves copying big payloads).
    mutating func bytes(_ bytes: [UInt8], into field: inout ProtobufCBinaryData) {
        if bytes.isEmpty || field.data != nil {
            return
        }
        let copy = self.allocate(UInt8.self, count: bytes.count)
        bytes.withUnsafeBufferPointer { source in
            copy.initialize(from: source.baseAddress.unsafelyUnwrapped, count: source.count)
        }
        field = ProtobufCBinaryData(len: bytes.count, data: copy)
    }

    /// A nested message field: nil when absent, else an initialized and filled C struct.
    mutating func message<M: CBackedMessage>(_ message: M?) -> UnsafeMutablePointer<M.CMessage>? {
        guard let message else {
            return nil
        }
        let struct_ = self.allocate(M.CMessage.self, count: 1)
        M.cInit(struct_)
        message.fill(&struct_.pointee, &self)
        return struct_
    }

    /// A repeated message field: its count and array of pointers to filled C structs.
    mutating func messages<M: CBackedMessage>(
        _ messages: [M]
    ) -> (Int, UnsafeMutablePointer<UnsafeMutablePointer<M.CMessage>?>?) {
        if messages.isEmpty {
            return (0, nil)
        }
        let array = self.allocate(UnsafeMutablePointer<M.CMessage>?.self, count: messages.count)
        for (index, message) in messages.enumerated() {
            (array + index).initialize(to: self.message(message))
        }
        return (messages.count, array)
    }
}

/// The C string every empty string field points at. protobuf-c only reads it (and skips it when packing proto3).
nonisolated(unsafe) private let emptyCString: UnsafeMutablePointer<CChar> = {
    let empty = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    empty.initialize(to: 0)
    return empty
}()

/// protobuf-c's `protobuf_c_boolean` (a C int) for a Swift Bool.
@inline(__always)
func cBool(_ value: Bool) -> protobuf_c_boolean {
    value ? 1 : 0
}
