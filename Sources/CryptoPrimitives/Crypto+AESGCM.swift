internal import COpenSSL

extension Crypto {
    /// Nonce length for AES-GCM: 96 bits, the size GCM is designed for (and OpenSSL's default).
    public static let gcmNonceLength = 12
    /// Tag length for AES-GCM: the full 128 bits.
    public static let gcmTagLength = 16

    /// AES-256-GCM with a fresh random nonce. Returns `nonce(12) || ciphertext || tag(16)`.
    ///
    /// For secrets at rest. Random 96-bit nonces are safe for well under 2^32 messages per key, far
    /// beyond what this service stores. A wrong key length is a programmer error (precondition).
    public static func aes256GCMSeal(key: [UInt8], plaintext: [UInt8], associatedData: [UInt8]) -> [UInt8] {
        precondition(key.count == 32, "AES-256 needs a 32-byte key")
        precondition(plaintext.count < Int(Int32.max) - 32 && associatedData.count < Int(Int32.max), "input too large")
        let nonce = self.randomBytes(self.gcmNonceLength)
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var tag = [UInt8](repeating: 0, count: self.gcmTagLength)
        let produced: Int? = CipherContext.with { context in
            key.withUnsafeBufferPointer { keyBuffer in
                nonce.withUnsafeBufferPointer { nonceBuffer in
                    guard
                        EVP_EncryptInit_ex(
                            context, EVP_aes_256_gcm(), nil, keyBuffer.baseAddress, nonceBuffer.baseAddress)
                            == 1,
                        self.gcmAuthenticate(context, associatedData: associatedData, encrypt: true),
                        let length = self.gcmUpdate(context, encrypt: true, input: plaintext, output: &ciphertext)
                    else { return nil }
                    var finalLength: Int32 = 0
                    let finalStatus = ciphertext.withUnsafeMutableBufferPointer { buffer in
                        EVP_EncryptFinal_ex(context, buffer.baseAddress! + length, &finalLength)
                    }
                    guard finalStatus == 1 else { return nil }
                    let tagStatus = tag.withUnsafeMutableBufferPointer { buffer in
                        EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, Int32(buffer.count), buffer.baseAddress)
                    }
                    return tagStatus == 1 ? length + Int(finalLength) : nil
                }
            }
        }
        guard let produced else {
            fatalError("AES-256-GCM seal failed: \(OpenSSLErrorQueue.drain())")
        }
        return nonce + ciphertext.prefix(produced) + tag
    }

    /// Opens what `aes256GCMSeal` produced. Any change to the sealed bytes or the associated data, or a
    /// wrong key, is `.authenticationFailed`; no plaintext is returned unless the tag verifies.
    public static func aes256GCMOpen(key: [UInt8], sealed: [UInt8], associatedData: [UInt8]) throws(CryptoError)
        -> [UInt8]
    {
        guard key.count == 32 else { throw CryptoError(.badKeyLength) }
        guard sealed.count >= self.gcmNonceLength + self.gcmTagLength, sealed.count < Int(Int32.max) - 32 else {
            throw CryptoError(.badCiphertextLength)
        }
        guard associatedData.count < Int(Int32.max) else { throw CryptoError(.badCiphertextLength) }
        let nonce = Array(sealed.prefix(self.gcmNonceLength))
        let tag = Array(sealed.suffix(self.gcmTagLength))
        let ciphertext = Array(sealed[self.gcmNonceLength..<(sealed.count - self.gcmTagLength)])
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)

        enum Outcome {
            case opened(Int)
            case rejected, failed
        }
        let outcome: Outcome = CipherContext.with { context in
            key.withUnsafeBufferPointer { keyBuffer in
                nonce.withUnsafeBufferPointer { nonceBuffer in
                    guard
                        EVP_DecryptInit_ex(
                            context, EVP_aes_256_gcm(), nil, keyBuffer.baseAddress, nonceBuffer.baseAddress)
                            == 1,
                        self.gcmAuthenticate(context, associatedData: associatedData, encrypt: false),
                        let length = self.gcmUpdate(context, encrypt: false, input: ciphertext, output: &plaintext)
                    else { return .failed }
                    // OpenSSL's ctrl takes a non-const pointer for SET_TAG; it only reads from it.
                    var expectedTag = tag
                    let tagStatus = expectedTag.withUnsafeMutableBufferPointer { buffer in
                        EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(buffer.count), buffer.baseAddress)
                    }
                    guard tagStatus == 1 else { return .failed }
                    var finalLength: Int32 = 0
                    let finalStatus = plaintext.withUnsafeMutableBufferPointer { buffer in
                        EVP_DecryptFinal_ex(context, buffer.baseAddress! + length, &finalLength)
                    }
                    return finalStatus == 1 ? .opened(length + Int(finalLength)) : .rejected
                }
            }
        }
        switch outcome {
        case .opened(let length):
            return Array(plaintext.prefix(length))
        case .rejected:
            // A tag mismatch leaves an entry in OpenSSL's queue; it says nothing more than this.
            _ = OpenSSLErrorQueue.drain()
            throw CryptoError(.authenticationFailed)
        case .failed:
            throw OpenSSLErrorQueue.error("AES-256-GCM open")
        }
    }

    /// Feeds associated data (an update with a NULL output). Empty data needs no call.
    private static func gcmAuthenticate(_ context: OpaquePointer, associatedData: [UInt8], encrypt: Bool) -> Bool {
        guard !associatedData.isEmpty else { return true }
        var ignored: Int32 = 0
        return associatedData.withUnsafeBufferPointer { buffer in
            let count = Int32(buffer.count)
            return encrypt
                ? EVP_EncryptUpdate(context, nil, &ignored, buffer.baseAddress, count) == 1
                : EVP_DecryptUpdate(context, nil, &ignored, buffer.baseAddress, count) == 1
        }
    }

    /// Encrypts or decrypts `input` into the start of `output`; returns the bytes written, nil on error.
    private static func gcmUpdate(_ context: OpaquePointer, encrypt: Bool, input: [UInt8], output: inout [UInt8])
        -> Int?
    {
        guard !input.isEmpty else { return 0 }
        var written: Int32 = 0
        let status = input.withUnsafeBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                let count = Int32(inputBuffer.count)
                return encrypt
                    ? EVP_EncryptUpdate(context, outputBuffer.baseAddress, &written, inputBuffer.baseAddress, count)
                    : EVP_DecryptUpdate(context, outputBuffer.baseAddress, &written, inputBuffer.baseAddress, count)
            }
        }
        return status == 1 ? Int(written) : nil
    }
}
