import CryptoPrimitives
import Testing

@Suite struct AESCBCTests {
    // NIST SP 800-38A, F.2.5 (CBC-AES256.Encrypt), first two blocks.
    let nistKey = hexBytes("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
    let nistIV = hexBytes("000102030405060708090a0b0c0d0e0f")
    let nistPlaintext = hexBytes("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
    let nistCiphertext = hexBytes("f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d")

    let key = [UInt8](repeating: 0x42, count: 32)
    let iv = [UInt8](repeating: 0x24, count: 16)

    /// Ciphertext whose decryption is exactly `blocks` (whole blocks, no padding added).
    ///
    /// CBC's prefix property: encrypting `blocks` with padding appends one block; dropping it leaves the
    /// encryption of `blocks` alone. This lets tests craft any final block, valid padding or not.
    func rawCiphertext(_ blocks: [UInt8]) -> [UInt8] {
        precondition(blocks.count % 16 == 0)
        return Array(Crypto.aes256CBCEncrypt(key: self.key, iv: self.iv, plaintext: blocks).dropLast(16))
    }

    @Test func encryptMatchesNISTAndAddsAFullPadBlock() {
        let ciphertext = Crypto.aes256CBCEncrypt(key: self.nistKey, iv: self.nistIV, plaintext: self.nistPlaintext)
        #expect(ciphertext.count == 48)
        #expect(Array(ciphertext.prefix(32)) == self.nistCiphertext)
        let plaintext = try? Crypto.aes256CBCDecrypt(key: self.nistKey, iv: self.nistIV, ciphertext: ciphertext)
        #expect(plaintext == self.nistPlaintext)
    }

    /// The NIST ciphertext carries no padding; its last plaintext byte is 0x51, which is not a pad length.
    @Test func unpaddedNISTCiphertextIsBadPadding() {
        #expect(throws: CryptoError(.badPadding)) {
            try Crypto.aes256CBCDecrypt(key: self.nistKey, iv: self.nistIV, ciphertext: self.nistCiphertext)
        }
    }

    @Test(arguments: Array(0...33))
    func roundTrip(length: Int) throws {
        let plaintext = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let ciphertext = Crypto.aes256CBCEncrypt(key: self.key, iv: self.iv, plaintext: plaintext)
        #expect(ciphertext.count == (length / 16 + 1) * 16)
        #expect(try Crypto.aes256CBCDecrypt(key: self.key, iv: self.iv, ciphertext: ciphertext) == plaintext)
    }

    @Test func fullPadBlockUnpadsToEmpty() throws {
        let ciphertext = self.rawCiphertext([UInt8](repeating: 0x10, count: 16))
        #expect(try Crypto.aes256CBCDecrypt(key: self.key, iv: self.iv, ciphertext: ciphertext) == [])
    }

    @Test func validShortPadIsStripped() throws {
        let block = [UInt8](repeating: 0x41, count: 13) + [0x03, 0x03, 0x03]
        let ciphertext = self.rawCiphertext(block)
        #expect(
            try Crypto.aes256CBCDecrypt(key: self.key, iv: self.iv, ciphertext: ciphertext) == Array(block.prefix(13)))
    }

    /// Each final block here must be refused: a zero pad, a pad longer than a block, and pads where one
    /// earlier byte disagrees (so checking only the last byte would wrongly accept them).
    @Test(arguments: [
        [UInt8](repeating: 0x41, count: 15) + [0x00],
        [UInt8](repeating: 0x41, count: 15) + [0x11],
        [UInt8](repeating: 0x41, count: 15) + [0xff],
        [UInt8](repeating: 0x41, count: 14) + [0x02, 0x03],
        [UInt8](repeating: 0x41, count: 13) + [0x02, 0x03, 0x03],
        [0x0f] + [UInt8](repeating: 0x10, count: 15),
        [UInt8](repeating: 0x41, count: 9) + [0x07, 0x07, 0x07, 0x08, 0x07, 0x07, 0x07],
    ])
    func badPaddingIsRejected(finalBlock: [UInt8]) {
        let ciphertext = self.rawCiphertext([UInt8](repeating: 0x20, count: 16) + finalBlock)
        #expect(throws: CryptoError(.badPadding)) {
            try Crypto.aes256CBCDecrypt(key: self.key, iv: self.iv, ciphertext: ciphertext)
        }
    }

    @Test func lengthsAreChecked() {
        let ciphertext = Crypto.aes256CBCEncrypt(key: self.key, iv: self.iv, plaintext: [1, 2, 3])
        #expect(throws: CryptoError(.badKeyLength)) {
            try Crypto.aes256CBCDecrypt(key: Array(self.key.prefix(16)), iv: self.iv, ciphertext: ciphertext)
        }
        #expect(throws: CryptoError(.badIVLength)) {
            try Crypto.aes256CBCDecrypt(key: self.key, iv: Array(self.iv.prefix(15)), ciphertext: ciphertext)
        }
        for bad in [[], Array(ciphertext.prefix(15)), ciphertext + [0]] {
            #expect(throws: CryptoError(.badCiphertextLength)) {
                try Crypto.aes256CBCDecrypt(key: self.key, iv: self.iv, ciphertext: bad)
            }
        }
    }

    @Test func wrongKeyNeverReturnsThePlaintext() {
        let plaintext = Array("{\"receipt\":\"SYNTH001\"}".utf8)
        let ciphertext = Crypto.aes256CBCEncrypt(key: self.key, iv: self.iv, plaintext: plaintext)
        var otherKey = self.key
        otherKey[0] ^= 1
        let result = try? Crypto.aes256CBCDecrypt(key: otherKey, iv: self.iv, ciphertext: ciphertext)
        #expect(result != plaintext)
    }

    @Test func errorDescriptionsCarryNoKeyMaterial() {
        let error = CryptoError(.badPadding)
        #expect(error.description == "bad PKCS#7 padding")
        #expect(!error.description.contains(Crypto.lowercaseHex(self.key)))
    }
}
