import ClickBank
import CryptoPrimitives
import Foundation
import Testing

/// The outer `{"notification","iv"}` envelope and the decryption steps before the schema.
@Suite struct EnvelopeTests {
    static let secretKey = "ENVELOPEKEY1"
    static let plaintext = NotificationSchemaTests.document()

    func verify(_ body: String) throws(IPNFailure) -> ClickBankNotification {
        try IPNVerifier.verify(body: Array(body.utf8), contentType: "application/json", secretKey: Self.secretKey)
    }

    /// A body with the given ciphertext and IV bytes.
    func body(ciphertext: [UInt8], iv: [UInt8]) -> String {
        #"{"notification":"\#(Data(ciphertext).base64EncodedString())","iv":"\#(Data(iv).base64EncodedString())"}"#
    }

    func encrypt(_ plaintext: String, iv: [UInt8] = Array("0123456789ABCDEF".utf8)) -> [UInt8] {
        Crypto.aes256CBCEncrypt(
            key: IPNVerifier.decryptionKey(secretKey: Self.secretKey), iv: iv, plaintext: Array(plaintext.utf8))
    }

    /// Spec section 2: 32 ASCII characters of the lower-case hex SHA-1, not 16 hex-decoded bytes.
    @Test func keyDerivation() {
        let key = IPNVerifier.decryptionKey(secretKey: "SYNTHKEY0000TEST")
        #expect(key.count == 32)
        #expect(key == Array(Crypto.lowercaseHex(Crypto.sha1(Array("SYNTHKEY0000TEST".utf8))).prefix(32).utf8))
        #expect(
            key.allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            })
    }

    @Test func roundTripThroughTheEncoderHelper() throws {
        let body = IPNVerifier.encryptedBody(plaintext: Self.plaintext, secretKey: Self.secretKey)
        let envelope = try JSONValue.parse(body)
        let iv = try #require(envelope["iv"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        #expect(iv.count == 16)
        #expect(
            iv.allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains($0)
            })
        #expect(try self.verify(String(decoding: body, as: UTF8.self)).documentJSON == Self.plaintext)
    }

    @Test func unpaddedBase64AndExtraEnvelopeKeysAreAccepted() throws {
        let ciphertext = self.encrypt(Self.plaintext)
        var encoded = Data(ciphertext).base64EncodedString()
        while encoded.hasSuffix("=") { encoded.removeLast() }
        let body = #"{"extra":1,"iv":"MDEyMzQ1Njc4OUFCQ0RFRg","notification":"\#(encoded)"}"#
        #expect(try self.verify(body).receipt == "ABCD1234")
    }

    @Test(arguments: [
        #"{"notification":"AAAA-_==","iv":"MDEyMzQ1Njc4OUFCQ0RFRg=="}"#,  // URL-safe alphabet
        #"{"notification":"AAAA AAAA","iv":"MDEyMzQ1Njc4OUFCQ0RFRg=="}"#,  // whitespace
        #"{"notification":"AAAAA","iv":"MDEyMzQ1Njc4OUFCQ0RFRg=="}"#,  // impossible length
        #"{"notification":"AA=A","iv":"MDEyMzQ1Njc4OUFCQ0RFRg=="}"#,  // padding in the middle
        #"{"notification":"AAAAAAAAAAAAAAAAAAAAAA==","iv":"MDEyMzQ1Njc4OUFCQ0RFRg==="}"#,  // too much padding
    ])
    func badBase64(body: String) {
        #expect(throws: IPNFailure.badBase64) { try self.verify(body) }
    }

    @Test func lengthsAreChecked() {
        let ciphertext = self.encrypt(Self.plaintext)
        #expect(throws: IPNFailure.badIVLength) {
            try self.verify(self.body(ciphertext: ciphertext, iv: [UInt8](repeating: 65, count: 17)))
        }
        #expect(throws: IPNFailure.badIVLength) { try self.verify(self.body(ciphertext: ciphertext, iv: [])) }
        #expect(throws: IPNFailure.badCiphertextLength) {
            try self.verify(self.body(ciphertext: Array(ciphertext.dropLast()), iv: Array("0123456789ABCDEF".utf8)))
        }
        #expect(throws: IPNFailure.badCiphertextLength) {
            try self.verify(self.body(ciphertext: [], iv: Array("0123456789ABCDEF".utf8)))
        }
    }

    @Test func decryptedGarbageIsNotUTF8OrNotJSON() {
        let iv = Array("0123456789ABCDEF".utf8)
        let latin1 = Crypto.aes256CBCEncrypt(
            key: IPNVerifier.decryptionKey(secretKey: Self.secretKey), iv: iv, plaintext: [0x7B, 0xE9, 0x7D])
        #expect(throws: IPNFailure.notUTF8) { try self.verify(self.body(ciphertext: latin1, iv: iv)) }
        #expect(throws: IPNFailure.notJSON) {
            try self.verify(self.body(ciphertext: self.encrypt("receipt=ABCD1234"), iv: iv))
        }
        #expect(throws: IPNFailure.notJSON) {
            try self.verify(self.body(ciphertext: self.encrypt(#"{"a":1,"a":2}"#), iv: iv))
        }
    }

    @Test func wrongKeyIsRejected() {
        let body = IPNVerifier.encryptedBody(plaintext: Self.plaintext, secretKey: "SOMEOTHERKEY")
        let error = #expect(throws: IPNFailure.self) {
            try IPNVerifier.verify(body: body, contentType: nil, secretKey: Self.secretKey)
        }
        // Almost always padding; otherwise the garbage is caught as UTF-8 or JSON.
        #expect([.badPadding, .notUTF8, .notJSON].contains(error))
    }

    @Test(arguments: [
        (#"{"iv":"MDEyMzQ1Njc4OUFCQ0RFRg=="}"#, #"the JSON body has no "notification""#),
        (#"{"notification":"AAAA","iv":16}"#, #""iv" must be a string, got number"#),
        (#"{"notification":null,"iv":"AAAA"}"#, #""notification" must be a string, got null"#),
        ("[]", "expected a JSON object or a form post with cverify"),
    ])
    func malformedEnvelopes(body: String, detail: String) {
        #expect(throws: IPNFailure.malformedBody(detail)) { try self.verify(body) }
    }

    @Test func envelopeThatIsNotJSON() {
        let error = #expect(throws: IPNFailure.self) { try self.verify(#"{"notification":"AAAA","iv":"#) }
        guard case .malformedBody = error else {
            Issue.record("expected malformedBody, got \(String(describing: error))")
            return
        }
    }

    @Test func failureCodesAndDetailsAreStable() {
        #expect(IPNFailure.badPadding.code == "bad_padding")
        #expect(IPNFailure.notUTF8.code == "bad_utf8")
        #expect(IPNFailure.badCverify.code == "cverify_invalid")
        #expect(
            IPNFailure.vendorMismatch(expected: "a", got: "b").detail
                == #"notification is for vendor "b" but this endpoint expects "a""#)
        #expect(
            IPNFailure.schema("receipt is required").description
                == "schema: notification does not match the expected schema: receipt is required")
    }
}
