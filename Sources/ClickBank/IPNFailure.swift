/// Why an Instant Notification was refused.
///
/// Precise for the operator; the HTTP layer must still answer every case the same way to the sender,
/// so that the distinction between, say, bad padding and bad JSON never becomes a padding oracle.
/// No case ever carries the secret key or customer data (names, e-mail): schema details name only
/// JSON paths and expected types.
public enum IPNFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// `notification` or `iv` is not valid base64.
    case badBase64
    /// The IV does not decode to 16 bytes.
    case badIVLength
    /// The ciphertext is empty or not a whole number of 16-byte blocks.
    case badCiphertextLength
    /// PKCS#7 padding is wrong after decryption: almost always the wrong secret key, else tampering.
    case badPadding
    /// The decrypted bytes are not UTF-8: wrong key or tampering.
    case notUTF8
    /// The decrypted text is not JSON: wrong key or tampering.
    case notJSON
    /// The decrypted JSON (or legacy form) lacks a required field or has one of the wrong type.
    case schema(String)
    /// The legacy `cverify` does not match: wrong secret key or altered fields.
    case badCverify
    /// The HTTP body is neither an encrypted notification nor a legacy form post.
    case malformedBody(String)
    /// The notification is for another vendor account than the endpoint expects.
    case vendorMismatch(expected: String, got: String)

    /// A stable snake_case name for logs and metrics.
    public var code: String {
        switch self {
        case .badBase64: "bad_base64"
        case .badIVLength: "bad_iv_length"
        case .badCiphertextLength: "bad_ciphertext_length"
        case .badPadding: "bad_padding"
        case .notUTF8: "bad_utf8"
        case .notJSON: "bad_json"
        case .schema: "schema"
        case .badCverify: "cverify_invalid"
        case .malformedBody: "malformed_body"
        case .vendorMismatch: "vendor_mismatch"
        }
    }

    /// A sentence for the operator saying what failed and the likely cause.
    public var detail: String {
        switch self {
        case .badBase64:
            "notification or iv is not valid base64"
        case .badIVLength:
            "iv does not decode to 16 bytes"
        case .badCiphertextLength:
            "notification does not decode to a whole number of 16-byte AES blocks"
        case .badPadding:
            "decryption gave invalid PKCS#7 padding: the secret key is most likely wrong (or the body was altered)"
        case .notUTF8:
            "decrypted notification is not UTF-8: wrong secret key or altered body"
        case .notJSON:
            "decrypted notification is not JSON: wrong secret key or altered body"
        case .schema(let detail):
            "notification does not match the expected schema: \(detail)"
        case .badCverify:
            "cverify does not match: the secret key is wrong or the fields were altered"
        case .malformedBody(let detail):
            "body is not a ClickBank notification: \(detail)"
        case .vendorMismatch(let expected, let got):
            "notification is for vendor \"\(got)\" but this endpoint expects \"\(expected)\""
        }
    }

    public var description: String {
        "\(self.code): \(self.detail)"
    }
}
