import ClickBank
import ClickBankCSV
import Testing

@Suite struct CSVTransactionMapperTests {
    private static let header = "Receipt,Transaction Type,Transaction Date,Transaction Time,Role On Transaction,"
        + "Account Amount,Order Amount,Currency,Customer Email,Item"

    /// Imports one data row under `header` and returns the outcome.
    private func one(_ row: String, header: String = Self.header, zone: String = "America/Los_Angeles") throws
        -> Result<CSVTransaction, CSVRowRejection>
    {
        let outcome = try TestSupport.importText(
            "\(header)\n\(row)\n",
            configuration: CSVImportConfiguration(timeZoneIdentifier: zone)
        )
        if let transaction = outcome.transactions.first {
            return .success(transaction)
        }
        return .failure(try #require(outcome.rejections.first))
    }

    private func accepted(_ row: String, header: String = Self.header, zone: String = "America/Los_Angeles") throws
        -> CSVTransaction
    {
        try self.one(row, header: header, zone: zone).get()
    }

    private func rejected(_ row: String, header: String = Self.header) throws -> CSVRowRejection {
        switch try self.one(row, header: header) {
        case .success(let transaction):
            Issue.record("accepted: \(transaction)")
            return CSVRowRejection(line: 0, code: .missingValue, reason: "")
        case .failure(let rejection):
            return rejection
        }
    }

    @Test(arguments: [
        // Date and time in both sample styles, and the forms around them; Pacific Standard Time in March.
        ("2024-03-05", "14:03:27", Int64(1_709_676_207_000), -480),
        ("03/05/2024", "2:03:27 PM", 1_709_676_207_000, -480),
        ("3/5/2024", "02:03:27 pm", 1_709_676_207_000, -480),
        ("2024/03/05", "14:03:27.250", 1_709_676_207_250, -480),
        ("03/08/2024", "12:00:00 AM", 1_709_884_800_000, -480),
        ("03/08/2024", "12:00 PM", 1_709_928_000_000, -480),
        // 2024-03-10 is the day DST starts: 11:00 is already PDT.
        ("2024-03-10", "11:00:00", 1_710_093_600_000, -420),
        ("2024-03-10", "01:59:59", 1_710_064_799_000, -480),
        ("2024-04-05", "09:15:00", 1_712_333_700_000, -420),
        // 01:30 happens twice on 2024-11-03: the first (PDT) one is taken.
        ("2024-11-03", "01:30:00", 1_730_622_600_000, -420),
        ("2024-11-03", "02:30:00", 1_730_629_800_000, -480),
    ])
    func datesAndTimesInThePacificZone(date: String, time: String, milliseconds: Int64, offset: Int) throws {
        let transaction = try self.accepted("R1,SALE,\(date),\(time),VENDOR,1.00,,,,1")
        #expect(transaction.instant == .init(unixMilliseconds: milliseconds, utcOffsetMinutes: offset))
    }

    @Test func combinedDateTimeColumnAndExplicitOffsets() throws {
        let header = "Receipt,Transaction Type,Transaction Date Time,Role,Amount"
        let plain = try self.accepted("R1,SALE,2024-03-05 14:03:27,VENDOR,1", header: header)
        #expect(plain.instant.unixMilliseconds == 1_709_676_207_000)
        let us = try self.accepted("R1,SALE,03/05/2024 2:03:27 PM,VENDOR,1", header: header)
        #expect(us.instant == plain.instant)
        let iso = try self.accepted("R1,SALE,2024-03-05T14:03:27-08:00,VENDOR,1", header: header)
        #expect(iso.instant == plain.instant)
        let utc = try self.accepted("R1,SALE,2024-03-05T22:03:27Z,VENDOR,1", header: header)
        #expect(utc.instant == .init(unixMilliseconds: 1_709_676_207_000, utcOffsetMinutes: 0))
        // A date column without a time column is read as combined.
        let dateOnly = "Receipt,Transaction Type,Transaction Date,Role,Amount"
        #expect(try self.accepted("R1,SALE,2024-03-05 14:03:27,VENDOR,1", header: dateOnly).instant == plain.instant)
        let noTime = try self.rejected("R1,SALE,2024-03-05,VENDOR,1", header: dateOnly)
        #expect(noTime.code == .invalidTime)
    }

    @Test func otherZonesAreHonoured() throws {
        let utc = try self.accepted("R1,SALE,2024-03-05,14:03:27,VENDOR,1,,,,1", zone: "UTC")
        #expect(utc.instant == .init(unixMilliseconds: 1_709_647_407_000, utcOffsetMinutes: 0))
        let berlin = try self.accepted("R1,SALE,2024-07-01,12:00:00,VENDOR,1,,,,1", zone: "Europe/Berlin")
        #expect(berlin.instant == .init(unixMilliseconds: 1_719_828_000_000, utcOffsetMinutes: 120))
        #expect(throws: CSVImportError(code: .unknownTimeZone, timeZoneIdentifier: "Mars/Olympus")) {
            try CSVImportStream(configuration: CSVImportConfiguration(timeZoneIdentifier: "Mars/Olympus"))
        }
    }

