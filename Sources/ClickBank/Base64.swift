/// Standard base64 (RFC 4648 alphabet `A-Z a-z 0-9 + /`) decoding, without Foundation.
///
/// Accepts padded input and unpadded input whose length is not 1 mod 4; rejects any other byte
/// (including whitespace and the URL-safe alphabet) and padding anywhere but the end.
public enum Base64 {
    public static func decode(_ text: String) -> [UInt8]? {
        Self.decode(bytes: Array(text.utf8))
    }

    public static func decode(bytes input: [UInt8]) -> [UInt8]? {
        var count = input.count
        var padding = 0
        while count > 0, input[count - 1] == UInt8(ascii: "=") {
            count -= 1
            padding += 1
        }
        guard padding <= 2, count % 4 != 1 else { return nil }
        if padding > 0 {
            guard (count + padding) % 4 == 0 else { return nil }
        }
        let complete = count / 4
        let rest = count % 4
        var output = [UInt8](repeating: 0, count: complete * 3 + max(0, rest - 1))
        let table = Self.sextets
        // Four characters at a time. A byte outside the alphabet maps to 0xFF, whose high bits
        // survive the OR and are checked once per group.
        for group in 0..<complete {
            let i = group * 4
            let a = table[Int(input[i])], b = table[Int(input[i + 1])]
            let c = table[Int(input[i + 2])], d = table[Int(input[i + 3])]
            guard (a | b | c | d) & 0xC0 == 0 else { return nil }
            let word = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
            output[group * 3] = UInt8(truncatingIfNeeded: word >> 16)
            output[group * 3 + 1] = UInt8(truncatingIfNeeded: word >> 8)
            output[group * 3 + 2] = UInt8(truncatingIfNeeded: word)
        }
        // The last 2 or 3 characters, if unpadded or padded.
        if rest > 0 {
            var word: UInt32 = 0
            for position in 0..<rest {
                let value = table[Int(input[complete * 4 + position])]
                guard value & 0xC0 == 0 else { return nil }
                word |= UInt32(value) << UInt32(18 - 6 * position)
            }
            output[complete * 3] = UInt8(truncatingIfNeeded: word >> 16)
            if rest == 3 { output[complete * 3 + 1] = UInt8(truncatingIfNeeded: word >> 8) }
        }
        return output
    }

    /// Each byte's 6-bit value, or 0xFF for a byte outside the alphabet.
    private static let sextets: [UInt8] = (0...255).map { byte in
        switch UInt8(byte) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt8(byte) - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt8(byte) - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(byte) - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: 0xFF
        }
    }
}

extension Base64 {
    /// Standard padded base64.
    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var group: UInt32 = 0
            for (position, byte) in chunk.enumerated() {
                group |= UInt32(byte) << UInt32(16 - 8 * position)
            }
            for position in 0..<4 {
                if position <= chunk.count {
                    output.append(alphabet[Int((group >> UInt32(18 - 6 * position)) & 0x3F)])
                } else {
                    output.append(UInt8(ascii: "="))
                }
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}
