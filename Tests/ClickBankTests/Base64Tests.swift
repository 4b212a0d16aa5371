import ClickBank
import Foundation
import Testing

/// The ClickBank envelope's base64 decoder against Foundation's, on every length and alphabet byte.
@Suite struct Base64Tests {
    @Test func decodesWhatFoundationEncodesAtEveryLengthPaddedAndNot() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let padded = Data(bytes).base64EncodedString()
            #expect(Base64.decode(padded) == bytes, "length \(length)")
            var unpadded = padded
            while unpadded.hasSuffix("=") { unpadded.removeLast() }
            #expect(Base64.decode(unpadded) == bytes, "length \(length) unpadded")
        }
    }

    @Test func everyAlphabetCharacterInEveryPositionOfAGroup() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        for character in alphabet {
            for position in 0..<4 {
                var group = Array("AAAA")
                group[position] = character
                let text = String(group)
                #expect(Base64.decode(text) == Data(base64Encoded: text).map(Array.init), "\(text)")
                #expect(Base64.decode(text)?.count == 3)
            }
        }
    }

    @Test func refusesEveryByteOutsideTheAlphabetWherever() {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for byte in UInt8.min...UInt8.max where !alphabet.contains(byte) && byte != UInt8(ascii: "=") {
            for position in 0..<6 {
                var text = Array("QUJDREVG".utf8)  // "ABCDEF"
                text[position] = byte
                #expect(Base64.decode(bytes: text) == nil, "byte \(byte) at \(position)")
            }
        }
    }

    @Test(arguments: [
        ("QQ==", [UInt8(ascii: "A")]), ("QUI=", Array("AB".utf8)), ("QQ", [UInt8(ascii: "A")]), ("QUI", Array("AB".utf8)),
        ("", []),
    ])
    func paddingIsOptionalButExact(text: String, expected: [UInt8]) {
        #expect(Base64.decode(text) == expected)
    }

    @Test(arguments: ["Q", "QQ=", "QUI==", "QQ===", "Q===", "QQ==QQ==", "=QQ=", "QUJD=", "QU=I"])
    func malformedPaddingAndLengthsAreRefused(text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
