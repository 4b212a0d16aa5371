/// Why a cryptographic operation failed.
///
/// The description names the reason and, for OpenSSL failures, OpenSSL's own error text. It never
/// contains key material, plaintext or ciphertext, so it is safe to log.
public struct CryptoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The failure classes callers branch on.
    public enum Reason: Sendable, Hashable {
        /// The key is not the length the algorithm needs (32 bytes for AES-256).
        case badKeyLength
        /// The IV is not 16 bytes (AES-CBC).
        case badIVLength
        /// The ciphertext is empty, not a whole number of blocks, or too short to hold a nonce and tag.
        case badCiphertextLength
        /// The decrypted data does not end in valid PKCS#7 padding (typically: wrong key or tampering).
        case badPadding
        /// AES-GCM's tag did not verify: wrong key, wrong associated data, or tampering.
        case authenticationFailed
        /// OpenSSL itself reported an error; the description carries its error text.
        case openSSL
    }

    /// What went wrong.
    public var reason: Reason

    /// Extra context: OpenSSL's error string for `.openSSL`, otherwise empty.
    public var context: String

    public init(_ reason: Reason, context: String = "") {
        self.reason = reason
        self.context = context
    }

    public var description: String {
        let base: String
        switch self.reason {
        case .badKeyLength: base = "bad key length"
        case .badIVLength: base = "bad IV length"
        case .badCiphertextLength: base = "bad ciphertext length"
        case .badPadding: base = "bad PKCS#7 padding"
        case .authenticationFailed: base = "authentication failed"
        case .openSSL: base = "OpenSSL error"
        }
        return self.context.isEmpty ? base : "\(base): \(self.context)"
    }
}
