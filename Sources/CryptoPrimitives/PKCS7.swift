/// PKCS#7 padding for 16-byte blocks, done here rather than by OpenSSL so that bad padding is
/// reported as its own error (OpenSSL only says "bad decrypt").
enum PKCS7 {
    static let blockSize = 16

    /// Appends 1...16 bytes, each equal to the pad length.
    static func pad(_ bytes: [UInt8]) -> [UInt8] {
        let padLength = self.blockSize - bytes.count % self.blockSize
        return bytes + [UInt8](repeating: UInt8(padLength), count: padLength)
    }

    /// Removes the padding after checking every pad byte.
    ///
    /// The check reads all candidate bytes without an early exit, so its timing does not tell which byte
    /// was wrong. (Callers must still answer every failure alike; see the IPN verifier.)
    static func unpad(_ bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let last = bytes.last, bytes.count % self.blockSize == 0 else {
            throw CryptoError(.badCiphertextLength)
        }
        let padLength = Int(last)
        guard padLength >= 1, padLength <= self.blockSize, padLength <= bytes.count else {
            throw CryptoError(.badPadding)
        }
        var difference: UInt8 = 0
        for byte in bytes[(bytes.count - padLength)...] {
            difference |= byte ^ last
        }
        guard difference == 0 else { throw CryptoError(.badPadding) }
        return Array(bytes[..<(bytes.count - padLength)])
    }
}
