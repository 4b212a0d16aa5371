import ClickBank
import Testing

@Suite struct ExactDecimalTests {
    @Test(arguments: [
        ("49.95", 4995, 2, "49.95"),
        ("-49.95", -4995, 2, "-49.95"),
        ("0.1", 1, 1, "0.10"),
        ("1.5", 15, 1, "1.50"),
        ("5", 5, 0, "5.00"),
        ("0", 0, 0, "0.00"),
        ("0.00", 0, 2, "0.00"),
        ("-0.05", -5, 2, "-0.05"),
        ("1234567.891", 1_234_567_891, 3, "1234567.891"),
        ("0.001", 1, 3, "0.001"),
        ("+7.25", 725, 2, "7.25"),
    ])
    func parsesExactly(text: String, units: Int64, scale: Int, description: String) throws {
        let value = try #require(ExactDecimal(parsing: text))
        #expect(value.units == units)
        #expect(value.scale == scale)
        #expect(value.description == description)
    }

    @Test(arguments: [
        "", "-", ".", "1e2", "1,5", " 1", "1 ", "1.2.3", "abc", "92233720368547758.08", "0.0000000000000000001",
    ])
    func rejectsNonPlainDecimals(text: String) {
        #expect(ExactDecimal(parsing: text) == nil)
    }

    @Test func sumsAreExact() throws {
        let sum = try #require(ExactDecimal(parsing: "0.1")!.adding(ExactDecimal(parsing: "0.2")!))
        #expect(sum.description == "0.30")
        let mixed = try #require(ExactDecimal(parsing: "31.96")!.adding(ExactDecimal(parsing: "-11.755")!))
        #expect(mixed.description == "20.205")
        #expect(ExactDecimal(parsing: "1.5")!.isNumericallyEqual(to: ExactDecimal(parsing: "1.500")!))
        #expect(!ExactDecimal(parsing: "1.5")!.isNumericallyEqual(to: ExactDecimal(parsing: "1.501")!))
        #expect(ExactDecimal(parsing: "1.5") == ExactDecimal(parsing: "1.50"))
    }
}