    @Test(arguments: [
        ("2024-02-30", "10:00:00", CSVRowRejection.Code.invalidDate),
        ("13/05/2024", "10:00:00", .invalidDate),
        ("05.03.2024", "10:00:00", .invalidDate),
        ("2024-03-05", "25:00:00", .invalidTime),
        ("2024-03-05", "13:00 PM", .invalidTime),
        ("2024-03-05", "noon", .invalidTime),
        ("2024-03-10", "02:30:00", .nonexistentLocalTime),
        ("", "10:00:00", .missingValue),
    ])
    func badDatesAndTimesAreRejected(date: String, time: String, code: CSVRowRejection.Code) throws {
        let rejection = try self.rejected("R1,SALE,\(date),\(time),VENDOR,1.00,,,,1")
        #expect(rejection.code == code)
        #expect(rejection.line == 2)
    }

    @Test(arguments: [
        ("47.00", "47.00", nil as String?), ("\"1,234.50\"", "1234.50", nil), ("\"$1,234.50\"", "1234.50", nil),
        ("€39.95", "39.95", "EUR"), ("£12", "12.00", "GBP"), ("USD 47.00", "47.00", "USD"), ("47.00 USD", "47.00", "USD"),
        ("(47.00)", "47.00", nil), ("-47.00", "47.00", nil), ("$-47.00", "47.00", nil), ("\" 1,000,000 \"", "1000000.00", nil),
        ("0.5", "0.50", nil), ("US$ 5", "5.00", "USD"),
    ])
    func amountsKeepTheirMagnitude(text: String, magnitude: String, currency: String?) throws {
        let transaction = try self.accepted("R1,SALE,2024-03-05,14:03:27,VENDOR,\(text),,,,1")
        #expect(transaction.amount.description == magnitude)
        #expect(transaction.currency == currency)
    }

    @Test(arguments: ["12,50", "1,23.00", "1.234,50", "abc", "4 7", "1e3", "--5", "$"])
    func badAmountsAreRejected(text: String) throws {
        let rejection = try self.rejected("R1,SALE,2024-03-05,14:03:27,VENDOR,\"\(text)\",,,,1")
        #expect(rejection.code == .invalidAmount)
        #expect(rejection.column == "Account Amount")
    }

    @Test(arguments: [
        ("SALE", "SALE", TransactionKind.sale, false), ("Sale", "SALE", .sale, false), ("Rebill", "BILL", .rebill, false),
        ("BILL", "BILL", .rebill, false), ("Refund", "RFND", .refund, true), ("RFND", "RFND", .refund, true),
        ("Chargeback", "CGBK", .chargeback, true), ("CGBK", "CGBK", .chargeback, true),
        ("Test Sale", "TEST_SALE", .testPurchase, false), ("TEST_SALE", "TEST_SALE", .testPurchase, false),
        ("Cancel Rebill", "CANCEL-REBILL", .cancelRebill, false), ("Insufficient Funds", "INSF", .insufficientFunds, false),
        ("Partial Credit", "PARTIAL_CREDIT", .other, false),
    ])
    func theSignOfMoneyComesFromTheTransactionType(written: String, code: String, kind: TransactionKind, negative: Bool)
        throws
    {
        // Whatever sign the file wrote.
        for amount in ["47.00", "-47.00"] {
            let transaction = try self.accepted("R1,\(written),2024-03-05,14:03:27,VENDOR,\(amount),\(amount),,,1")
            #expect(transaction.transactionType == written)
            #expect(transaction.transactionTypeCode == code)
            #expect(transaction.kind == kind)
            #expect(transaction.amount.description == (negative ? "-47.00" : "47.00"))
            #expect(transaction.orderAmount?.description == (negative ? "-47.00" : "47.00"))
        }
    }

