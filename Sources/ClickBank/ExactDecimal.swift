/// A money amount as an exact decimal: an integer count of 10^-scale units. Never floating point.
///
/// Parsed from ClickBank's JSON number text ("49.95", "-49.95", "1e2" is rejected) or from CSV text
/// after separators and currency symbols are removed by the caller.
public struct ExactDecimal: Sendable, Hashable, CustomStringConvertible {
    /// The value times 10^scale.
    public var units: Int64
    /// Digits after the decimal point (0...18).
    public var scale: Int

    public init(units: Int64, scale: Int) {
        precondition((0...18).contains(scale), "an ExactDecimal's scale is 0...18")
        self.units = units
        self.scale = scale
    }

    /// Parses `-?digits(.digits)?` exactly. Returns nil for anything else (exponents, spaces, empty).
    public init?(parsing text: some StringProtocol) {
        var utf8 = Substring(text).utf8[...]
        var negative = false
        if let first = utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            utf8 = utf8.dropFirst()
        }
        var units: Int64 = 0
        var scale = 0
        var sawDigit = false
        var sawPoint = false
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                if sawPoint { return nil }
                sawPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            sawDigit = true
            let (times10, overflow1) = units.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            units = sum
            if sawPoint { scale += 1 }
        }
        guard sawDigit, scale <= 18 else { return nil }
        self.units = negative ? -units : units
        self.scale = scale
    }

    public var isNegative: Bool { self.units < 0 }

    /// The same value with its sign made negative (for money flowing out) or positive.
    public func withSign(negative: Bool) -> ExactDecimal {
        let magnitude = self.units.magnitude
        let signed = negative ? -Int64(magnitude) : Int64(magnitude)
        return ExactDecimal(units: signed, scale: self.scale)
    }

    /// Canonical text: at least two fraction digits for money ("49.95", "-1.50", "0.00").
    public var description: String {
        let shown = max(self.scale, 2)
        // Scale up to the shown digits first, then left-pad so there is at least one integer digit
        // (padding before scaling gave "00.30" for scale 1).
        let digits = String(self.units.magnitude) + String(repeating: "0", count: shown - self.scale)
        let scaledPadded = String(repeating: "0", count: max(0, shown + 1 - digits.count)) + digits
        let integerPart = scaledPadded.dropLast(shown)
        let fractionPart = scaledPadded.suffix(shown)
        return (self.units < 0 ? "-" : "") + integerPart + "." + fractionPart
    }

    public static func == (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        lhs.description == rhs.description
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(self.description)
    }
}
