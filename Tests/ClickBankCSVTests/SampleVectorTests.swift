import ClickBank
import ClickBankCSV
import Testing

/// The sample exports in ../shared/vectors/csv/, with counts taken by hand (and checked with Python's csv).
@Suite struct SampleVectorTests {
    static let files = [
        "transactions_vendor_2024-03.csv", "transactions_affiliate_2024-03.csv", "transactions_edgecases.csv",
    ]

    @Test func vendorExport() throws {
        let bytes = try TestSupport.vector("transactions_vendor_2024-03.csv")
        let outcome = try TestSupport.importFile(bytes)
        #expect(outcome.rowsRead == 12)
        #expect(outcome.rowsAccepted == 12)
        #expect(outcome.rowsRejected == 0)
        #expect(outcome.committableOffset == Int64(bytes.count))
        let rows = outcome.transactions
        #expect(rows.map(\.line) == Array(2...13))
        #expect(rows.map(\.transactionTypeCode) == [
            "SALE", "SALE", "SALE", "SALE", "SALE", "SALE", "SALE", "TEST_SALE", "RFND", "BILL", "CGBK", "CGBK",
        ])
        #expect(rows.map(\.amount.description) == [
            "31.96", "31.96", "20.14", "68.35", "0.53", "27.17", "8.83", "31.96", "-31.96", "20.36", "-31.96", "-20.14",
        ])
        #expect(rows.allSatisfy { $0.role == "VENDOR" && $0.extraColumns.isEmpty })

        let first = rows[0]
        #expect(first.receipt == "SYNTH001")
        #expect(first.kind == .sale)
        #expect(first.vendor == "synthvend")
        #expect(first.affiliate == "superaff1")
        #expect(first.itemNo == "1")
        #expect(first.productTitle == "Keto Guide, 2nd Edition")
        #expect(first.lineItemType == "ORIGINAL")
        #expect(first.paymentMethod == "VISA")
        #expect(first.instant == .init(unixMilliseconds: 1_709_676_207_000, utcOffsetMinutes: -480))
        #expect(first.orderAmount?.description == "47.00")
        #expect(first.taxAmount?.description == "0.00")
        #expect(first.currency == "USD")
        #expect(first.trackingID == "fb_ad12")
        #expect(first.customer == .init(
            firstName: "Alex", lastName: "Sample", email: "alex.sample@example.com", city: "LAS VEGAS", state: "NV",
            country: "US", postalCode: "89101"
        ))
        #expect(first.upsellOriginalReceipt == nil)
        #expect(rows[2].productTitle == "Bonus \"Quick Start\" Cards")
        #expect(rows[3].upsellOriginalReceipt == "SYNTH001")
        #expect(rows[4].affiliate == nil)
        #expect(rows[5].productTitle == "Grundkurs Ernährung – Übungen, Rezepte & mehr")
        #expect(rows[5].customer.lastName == "Łukasiewicz-Müller")
        #expect(rows[5].customer.city == "Łódź")
        #expect(rows[5].currency == "EUR")
        #expect(rows[5].taxAmount?.description == "6.38")
        #expect(rows[6].customer.fullName == nil)
        #expect(rows[6].customer.lastName == "山田")
        #expect(rows[6].currency == "JPY")
        #expect(rows[7].kind == .testPurchase)
        // 2024-03-10 11:00 is after that day's spring-forward: PDT.
        #expect(rows[7].instant == .init(unixMilliseconds: 1_710_093_600_000, utcOffsetMinutes: -420))
        #expect(rows[8].kind == .refund)
        #expect(rows[9].receipt == "SYNTH004-B001")
        #expect(rows[9].kind == .rebill)
        #expect(rows[9].instant.utcOffsetMinutes == -420)
        #expect(rows[10].kind == .chargeback)
        // Chargeback of both lines of order SYNTH002: same receipt, type and time, told apart by item.
        #expect(rows[10].identity != rows[11].identity)
        #expect(rows[11].itemNo == "bump1")
    }

    @Test func affiliateExport() throws {
        let bytes = try TestSupport.vector("transactions_affiliate_2024-03.csv")
        let outcome = try TestSupport.importFile(bytes)
        #expect(outcome.rowsRead == 6)
        #expect(outcome.rowsAccepted == 6)
        #expect(outcome.rowsRejected == 0)
        let rows = outcome.transactions
        #expect(rows.map(\.line) == Array(2...7))
        #expect(rows.map(\.transactionType) == ["Sale", "Sale", "Sale", "Rebill", "Refund", "Chargeback"])
        #expect(rows.map(\.transactionTypeCode) == ["SALE", "SALE", "SALE", "BILL", "RFND", "CGBK"])
        #expect(rows.map(\.kind) == [.sale, .sale, .sale, .rebill, .refund, .chargeback])
        #expect(rows.map(\.amount.description) == ["11.75", "24.25", "11.75", "9.50", "-11.75", "-11.75"])
        #expect(rows.map(\.orderAmount?.description) == ["47.00", "97.00", "47.00", "19.00", "-47.00", "-47.00"])
        #expect(rows.allSatisfy { $0.role == "AFFILIATE" && $0.receivingAccount == "superaff1" })
        // Affiliates see no customer name or e-mail.
        #expect(rows.allSatisfy { $0.customer.firstName == nil && $0.customer.lastName == nil && $0.customer.email == nil })
        #expect(rows[3].productTitle == "Guitar Lessons – Monthly")
        #expect(rows[3].customer.city == "Montréal")
        #expect(rows[3].customer.postalCode == "H2X 1Y4")
        #expect(rows[1].upsellOriginalReceipt == "SYNTH001")
        // The sale and its refund share a receipt but not an identity.
        #expect(rows[0].receipt == rows[4].receipt)
        #expect(rows[0].identity != rows[4].identity)
    }

    @Test func edgeCaseExport() throws {
        let bytes = try TestSupport.vector("transactions_edgecases.csv")
        #expect(bytes.prefix(3) == [0xEF, 0xBB, 0xBF])
        let outcome = try TestSupport.importFile(bytes)
        #expect(outcome.rowsRead == 4)
        #expect(outcome.rowsAccepted == 4)
        #expect(outcome.rowsRejected == 0)
        #expect(outcome.rejections.isEmpty)
        #expect(outcome.committableOffset == Int64(bytes.count))
        let rows = outcome.transactions
        // The second row's title holds a line break, so the third row starts on line 5.
        #expect(rows.map(\.line) == [2, 3, 5, 6])
        #expect(rows.map(\.receipt) == ["SYNTH010", "SYNTH011", "SYNTH010", "SYNTH012"])

        let bundle = rows[0]
        #expect(bundle.productTitle == "Pro Bundle, incl. \"Masterclass\" (12 modules)")
        #expect(bundle.orderAmount?.description == "1234.50")
        #expect(bundle.amount.description == "862.11")
        #expect(bundle.customer.lastName == "García-Núñez")
        #expect(bundle.affiliate == nil)
        // 03/07/2024 2:03:27 PM Pacific = 2024-03-07T22:03:27Z.
        #expect(bundle.instant == .init(unixMilliseconds: 1_709_849_007_000, utcOffsetMinutes: -480))
        #expect(rows[1].productTitle == "Two-line\ntitle (embedded newline)")
        #expect(rows[1].customer.firstName == "Björk")
        #expect(rows[1].customer.state == nil)
        #expect(rows[3].instant == .init(unixMilliseconds: 1_709_884_800_000, utcOffsetMinutes: -480))
        #expect(rows[3].amount.description == "0.00")
        #expect(rows[3].paymentMethod == "N/A")
        // " " in Upsell Original Receipt is blank.
        #expect(rows[3].upsellOriginalReceipt == nil)

        // The exact duplicate (lines 2 and 5) is handed on twice: removing it is the store's job.
        var duplicate = rows[2]
        #expect(duplicate.identity == bundle.identity)
        duplicate.line = bundle.line
        #expect(duplicate == bundle)
    }

    @Test(arguments: Self.files)
    func everyTwoChunkSplitGivesTheSameResult(file: String) throws {
        let bytes = try TestSupport.vector(file)
        let whole = try TestSupport.importFile(bytes)
        for split in 0...bytes.count {
            let parts = try TestSupport.importFile(bytes, chunks: [0..<split, split..<bytes.count])
            #expect(parts == whole, "split at \(split)")
            if parts != whole {
                break
            }
        }
    }

    @Test(arguments: Self.files)
    func oneByteAtATimeGivesTheSameResult(file: String) throws {
        let bytes = try TestSupport.vector(file)
        let whole = try TestSupport.importFile(bytes)
        let bytewise = try TestSupport.importFile(bytes, chunks: (0..<bytes.count).map { $0..<($0 + 1) })
        #expect(bytewise == whole)
    }

    @Test(arguments: Self.files)
    func committableOffsetOnlyEverCoversWholeRecords(file: String) throws {
        let bytes = try TestSupport.vector(file)
        let ends = Set(TestSupport.records(bytes).map(\.endOffset)).union([0])
        var stream = try CSVImportStream()
        for index in 0..<bytes.count {
            try stream.feed(bytes[index..<(index + 1)]) { _ in }
            #expect(ends.contains(stream.committableOffset))
            #expect(stream.committableOffset <= Int64(index + 1))
        }
    }

    @Test(arguments: Self.files)
    func resumingFromEveryCommitPointGivesTheRestOfTheFile(file: String) throws {
        let bytes = try TestSupport.vector(file)
        let whole = try TestSupport.importFile(bytes)
        var stream = try CSVImportStream()
        var seen: [CSVTransaction] = []
        for index in 0..<bytes.count {
            try stream.feed(bytes[index..<(index + 1)]) { seen.append($0) }
            guard let point = stream.resumePoint, index % 50 == 0 || index < 400 else { continue }
            // A new stream given the rest of the file from the commit point delivers exactly the rest.
            var resumed = try CSVImportStream(resumingFrom: point)
            var rest: [CSVTransaction] = []
            try resumed.feed(bytes[Int(point.offset)...]) { rest.append($0) }
            try resumed.finish { rest.append($0) }
            #expect(seen + rest == whole.transactions)
            #expect(resumed.committableOffset == Int64(bytes.count))
        }
    }
}
