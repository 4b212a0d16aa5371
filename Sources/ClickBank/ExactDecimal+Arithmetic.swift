extension ExactDecimal {
    /// The exact sum, at the larger of the two scales; nil if it does not fit in Int64 units.
    ///
    /// For totals over line items: 0.1 + 0.2 is exactly 0.3 here, unlike in `Double`.
    public func adding(_ other: ExactDecimal) -> ExactDecimal? {
        let scale = max(self.scale, other.scale)
        guard let left = self.units(atScale: scale), let right = other.units(atScale: scale) else { return nil }
        let (sum, overflow) = left.addingReportingOverflow(right)
        return overflow ? nil : ExactDecimal(units: sum, scale: scale)
    }

    /// Whether both denote the same number, whatever their scales ("1.5" and "1.500").
    public func isNumericallyEqual(to other: ExactDecimal) -> Bool {
        let scale = max(self.scale, other.scale)
        guard let left = self.units(atScale: scale), let right = other.units(atScale: scale) else { return false }
        return left == right
    }

    /// `units` rescaled up to `scale` (>= self.scale), or nil on overflow.
    private func units(atScale scale: Int) -> Int64? {
        var value = self.units
        for _ in self.scale..<scale {
            let (next, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { return nil }
            value = next
        }
        return value
    }
}
