import ClickBank

/// Reads an amount as an export may write it: `1,234.50`, `$47.00`, `€39.95`, `£12`, `USD 47.00`,
/// `47.00 USD`, `-47.00`, `(47.00)`. Only the magnitude matters to the importer (the sign comes from the
/// transaction type), but a written minus or parentheses are reported.
///
/// Commas are accepted only as thousands separators in their places (`1,234,567.89`), so a European
/// decimal comma such as `12,50` is rejected rather than misread as 1250.
struct MoneyText: Sendable, Hashable {
    var magnitude: ExactDecimal
    var writtenNegative: Bool
    /// An ISO code written with the amount, or the one a symbol stands for (`€`, `£`); `$` names none.
    var currency: String?

    init?(_ text: String) {
        // The common case: plain `-?digits.digits`.
        if let plain = ExactDecimal(parsing: text) {
            self.magnitude = plain.withSign(negative: false)
            self.writtenNegative = plain.isNegative
            self.currency = nil
            return
        }
        var rest = Substring(text)
        var negative = false
        var currency: String?
        Self.trim(&rest)
        if rest.hasPrefix("("), rest.hasSuffix(")") {
            negative = true
            rest = rest.dropFirst().dropLast()
            Self.trim(&rest)
        }
        // A sign and a currency mark may come in either order on either side.
        var sawSign = false
        for _ in 0..<2 {
            if rest.hasPrefix("-") || rest.hasPrefix("+") || rest.hasPrefix("\u{2212}") {
                guard !sawSign else { return nil }
                sawSign = true
                negative = negative || rest.first != "+"
                rest = rest.dropFirst()
                Self.trim(&rest)
            }
            if rest.hasSuffix("-") {
                guard !sawSign else { return nil }
                sawSign = true
                negative = true
                rest = rest.dropLast()
                Self.trim(&rest)
            }
            if let (mark, length) = Self.currencyPrefix(rest) {
                guard currency == nil || currency == mark || mark == nil else { return nil }
                currency = currency ?? mark
                rest = rest.dropFirst(length)
                Self.trim(&rest)
            }
            if let (mark, length) = Self.currencySuffix(rest) {
                guard currency == nil || currency == mark || mark == nil else { return nil }
                currency = currency ?? mark
                rest = rest.dropLast(length)
                Self.trim(&rest)
            }
        }
        guard let magnitude = Self.groupedNumber(rest) else { return nil }
        self.magnitude = magnitude
        self.writtenNegative = negative && magnitude.units != 0
        self.currency = currency
    }

    private static func trim(_ text: inout Substring) {
        while let first = text.first, first.isWhitespace {
            text = text.dropFirst()
        }
        while let last = text.last, last.isWhitespace {
            text = text.dropLast()
        }
    }

    private static let symbols: [(String, String?)] = [
        ("US$", "USD"), ("CA$", "CAD"), ("C$", "CAD"), ("AU$", "AUD"), ("A$", "AUD"), ("$", nil),
        ("€", "EUR"), ("£", "GBP"), ("¥", nil),
    ]

    /// (currency or nil, characters to drop) for a leading symbol or 3-letter code.
    private static func currencyPrefix(_ text: Substring) -> (String?, Int)? {
        for (symbol, code) in self.symbols where text.hasPrefix(symbol) {
            return (code, symbol.count)
        }
        let letters = text.prefix(3)
        if letters.count == 3, letters.allSatisfy({ $0.isASCII && $0.isLetter }),
           text.dropFirst(3).first.map({ !$0.isLetter }) ?? false
        {
            return (letters.uppercased(), 3)
        }
        return nil
    }

    private static func currencySuffix(_ text: Substring) -> (String?, Int)? {
        for (symbol, code) in self.symbols where text.hasSuffix(symbol) {
            return (code, symbol.count)
        }
        let letters = text.suffix(3)
        if letters.count == 3, letters.allSatisfy({ $0.isASCII && $0.isLetter }),
           text.dropLast(3).last.map({ !$0.isLetter }) ?? false
        {
            return (letters.uppercased(), 3)
        }
        return nil
    }

    /// `digits` with optional thousands commas in the right places, then optional `.digits`.
    private static func groupedNumber(_ text: Substring) -> ExactDecimal? {
        var digitsOnly = ""
        var groupDigits = 0
        var sawComma = false
        var sawPoint = false
        var integerDigits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digitsOnly.unicodeScalars.append(Unicode.Scalar(byte))
                if !sawPoint {
                    groupDigits += 1
                    integerDigits += 1
                }
            case UInt8(ascii: ","):
                // The first group has 1-3 digits, every later one exactly 3.
                guard !sawPoint, groupDigits >= 1, sawComma ? groupDigits == 3 : groupDigits <= 3 else { return nil }
                sawComma = true
                groupDigits = 0
            case UInt8(ascii: "."):
                guard !sawPoint, !sawComma || groupDigits == 3 else { return nil }
                sawPoint = true
                digitsOnly.append(".")
            default:
                return nil
            }
        }
        guard !sawComma || sawPoint || groupDigits == 3, integerDigits > 0 || sawPoint else { return nil }
        return ExactDecimal(parsing: digitsOnly)
    }
}