    @Test(arguments: [
        ("Vendor", "VENDOR"), ("VENDOR", "VENDOR"), ("affiliate", "AFFILIATE"), ("JV Upsell", "JV_UPSELL"),
        ("JV_UPSELL", "JV_UPSELL"), ("jv-upsell", "JV_UPSELL"), ("Super Partner", "SUPER_PARTNER"),
    ])
    func rolesAreNormalised(written: String, role: String) throws {
        #expect(try self.accepted("R1,SALE,2024-03-05,14:03:27,\(written),1,,,,1").role == role)
    }

    @Test func cellsAreTrimmedAndBlankOptionalCellsAreNil() throws {
        let transaction = try self.accepted(" R1 , Sale ,2024-03-05,14:03:27, Vendor ,1, , usd ,  ,")
        #expect(transaction.receipt == "R1")
        #expect(transaction.transactionType == "Sale")
        #expect(transaction.orderAmount == nil)
        #expect(transaction.currency == "USD")
        #expect(transaction.customer.email == nil)
        #expect(transaction.itemNo == "")
    }

    @Test func missingValuesAndFieldCountAreRejected() throws {
        #expect(try self.rejected(",SALE,2024-03-05,14:03:27,VENDOR,1,,,,1").code == .missingValue)
        #expect(try self.rejected("R1,SALE,2024-03-05,14:03:27,,1,,,,1").column == "Role On Transaction")
        #expect(try self.rejected("R1,SALE,2024-03-05,14:03:27,VENDOR,,,,,1").reason == "Account Amount is empty")
        let short = try self.rejected("R1,SALE,2024-03-05,14:03:27,VENDOR,1")
        #expect(short.code == .fieldCountMismatch)
        #expect(short.reason == "row has 6 fields but the header has 10")
    }

    @Test func reasonsNeverEchoCustomerData() throws {
        // A row shifted by one column puts names and e-mail addresses where dates and amounts belong.
        let header = "Receipt,Transaction Type,Transaction Date,Transaction Time,Role On Transaction,Account Amount"
        let rows = [
            "R1,SALE,ana@example.es,14:03:27,VENDOR,1",
            "R1,SALE,2024-03-05,ana@example.es,VENDOR,1",
            "R1,SALE,2024-03-05,14:03:27,VENDOR,ana@example.es",
            "R1,SALE,2024-03-05,14:03:27,VENDOR,Ana García",
            "R1,SALE,Guðmundsdóttir,14:03:27,VENDOR,1",
        ]
        for row in rows {
            let rejection = try self.rejected(row, header: header)
            #expect(!rejection.reason.contains("@"))
            #expect(!rejection.reason.contains("Ana"))
            #expect(!rejection.reason.contains("Guð"))
            #expect(rejection.reason.contains("(value not shown)"))
        }
        // A value that looks like a date is quoted, to help fix it.
        #expect(try self.rejected("R1,SALE,2024-02-30,14:03:27,VENDOR,1", header: header).reason
            == "Transaction Date \"2024-02-30\" is not a date (expected e.g. 2024-03-05 or 03/05/2024, month first)")
    }

    @Test func unknownColumnsTravelWithTheRow() throws {
        let header = "Receipt,Notes,Transaction Type,Date,Time,Role,Amount,Affiliate Sub ID"
        let transaction = try self.accepted("R1,\"hi, there\",SALE,2024-03-05,14:03:27,VENDOR,1, sub 7 ", header: header)
        #expect(transaction.extraColumns == [.init(name: "Notes", value: "hi, there"), .init(name: "Affiliate Sub ID", value: " sub 7 ")])
    }
}
