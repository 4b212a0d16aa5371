internal import COpenSSL

/// A small, safe Swift face over OpenSSL 3's EVP API.
///
/// This is the only module that imports OpenSSL. Byte arrays go in and come out; every C pointer lives
/// only inside a `with...` scope in this module, and no C type appears in the public API.
public enum Crypto {
    /// `count` cryptographically secure random bytes from `RAND_bytes`.
    ///
    /// Crashes if the CSPRNG fails: continuing with predictable "random" nonces or tokens would be worse.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "randomBytes count out of range")
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBufferPointer { buffer in
            RAND_bytes(buffer.baseAddress, Int32(buffer.count))
        }
        guard status == 1 else {
            fatalError("RAND_bytes failed: \(OpenSSLErrorQueue.drain())")
        }
        return bytes
    }

    /// SHA-1 (20 bytes). Only for ClickBank's key derivation and legacy `cverify`, never for new designs.
    public static func sha1(_ bytes: [UInt8]) -> [UInt8] {
        self.digest(bytes, algorithm: EVP_sha1(), length: 20)
    }

    /// SHA-256 (32 bytes).
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        self.digest(bytes, algorithm: EVP_sha256(), length: 32)
    }

    /// HMAC-SHA-256 (32 bytes) through `EVP_Q_mac`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        // OpenSSL's HMAC refuses a zero-length key buffer; HMAC defines an empty key as a block of
        // zeros, and padding with zeros is exactly what HMAC does to short keys, so this is equivalent.
        let effectiveKey = key.isEmpty ? [UInt8](repeating: 0, count: 1) : key
        var output = [UInt8](repeating: 0, count: 32)
        let produced: Int = effectiveKey.withUnsafeBufferPointer { keyBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                output.withUnsafeMutableBufferPointer { outputBuffer in
                    var outputLength = 0
                    let result = EVP_Q_mac(
                        nil, "HMAC", nil, "SHA256", nil,
                        keyBuffer.baseAddress, keyBuffer.count,
                        messageBuffer.baseAddress, messageBuffer.count,
                        outputBuffer.baseAddress, outputBuffer.count, &outputLength
                    )
                    return result == nil ? -1 : outputLength
                }
            }
        }
        guard produced == 32 else {
            // Only a broken OpenSSL installation (no default provider) gets here.
            fatalError("EVP_Q_mac(HMAC-SHA256) failed: \(OpenSSLErrorQueue.drain())")
        }
        return output
    }

    /// Compares two byte strings in time that depends only on their length, not their contents.
    ///
    /// Different lengths compare unequal immediately: lengths of MACs and digests are public.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBufferPointer { left in
            b.withUnsafeBufferPointer { right in
                CRYPTO_memcmp(left.baseAddress, right.baseAddress, left.count) == 0
            }
        }
    }

    /// Lower-case hexadecimal, two digits per byte.
    public static func lowercaseHex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// One-shot `EVP_Digest`. Digests cannot fail with valid inputs short of a broken installation.
    private static func digest(_ bytes: [UInt8], algorithm: OpaquePointer?, length: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var outputLength: UInt32 = 0
        let status = bytes.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                EVP_Digest(input.baseAddress, input.count, outputBuffer.baseAddress, &outputLength, algorithm, nil)
            }
        }
        guard status == 1, Int(outputLength) == length else {
            fatalError("EVP_Digest failed: \(OpenSSLErrorQueue.drain())")
        }
        return Array(output.prefix(length))
    }
}
