/// A strict RFC 8259 parser producing `JSONValue`.
///
/// Strict on purpose: ClickBank's payload is not authenticated (AES-CBC without a MAC), so anything a
/// lenient parser would guess about is refused instead. The input must be valid UTF-8 as a whole;
/// `\uXXXX` escapes must form valid scalars (surrogates only in high/low pairs); numbers must follow
/// JSON's grammar and keep their text; nesting is capped to bound recursion.
struct JSONParser {
    private let bytes: [UInt8]
    private let maximumDepth: Int
    private var index = 0

    init(bytes: [UInt8], maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    /// Parses exactly one value surrounded by optional whitespace.
    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        // Validate all of it first: this covers the bytes inside strings, which are then copied as-is.
        guard String(validating: self.bytes, as: UTF8.self) != nil else {
            throw JSONParseError(.invalidUTF8, offset: 0)
        }
        self.skipWhitespace()
        let value = try self.parseValue(depth: 0)
        self.skipWhitespace()
        guard self.index == self.bytes.count else {
            throw JSONParseError(.trailingData, offset: self.index)
        }
        return value
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard let byte = self.peek() else { throw self.error(.unexpectedEnd) }
        switch byte {
        case UInt8(ascii: "{"): return try self.parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try self.parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try self.parseNumber())
        default: throw self.error(.unexpectedByte)
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= self.maximumDepth else { throw self.error(.tooDeep) }
        self.index += 1  // "{"
        var members: [JSONMember] = []
        var seenKeys: Set<String> = []
        self.skipWhitespace()
        if self.peek() == UInt8(ascii: "}") {
            self.index += 1
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            guard self.peek() == UInt8(ascii: "\"") else {
                throw self.error(self.peek() == nil ? .unexpectedEnd : .unexpectedByte)
            }
            let keyOffset = self.index
            let key = try self.parseString()
            guard seenKeys.insert(key).inserted else { throw JSONParseError(.duplicateKey, offset: keyOffset) }
            self.skipWhitespace()
            try self.expect(UInt8(ascii: ":"))
            self.skipWhitespace()
            let value = try self.parseValue(depth: depth)
            members.append(JSONMember(key: key, value: value))
            self.skipWhitespace()
            guard let separator = self.peek() else { throw self.error(.unexpectedEnd) }
            self.index += 1
            if separator == UInt8(ascii: "}") { return .object(members) }
            guard separator == UInt8(ascii: ",") else { throw JSONParseError(.unexpectedByte, offset: self.index - 1) }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= self.maximumDepth else { throw self.error(.tooDeep) }
        self.index += 1  // "["
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if self.peek() == UInt8(ascii: "]") {
            self.index += 1
            return .array(elements)
        }
        while true {
            self.skipWhitespace()
            elements.append(try self.parseValue(depth: depth))
            self.skipWhitespace()
            guard let separator = self.peek() else { throw self.error(.unexpectedEnd) }
            self.index += 1
            if separator == UInt8(ascii: "]") { return .array(elements) }
            guard separator == UInt8(ascii: ",") else { throw JSONParseError(.unexpectedByte, offset: self.index - 1) }
        }
    }

    // MARK: - Strings

    private mutating func parseString() throws(JSONParseError) -> String {
        self.index += 1  // opening quote
        // Most strings have no escape: find the closing quote and take the bytes between in one go
        // (a notification's 2 KB ciphertext is one such string).
        var end = self.index
        while end < self.bytes.count {
            let byte = self.bytes[end]
            if byte == UInt8(ascii: "\"") {
                defer { self.index = end + 1 }
                return String(decoding: self.bytes[self.index..<end], as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
            end += 1
        }
        var utf8: [UInt8] = Array(self.bytes[self.index..<end])
        self.index = end
        while true {
            guard let byte = self.peek() else { throw self.error(.unexpectedEnd) }
            switch byte {
            case UInt8(ascii: "\""):
                self.index += 1
                // The whole input was validated as UTF-8 and escapes append only valid scalars.
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                self.index += 1
                try self.parseEscape(into: &utf8)
            case 0x00..<0x20:
                throw self.error(.controlCharacterInString)
            default:
                utf8.append(byte)
                self.index += 1
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws(JSONParseError) {
        guard let byte = self.peek() else { throw self.error(.unexpectedEnd) }
        self.index += 1
        switch byte {
        case UInt8(ascii: "\""): utf8.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): utf8.append(UInt8(ascii: "\\"))
        case UInt8(ascii: "/"): utf8.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"): try self.parseUnicodeEscape(into: &utf8)
        default: throw JSONParseError(.invalidEscape, offset: self.index - 1)
        }
    }

    /// `\uXXXX`, already past the "u". A high surrogate must be followed by `\u` and a low surrogate.
    private mutating func parseUnicodeEscape(into utf8: inout [UInt8]) throws(JSONParseError) {
        let escapeOffset = self.index - 2
        let first = try self.parseHex4()
        let scalarValue: UInt32
        switch first {
        case 0xD800...0xDBFF:
            guard self.peek() == UInt8(ascii: "\\"), self.peek(at: 1) == UInt8(ascii: "u") else {
                throw JSONParseError(.loneSurrogate, offset: escapeOffset)
            }
            self.index += 2
            let second = try self.parseHex4()
            guard (0xDC00...0xDFFF).contains(second) else { throw JSONParseError(.loneSurrogate, offset: escapeOffset) }
            scalarValue = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        case 0xDC00...0xDFFF:
            throw JSONParseError(.loneSurrogate, offset: escapeOffset)
        default:
            scalarValue = first
        }
        // Cannot fail: surrogates were handled above and the value is at most 0x10FFFF.
        guard let scalar = Unicode.Scalar(scalarValue) else {
            throw JSONParseError(.invalidEscape, offset: escapeOffset)
        }
        utf8.append(contentsOf: scalar.utf8)
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = self.peek() else { throw self.error(.unexpectedEnd) }
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw self.error(.invalidEscape)
            }
            value = value << 4 | digit
            self.index += 1
        }
        return value
    }

    // MARK: - Numbers

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, returned as the exact text.
    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = self.index
        if self.peek() == UInt8(ascii: "-") { self.index += 1 }
        guard let leading = self.peek(), Self.isDigit(leading) else { throw self.error(.invalidNumber) }
        self.index += 1
        if leading != UInt8(ascii: "0") { self.skipDigits() }
        if self.peek() == UInt8(ascii: ".") {
            self.index += 1
            guard self.skipDigits() > 0 else { throw self.error(.invalidNumber) }
        }
        if self.peek() == UInt8(ascii: "e") || self.peek() == UInt8(ascii: "E") {
            self.index += 1
            if self.peek() == UInt8(ascii: "+") || self.peek() == UInt8(ascii: "-") { self.index += 1 }
            guard self.skipDigits() > 0 else { throw self.error(.invalidNumber) }
        }
        return String(decoding: self.bytes[start..<self.index], as: UTF8.self)
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = self.index
        while let byte = self.peek(), Self.isDigit(byte) { self.index += 1 }
        return self.index - start
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    // MARK: - Helpers

    private func peek(at offset: Int = 0) -> UInt8? {
        let position = self.index + offset
        return position < self.bytes.count ? self.bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = self.peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            self.index += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws(JSONParseError) {
        guard let actual = self.peek() else { throw self.error(.unexpectedEnd) }
        guard actual == byte else { throw self.error(.unexpectedByte) }
        self.index += 1
    }

    private mutating func expectLiteral(_ literal: String) throws(JSONParseError) {
        for byte in literal.utf8 {
            try self.expect(byte)
        }
    }

    private func error(_ reason: JSONParseError.Reason) -> JSONParseError {
        JSONParseError(reason, offset: self.index)
    }
}
