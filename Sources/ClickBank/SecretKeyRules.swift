/// What a ClickBank secret key may look like (spec section 6).
///
/// ClickBank issues up to 16 upper-case letters and digits today; an older public key had 32 hex
/// characters, so 1-32 of `[A-Z0-9]` is accepted and anything above 16 draws a warning.
public enum SecretKeyRules {
    public static let maximumLength = 32
    public static let usualMaximumLength = 16

    /// Checks `key`; returns warnings (possibly none) for an acceptable key. Messages never echo the key.
    @discardableResult
    public static func validate(_ key: String) throws(SecretKeyError) -> [String] {
        let bytes = Array(key.utf8)
        guard !bytes.isEmpty else { throw SecretKeyError(.empty) }
        let isUpperOrDigit: (UInt8) -> Bool = { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        if !bytes.allSatisfy(isUpperOrDigit) {
            let onlyCaseIsWrong = bytes.allSatisfy {
                isUpperOrDigit($0) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
            }
            throw SecretKeyError(onlyCaseIsWrong ? .lowercaseLetters : .invalidCharacters)
        }
        guard bytes.count <= self.maximumLength else { throw SecretKeyError(.tooLong(length: bytes.count)) }
        if bytes.count > self.usualMaximumLength {
            return [
                "secret key has \(bytes.count) characters; ClickBank issues at most \(self.usualMaximumLength) today: "
                    + "check that it was copied exactly"
            ]
        }
        return []
    }
}
