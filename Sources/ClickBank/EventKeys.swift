import CryptoPrimitives

/// The 128-bit key the store's unique index on events holds instead of the natural key (migration 4),
/// written as a UUID: the transaction time (Unix ms, 8 bytes big endian: keys of time-ordered data land
/// next to each other in the index) then the first 8 bytes of SHA-256 over a tag and the
/// length-prefixed fields.
///
/// The store's SQL function `cbingest_event_key` computes the same value (a LibPQ test checks that
/// they agree); the CSV import computes it here, off the database's CPU.
public enum EventKeys {
    /// The key of the event (every field of the natural key but the item number), as UUID text.
    public static func event(
        account: String, role: String, receipt: String, transactionType: String, instantMilliseconds: Int64
    ) -> String {
        Self.uuidText(
            Self.eventBytes(
                account: account, role: role, receipt: receipt, transactionType: transactionType,
                instantMilliseconds: instantMilliseconds
            )
        )
    }

    /// The same key as its 16 bytes (what binary COPY sends for a uuid).
    public static func eventBytes(
        account: String, role: String, receipt: String, transactionType: String, instantMilliseconds: Int64
    ) -> [UInt8] {
        var input = Array("cbingest-event-v1".utf8)
        input.reserveCapacity(96)
        for field in [account, role, receipt, transactionType, String(instantMilliseconds)] {
            Self.append(field, to: &input)
        }
        var key = [UInt8]()
        key.reserveCapacity(16)
        let time = UInt64(bitPattern: instantMilliseconds)
        for shift in stride(from: 56, through: 0, by: -8) {
            key.append(UInt8(truncatingIfNeeded: time >> UInt64(shift)))
        }
        key.append(contentsOf: Crypto.sha256(input).prefix(8))
        return key
    }

    /// `<byte length>:<bytes>`: no field can run into the next.
    private static func append(_ field: String, to input: inout [UInt8]) {
        input.append(contentsOf: String(field.utf8.count).utf8)
        input.append(UInt8(ascii: ":"))
        input.append(contentsOf: field.utf8)
    }

    private static func uuidText(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 {
                text.append(UInt8(ascii: "-"))
            }
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension EventIdentity {
    /// `EventKeys.event` of this line's event.
    public var eventKey: String {
        EventKeys.event(
            account: self.account, role: self.role, receipt: self.receipt, transactionType: self.transactionType,
            instantMilliseconds: self.instantMilliseconds
        )
    }
}
