import CryptoPrimitives
import Testing

@Suite struct DigestTests {
    @Test(arguments: [
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
    ])
    func sha1KnownAnswers(input: String, expected: String) {
        #expect(Crypto.lowercaseHex(Crypto.sha1(Array(input.utf8))) == expected)
    }

    @Test(arguments: [
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ])
    func sha256KnownAnswers(input: String, expected: String) {
        #expect(Crypto.lowercaseHex(Crypto.sha256(Array(input.utf8))) == expected)
    }

    /// RFC 4231 test cases 1 and 2, plus the empty key and message.
    @Test func hmacSHA256KnownAnswers() {
        let case1 = Crypto.hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), message: Array("Hi There".utf8))
        #expect(Crypto.lowercaseHex(case1) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        let case2 = Crypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Crypto.lowercaseHex(case2) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let empty = Crypto.hmacSHA256(key: [], message: [])
        #expect(Crypto.lowercaseHex(empty) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    /// RFC 4231 test case 6: a key longer than the block size is hashed first.
    @Test func hmacSHA256LongKey() {
        let mac = Crypto.hmacSHA256(
            key: [UInt8](repeating: 0xaa, count: 131),
            message: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)
        )
        #expect(Crypto.lowercaseHex(mac) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func lowercaseHexCoversAllNibbles() {
        #expect(Crypto.lowercaseHex([0x00, 0x0f, 0xf0, 0xab, 0xff]) == "000ff0abff")
        #expect(Crypto.lowercaseHex([]) == "")
    }

    @Test func constantTimeEquals() {
        #expect(Crypto.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!Crypto.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Crypto.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!Crypto.constantTimeEquals([], [0]))
        #expect(Crypto.constantTimeEquals([], []))
    }

    @Test func randomBytesHaveTheRightLengthAndVary() {
        #expect(Crypto.randomBytes(0).isEmpty)
        let first = Crypto.randomBytes(32)
        let second = Crypto.randomBytes(32)
        #expect(first.count == 32)
        // 2^-256 chance of a false failure.
        #expect(first != second)
    }
}
