internal import COpenSSL

extension Crypto {
    /// AES-256-CBC decryption followed by strict PKCS#7 unpadding.
    ///
    /// OpenSSL's own padding check is disabled so that a wrong pad is `.badPadding`, distinct from
    /// length and OpenSSL errors. CBC has no integrity: a caller must validate what it decrypts.
    public static func aes256CBCDecrypt(key: [UInt8], iv: [UInt8], ciphertext: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard key.count == 32 else { throw CryptoError(.badKeyLength) }
        guard iv.count == 16 else { throw CryptoError(.badIVLength) }
        guard !ciphertext.isEmpty, ciphertext.count % PKCS7.blockSize == 0, ciphertext.count < Int(Int32.max) - 32
        else {
            throw CryptoError(.badCiphertextLength)
        }
        guard let padded = self.cbcWithoutPadding(encrypt: false, key: key, iv: iv, input: ciphertext) else {
            throw OpenSSLErrorQueue.error("AES-256-CBC decrypt")
        }
        return try PKCS7.unpad(padded)
    }

    /// AES-256-CBC encryption with PKCS#7 padding (an empty plaintext gives one block).
    ///
    /// Used by tests and benchmarks to build IPN bodies the way ClickBank does. Key and IV lengths are
    /// programmer errors here, so they are preconditions rather than thrown errors.
    public static func aes256CBCEncrypt(key: [UInt8], iv: [UInt8], plaintext: [UInt8]) -> [UInt8] {
        precondition(key.count == 32, "AES-256 needs a 32-byte key")
        precondition(iv.count == 16, "AES-CBC needs a 16-byte IV")
        precondition(plaintext.count < Int(Int32.max) - 32, "plaintext too large")
        guard let ciphertext = self.cbcWithoutPadding(encrypt: true, key: key, iv: iv, input: PKCS7.pad(plaintext))
        else {
            fatalError("AES-256-CBC encrypt failed: \(OpenSSLErrorQueue.drain())")
        }
        return ciphertext
    }

    /// Runs AES-256-CBC over whole blocks with OpenSSL's padding off; nil if OpenSSL fails.
    private static func cbcWithoutPadding(encrypt: Bool, key: [UInt8], iv: [UInt8], input: [UInt8]) -> [UInt8]? {
        // Room for one extra block, which OpenSSL may want even with padding off.
        var output = [UInt8](repeating: 0, count: input.count + PKCS7.blockSize)
        let produced: Int? = CipherContext.with { context in
            key.withUnsafeBufferPointer { keyBuffer in
                iv.withUnsafeBufferPointer { ivBuffer in
                    input.withUnsafeBufferPointer { inputBuffer in
                        output.withUnsafeMutableBufferPointer { outputBuffer -> Int? in
                            guard
                                EVP_CipherInit_ex(
                                    context, EVP_aes_256_cbc(), nil,
                                    keyBuffer.baseAddress, ivBuffer.baseAddress, encrypt ? 1 : 0
                                ) == 1,
                                EVP_CIPHER_CTX_set_padding(context, 0) == 1
                            else { return nil }
                            var updateLength: Int32 = 0
                            guard
                                EVP_CipherUpdate(
                                    context, outputBuffer.baseAddress, &updateLength,
                                    inputBuffer.baseAddress, Int32(inputBuffer.count)
                                ) == 1
                            else { return nil }
                            var finalLength: Int32 = 0
                            let tail = outputBuffer.baseAddress! + Int(updateLength)
                            guard EVP_CipherFinal_ex(context, tail, &finalLength) == 1 else { return nil }
                            return Int(updateLength) + Int(finalLength)
                        }
                    }
                }
            }
        }
        guard let produced else { return nil }
        return Array(output.prefix(produced))
    }
}
