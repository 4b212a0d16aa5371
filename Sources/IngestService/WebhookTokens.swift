import CryptoPrimitives

/// Webhook tokens: 192 random bits, base64url without padding (32 characters), so a token can't
/// be guessed and needs no escaping in a URL. Looked up by SHA-256 so that the database index
/// compares digests, never the token itself: timing tells an attacker nothing about a token.
enum WebhookTokens {
    static let randomBytes = 24

    static func make() -> String {
        Self.base64URL(Crypto.randomBytes(Self.randomBytes))
    }

    static func lookupHash(_ token: String) -> [UInt8] {
        Crypto.sha256(Array(token.utf8))
    }

    /// A token has exactly the shape `make()` produces; anything else is not looked up at all.
    static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 32 && token.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }

    static func sealingContext(tenant: String, account: String) -> String {
        "webhook-token|\(tenant)|\(account)"
    }

    /// The path ClickBank posts to; it names ClickBank so the URL needs no editing by hand.
    static func path(for token: String) -> String {
        "/clickbank/ipn/\(token)"
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func base64URL(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(Self.alphabet[Int(value >> 18 & 63)])
            out.append(Self.alphabet[Int(value >> 12 & 63)])
            out.append(Self.alphabet[Int(value >> 6 & 63)])
            out.append(Self.alphabet[Int(value & 63)])
            index += 3
        }
        precondition(index == bytes.count, "token byte count must be a multiple of 3")
        return String(decoding: out, as: UTF8.self)
    }
}
