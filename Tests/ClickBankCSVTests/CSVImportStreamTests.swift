import ClickBank
import ClickBankCSV
import Testing

@Suite struct CSVImportStreamTests {
    private static let header = "Transaction Date,Transaction Time,Receipt,Transaction Type,Role On Transaction,"
        + "Item,Account Amount,Customer Email\n"

    @Test func badRowsAreRejectedWithLineAndReasonAndTheRestContinues() throws {
        let text = Self.header
            + "2024-03-05,14:03:27,R1,SALE,Vendor,1,47.00,a@example.com\n"       // 2 ok
            + "2024-03-05,14:03:27,R2,SALE,Vendor,1,47.00\n"                     // 3 field count
            + "2024-13-05,14:03:27,R3,SALE,Vendor,1,47.00,b@example.com\n"       // 4 bad date
            + "\n"                                                               // 5 blank
            + "2024-03-05,14:03:27,R4,SALE,Vendor,1,\"12,50\",c@example.com\n"   // 6 bad amount
            + "2024-03-05,14:03:27,R5,RFND,Vendor,1,\"$1,047.00\",\"d@\n"         // 7-8 quoted newline, ok
            + "example.com\"\n"
            + "2024-03-05,7 PM,R6,SALE,Vendor,1,47.00,e@example.com\n"           // 9 bad time
            + "2024-03-05,14:03:27,,SALE,Vendor,1,47.00,f@example.com\n"         // 10 no receipt
            + "2024-03-05,14:03:27,R7,SALE,Vendor,1,47.00,\"unterminated\n"      // 11-12 open quote at end
            + "more"
        let outcome = try TestSupport.importText(text)
        #expect(outcome.rowsRead == 8)
        #expect(outcome.rowsAccepted == 2)
        #expect(outcome.rowsRejected == 6)
        #expect(outcome.transactions.map(\.receipt) == ["R1", "R5"])
        #expect(outcome.transactions[1].amount.description == "-1047.00")
        #expect(outcome.transactions[1].customer.email == "d@\nexample.com")
        #expect(outcome.rejections.map(\.line) == [3, 4, 6, 9, 10, 11])
        #expect(outcome.rejections.map(\.code) == [
            .fieldCountMismatch, .invalidDate, .invalidAmount, .invalidTime, .missingValue, .unreadableRecord,
        ])
        #expect(outcome.rejections.map(\.description) == [
            "line 3: row has 7 fields but the header has 8",
            "line 4: Transaction Date \"2024-13-05\" is not a date (expected e.g. 2024-03-05 or 03/05/2024, month first)",
            "line 6: Account Amount \"12,50\" is not an amount (expected e.g. 1,234.50, $47.00 or (47.00); "
                + "a decimal comma is not accepted)",
            "line 9: Transaction Time \"7 PM\" is not a time of day (expected e.g. 14:03:27 or 2:03:27 PM)",
            "line 10: Receipt is empty",
            "line 11: file ends inside a quoted field (a closing \" is missing)",
        ])
        #expect(outcome.rejections.allSatisfy { !$0.reason.contains("@") })
        #expect(outcome.rejectionsNotListed == 0)
        #expect(outcome.committableOffset == Int64(text.utf8.count))
    }

    @Test func rejectionsAreListedUpToTheCapAndCountedBeyond() throws {
        var text = Self.header
        for index in 0..<250 {
            text += "2024-03-05,14:03:27,R\(index),SALE,Vendor,1,\(index % 2 == 0 ? "oops" : "1.00"),\n"
        }
        let outcome = try TestSupport.importText(text, configuration: .init(maximumListedRejections: 100))
        #expect(outcome.rowsRead == 250)
        #expect(outcome.rowsAccepted == 125)
        #expect(outcome.rowsRejected == 125)
        #expect(outcome.rejections.count == 100)
        #expect(outcome.rejectionsNotListed == 25)
        #expect(outcome.rejections.first?.line == 2)
        #expect(outcome.rejections.last?.line == 200)
    }

    @Test func missingRequiredColumnsStopTheFileBeforeAnyRow() throws {
        let text = "Date,Receipt,Item,Amount\n2024-03-05,R1,1,47.00\n"
        var stream = try CSVImportStream()
        var delivered = 0
        let error = #expect(throws: CSVImportError.self) {
            try stream.feed(Array(text.utf8)) { _ in delivered += 1 }
        }
        #expect(error == CSVImportError(code: .missingColumns, missingColumns: ["Transaction Type", "Role On Transaction"]))
        #expect(error?.description
            == "the header lacks required columns \"Transaction Type\", \"Role On Transaction\" (a Transactions export is expected)")
        #expect(delivered == 0)
        #expect(stream.rowsRead == 0)
        #expect(stream.committableOffset == 0)
        #expect(throws: CSVImportError(code: .stopped)) {
            try stream.feed(Array("more".utf8)) { _ in }
        }
    }

    @Test func emptyFilesAndUnreadableHeaders() throws {
        for empty in ["", "\u{FEFF}", "\n\r\n\n"] {
            #expect(throws: CSVImportError(code: .emptyFile)) {
                try TestSupport.importText(empty)
            }
        }
        #expect(throws: CSVImportError(code: .unreadableHeader, recordError: CSVRecordError(code: .unterminatedQuote))) {
            try TestSupport.importText("\"Receipt,Type")
        }
        let invalid: [UInt8] = Array("Receipt,".utf8) + [0xFF] + Array("\n".utf8)
        #expect(throws: CSVImportError(code: .unreadableHeader, recordError: CSVRecordError(code: .invalidUTF8, fieldIndex: 1))) {
            try TestSupport.importFile(invalid)
        }
    }

    @Test func headerOnlyFileHasNoRows() throws {
        let outcome = try TestSupport.importText(Self.header)
        #expect(outcome.rowsRead == 0)
        #expect(outcome.committableOffset == Int64(Self.header.utf8.count))
    }

    @Test func invalidUTF8AndOversizedRowsAreRejectedRows() throws {
        var bytes = Array(Self.header.utf8)
        bytes += Array("2024-03-05,14:03:27,R1,SALE,Vendor,1,1.00,".utf8) + [0x4A, 0xF6, 0x72, 0x67] + [0x0A]  // Latin-1
        bytes += Array("2024-03-05,14:03:27,R2,SALE,Vendor,1,1.00,\(String(repeating: "x", count: 300))\n".utf8)
        bytes += Array("2024-03-05,14:03:27,R3,SALE,Vendor,1,1.00,\n".utf8)
        let outcome = try TestSupport.importFile(bytes, configuration: .init(maximumRecordBytes: 200))
        #expect(outcome.rowsRead == 3)
        #expect(outcome.transactions.map(\.receipt) == ["R3"])
        #expect(outcome.rejections.map(\.line) == [2, 3])
        #expect(outcome.rejections.map(\.reason) == [
            "field 8 is not valid UTF-8 (export the file as UTF-8)",
            "record is longer than 200 bytes (an unbalanced quote can cause this)",
        ])
    }

    @Test func aThrowingHandlerStopsTheStreamAtTheLastDeliveredRow() throws {
        struct Full: Error {}
        let text = Self.header
            + "2024-03-05,14:03:27,R1,SALE,Vendor,1,1.00,\n"
            + "2024-03-05,14:03:27,R2,SALE,Vendor,1,1.00,\n"
            + "2024-03-05,14:03:27,R3,SALE,Vendor,1,1.00,\n"
        var stream = try CSVImportStream()
        var taken: [String] = []
        #expect(throws: Full.self) {
            try stream.feed(Array(text.utf8)) { transaction in
                guard taken.count < 1 else { throw Full() }
                taken.append(transaction.receipt)
            }
        }
        #expect(taken == ["R1"])
        #expect(stream.rowsAccepted == 1)
        let point = try #require(stream.resumePoint)
        #expect(point.line == 3)
        #expect(text.utf8.dropFirst(Int(point.offset)).starts(with: "2024-03-05,14:03:27,R2".utf8))
        #expect(throws: CSVImportError(code: .stopped)) {
            try stream.finish { _ in }
        }
        var resumed = try CSVImportStream(resumingFrom: point)
        try resumed.feed(Array(text.utf8.dropFirst(Int(point.offset)))) { taken.append($0.receipt) }
        try resumed.finish { taken.append($0.receipt) }
        #expect(taken == ["R1", "R2", "R3"])
        #expect(resumed.rowsRead == 2)
    }
}
