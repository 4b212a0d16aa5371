import ClickBank
import Testing

@Suite struct JSONParserTests {
    @Test func objectsKeepOrderAndNumbersKeepText() throws {
        let value = try JSONValue.parse(#"{"b":47.00,"a":-0.5e-3,"c":[true,false,null],"d":"x"}"#)
        #expect(value.objectMembers?.map(\.key) == ["b", "a", "c", "d"])
        #expect(value["b"] == .number("47.00"))
        #expect(value["a"] == .number("-0.5e-3"))
        #expect(value["c"] == .array([.bool(true), .bool(false), .null]))
        #expect(value["missing"] == nil)
        #expect(value.jsonText == #"{"b":47.00,"a":-0.5e-3,"c":[true,false,null],"d":"x"}"#)
    }

    @Test func whitespaceAroundTokensIsAllowed() throws {
        let value = try JSONValue.parse(" \t\r\n{ \"a\" : [ 1 , 2 ] }\n")
        #expect(value == .object([JSONMember(key: "a", value: .array([.number("1"), .number("2")]))]))
    }

    @Test func escapesDecode() throws {
        let value = try JSONValue.parse(#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC""#)
        #expect(value == .string("\"\\/\u{08}\u{0C}\n\r\tAé€"))
    }

    @Test func surrogatePairsCombine() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try JSONValue.parse(#""\uD834\uDD1E""#) == .string("𝄞"))
        // Raw 4-byte UTF-8 is equally fine.
        #expect(try JSONValue.parse("\"😀\"") == .string("😀"))
    }

    @Test(arguments: [#""\ud83d""#, #""\ude00""#, #""\ud83d\u0041""#, #""\ud83dx""#, #""\ude00\ud83d""#])
    func loneSurrogatesAreRejected(text: String) {
        #expect(self.failure(Array(text.utf8)) == .loneSurrogate)
    }

    @Test(
        arguments: [
            [0x22, 0xC3, 0x28, 0x22],  // truncated 2-byte sequence
            [0x22, 0xC0, 0xAF, 0x22],  // overlong "/"
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8-encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xFF, 0x22],
            [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xE2, 0x82, 0x22, 0x7D],  // truncated inside an object
        ] as [[UInt8]])
    func invalidUTF8IsRejected(bytes: [UInt8]) {
        #expect(self.failure(bytes) == .invalidUTF8)
    }

    @Test(arguments: ["01", "1.", ".5", "-", "1e", "1e+", "+1", "NaN", "Infinity", "0x10", "-01", "1.e3"])
    func invalidNumbersAreRejected(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test(arguments: ["0", "-0", "10", "1.5", "1e10", "1E-2", "-12.34e+5", "123456789012345678901234567890"])
    func validNumbersKeepTheirText(text: String) throws {
        #expect(try JSONValue.parse(text) == .number(text))
    }

    @Test func structuralErrorsAreRejected() {
        #expect(self.failure(Array("[1,]".utf8)) == .unexpectedByte)
        #expect(self.failure(Array(#"{"a":1,}"#.utf8)) == .unexpectedByte)
        #expect(self.failure(Array("{} {}".utf8)) == .trailingData)
        #expect(self.failure(Array("".utf8)) == .unexpectedEnd)
        #expect(self.failure(Array("[1".utf8)) == .unexpectedEnd)
        #expect(self.failure(Array(#"{"a"}"#.utf8)) == .unexpectedByte)
        #expect(self.failure(Array("{'a':1}".utf8)) == .unexpectedByte)
        #expect(self.failure(Array("tru".utf8)) == .unexpectedEnd)
        #expect(self.failure(Array("nul1".utf8)) == .unexpectedByte)
        #expect(self.failure(Array(#""\x""#.utf8)) == .invalidEscape)
        #expect(self.failure(Array(#""\u12G4""#.utf8)) == .invalidEscape)
        #expect(self.failure(Array("\"a\u{0A}b\"".utf8)) == .controlCharacterInString)
        #expect(self.failure(Array("\"a\u{00}b\"".utf8)) == .controlCharacterInString)
    }

    /// Two values for one key would let two readers disagree (e.g. on `vendor`); refused.
    @Test func duplicateKeysAreRejected() {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"vendor":"a","vendor":"b"}"#) }
        #expect(error?.reason == .duplicateKey)
        #expect(error?.offset == 14)
    }

    @Test func nestingIsLimited() throws {
        let limit = JSONValue.defaultMaximumDepth
        let atLimit = String(repeating: "[", count: limit) + String(repeating: "]", count: limit)
        #expect(throws: Never.self) { try JSONValue.parse(atLimit) }
        let overLimit = String(repeating: "[", count: limit + 1) + String(repeating: "]", count: limit + 1)
        #expect(self.failure(Array(overLimit.utf8)) == .tooDeep)
        let mixed = String(repeating: #"{"a":"#, count: limit + 1) + "1" + String(repeating: "}", count: limit + 1)
        #expect(self.failure(Array(mixed.utf8)) == .tooDeep)
        // A hostile, very deep document fails fast instead of exhausting the stack.
        #expect(self.failure([UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)) == .tooDeep)
        #expect(try JSONValue.parse("[[1]]", maximumDepth: 2) == .array([.array([.number("1")])]))
        #expect(throws: JSONParseError.self) { try JSONValue.parse("[[1]]", maximumDepth: 1) }
    }

    @Test func serializationEscapesWhatJSONRequires() throws {
        let value = JSONValue.object([
            JSONMember(key: "q\"k", value: .string("line\nbreak\ttab\\ \u{01} é 😀 /"))
        ])
        #expect(value.jsonText == #"{"q\"k":"line\nbreak\ttab\\ \u0001 é 😀 /"}"#)
        #expect(try JSONValue.parse(value.jsonText) == value)
    }

    @Test func parseErrorsNameOffsetsNotContent() {
        let error = #expect(throws: JSONParseError.self) { try JSONValue.parse(#"{"email":"a@b.example",}"#) }
        #expect(error?.description.contains("@") == false)
        #expect(error?.description.contains("at byte") == true)
    }

    private func failure(_ bytes: [UInt8]) -> JSONParseError.Reason? {
        do {
            _ = try JSONValue.parse(bytes)
            return nil
        } catch {
            return error.reason
        }
    }
}
