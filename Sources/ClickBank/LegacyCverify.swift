import CryptoPrimitives

/// The `cverify` signature of legacy (2.x / 4.0) form-encoded notifications.
///
/// Every posted field except `cverify`, sorted bytewise by name; their URL-decoded values joined with
/// `|` (empty values included); then `|` and the secret key; SHA-1; the first 8 hex digits, upper-case.
public enum LegacyCverify {
    /// The expected `cverify` for `fields` (name, URL-decoded value). A `cverify` field is ignored.
    public static func compute(fields: [(name: String, value: String)], secretKey: String) -> String {
        let digest = self.digest(fields.map { ($0.name, Array($0.value.utf8)) }, secretKey: secretKey)
        return String(decoding: digest, as: UTF8.self)
    }

    /// Whether `provided` matches, compared in constant time (case-insensitively: it is hex).
    static func isValid(fields: [FormField], provided: String, secretKey: String) -> Bool {
        let expected = self.digest(fields.map { ($0.name, $0.valueBytes) }, secretKey: secretKey)
        let normalized = provided.utf8.map { byte in
            byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f") ? byte - 0x20 : byte
        }
        return Crypto.constantTimeEquals(expected, normalized)
    }

    /// The 8 upper-case hex digits as ASCII bytes.
    private static func digest(_ fields: [(name: String, value: [UInt8])], secretKey: String) -> [UInt8] {
        let signed =
            fields
            .filter { $0.name != "cverify" }
            .sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
        var message: [UInt8] = []
        for field in signed {
            message.append(contentsOf: field.value)
            message.append(UInt8(ascii: "|"))
        }
        message.append(contentsOf: secretKey.utf8)
        let hex = Crypto.lowercaseHex(Array(Crypto.sha1(message).prefix(4)))
        return hex.utf8.map { byte in
            byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f") ? byte - 0x20 : byte
        }
    }
}
