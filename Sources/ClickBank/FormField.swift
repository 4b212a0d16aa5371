/// One field of an `application/x-www-form-urlencoded` body.
struct FormField: Sendable, Hashable {
    var name: String
    /// The value's bytes after URL-decoding: what legacy `cverify` is computed over, byte for byte.
    var valueBytes: [UInt8]
    /// The value as text: UTF-8, or ISO-8859-1 when the bytes are not UTF-8 (old ClickBank posts may
    /// be Latin-1; mapping each byte to U+0000-U+00FF loses nothing).
    var value: String

    /// Parses a form body: `&`-separated `name=value` pairs, `+` as space, `%XX` escapes.
    /// Empty pairs are skipped; a pair without `=` has an empty value. Fails on a bad `%` escape or a
    /// name that is not UTF-8.
    static func parse(_ body: [UInt8]) -> [FormField]? {
        var fields: [FormField] = []
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            let rawName = pair[..<(equals ?? pair.endIndex)]
            let rawValue = equals.map { pair[pair.index(after: $0)...] } ?? []
            guard let nameBytes = self.percentDecode(rawName), let valueBytes = self.percentDecode(rawValue),
                let name = String(validating: nameBytes, as: UTF8.self)
            else { return nil }
            fields.append(FormField(name: name, valueBytes: valueBytes, value: self.text(valueBytes)))
        }
        return fields
    }

    static func text(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }

    private static func percentDecode(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                output.append(UInt8(ascii: " "))
                index += 1
            } else if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.endIndex,
                    let high = self.hexValue(bytes[index + 1]), let low = self.hexValue(bytes[index + 2])
                else { return nil }
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte)
                index += 1
            }
        }
        return output
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
