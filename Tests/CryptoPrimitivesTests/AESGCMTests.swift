import CryptoPrimitives
import Testing

@Suite struct AESGCMTests {
    let key = (0..<32).map { UInt8($0) }
    let associatedData = Array("tenant:42/webhook-secret".utf8)

    /// McGrew & Viega GCM spec test cases 13 and 14 (AES-256, zero key and nonce), opened through the
    /// public API by laying out nonce || ciphertext || tag by hand.
    @Test func openKnownAnswers() throws {
        let zeroKey = [UInt8](repeating: 0, count: 32)
        let zeroNonce = [UInt8](repeating: 0, count: 12)
        let case13 = zeroNonce + hexBytes("530f8afbc74536b9a963b4f1c4cb738b")
        #expect(try Crypto.aes256GCMOpen(key: zeroKey, sealed: case13, associatedData: []) == [])
        let case14 =
            zeroNonce + hexBytes("cea7403d4d606b6e074ec5d3baf39d18") + hexBytes("d0d1c8a799996bf0265b98b5d48ab919")
        #expect(
            try Crypto.aes256GCMOpen(key: zeroKey, sealed: case14, associatedData: [])
                == [UInt8](repeating: 0, count: 16))
    }

    @Test(arguments: [0, 1, 15, 16, 17, 1000])
    func roundTrip(length: Int) throws {
        let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0) }
        let sealed = Crypto.aes256GCMSeal(key: self.key, plaintext: plaintext, associatedData: self.associatedData)
        #expect(sealed.count == 12 + length + 16)
        let opened = try Crypto.aes256GCMOpen(key: self.key, sealed: sealed, associatedData: self.associatedData)
        #expect(opened == plaintext)
    }

    @Test func nonceIsFreshEachTime() {
        let first = Crypto.aes256GCMSeal(key: self.key, plaintext: [1, 2, 3], associatedData: [])
        let second = Crypto.aes256GCMSeal(key: self.key, plaintext: [1, 2, 3], associatedData: [])
        #expect(first.prefix(12) != second.prefix(12))
        #expect(first != second)
    }

    /// Flipping any single byte (nonce, ciphertext or tag) must fail authentication.
    @Test func everyFlippedByteIsDetected() {
        let sealed = Crypto.aes256GCMSeal(
            key: self.key, plaintext: Array("secret-key".utf8), associatedData: self.associatedData)
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: CryptoError(.authenticationFailed)) {
                try Crypto.aes256GCMOpen(key: self.key, sealed: tampered, associatedData: self.associatedData)
            }
        }
    }

    @Test func wrongAssociatedDataOrKeyIsDetected() {
        let sealed = Crypto.aes256GCMSeal(key: self.key, plaintext: [9, 9, 9], associatedData: self.associatedData)
        #expect(throws: CryptoError(.authenticationFailed)) {
            try Crypto.aes256GCMOpen(key: self.key, sealed: sealed, associatedData: Array("tenant:43".utf8))
        }
        #expect(throws: CryptoError(.authenticationFailed)) {
            try Crypto.aes256GCMOpen(key: self.key, sealed: sealed, associatedData: [])
        }
        var otherKey = self.key
        otherKey[31] ^= 0x80
        #expect(throws: CryptoError(.authenticationFailed)) {
            try Crypto.aes256GCMOpen(key: otherKey, sealed: sealed, associatedData: self.associatedData)
        }
    }

    @Test func truncationAndBadKeysAreRejected() {
        let sealed = Crypto.aes256GCMSeal(key: self.key, plaintext: [1, 2, 3, 4], associatedData: [])
        #expect(throws: CryptoError(.authenticationFailed)) {
            try Crypto.aes256GCMOpen(key: self.key, sealed: Array(sealed.dropLast()), associatedData: [])
        }
        #expect(throws: CryptoError(.badCiphertextLength)) {
            try Crypto.aes256GCMOpen(key: self.key, sealed: Array(sealed.prefix(27)), associatedData: [])
        }
        #expect(throws: CryptoError(.badKeyLength)) {
            try Crypto.aes256GCMOpen(key: Array(self.key.prefix(16)), sealed: sealed, associatedData: [])
        }
    }
}
