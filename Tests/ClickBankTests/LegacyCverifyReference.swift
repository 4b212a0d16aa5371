import CryptoPrimitives

/// An independent spelling of the cverify rule for tests: SHA-1 of the message, first 4 bytes in
/// upper-case hex.
enum LegacyCverifyReference {
    static func cverify(_ message: [UInt8]) -> String {
        Crypto.lowercaseHex(Array(Crypto.sha1(message).prefix(4))).uppercased()
    }
}
