import LibPQ
import Testing

/// Parsing that needs no database.
@Suite struct PGResultTests {
    @Test func typedHelpers() {
        let result = PGResult(
            columns: ["n", "b", "bytes", "escaped", "missing"],
            rows: [["-9223372036854775808", "t", "\\x00ff10", "a\\\\b\\001", nil]]
        )
        #expect(result.int64(row: 0, column: 0) == Int64.min)
        #expect(result.bool(row: 0, column: 1) == true)
        #expect(result.bytes(row: 0, column: 2) == [0x00, 0xff, 0x10])
        #expect(result.bytes(row: 0, column: 3) == [UInt8(ascii: "a"), UInt8(ascii: "\\"), UInt8(ascii: "b"), 1])
        #expect(result[0, 4] == nil)
        #expect(result.int64(row: 0, column: 4) == nil)
        #expect(result[0, "b"] == "t")
    }

    @Test func malformedByteaIsNil() {
        let result = PGResult(columns: ["x"], rows: [["\\x0"], ["\\xzz"], ["\\9"]])
        #expect(result.bytes(row: 0, column: 0) == nil)
        #expect(result.bytes(row: 1, column: 0) == nil)
        #expect(result.bytes(row: 2, column: 0) == nil)
    }

    @Test func parameterConversions() {
        let optional: Int? = nil
        #expect(PGParameter(optional) == .null)
        #expect(PGParameter(Int64(5)) == .text("5"))
        #expect(PGParameter(true) == .text("true"))
        #expect(PGParameter([UInt8]([1, 2])) == .bytes([1, 2]))
        let literal: [PGParameter] = ["a", 1, nil, false]
        #expect(literal == [.text("a"), .text("1"), .null, .text("false")])
    }

    @Test func errorDescriptionIsGeneric() {
        let error = PGError(
            kind: .queryFailed,
            operation: "executing a statement",
            sqlState: "23505",
            serverMessage: "duplicate key",
            serverDetail: "Key (token)=(s3cr3t) already exists."
        )
        #expect(error.isUniqueViolation)
        #expect(!error.isConnectionError)
        #expect(!error.description.contains("s3cr3t"))
        #expect(error.description.contains("unique_violation"))
        #expect(error.debugDescription.contains("s3cr3t"))
    }
}
