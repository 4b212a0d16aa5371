import ClickBankCSV
import Testing

@Suite struct TransactionColumnsTests {
    static let sampleHeader = [
        "Transaction Date", "Transaction Time", "Receipt", "Transaction Type", "Role On Transaction", "Vendor",
        "Affiliate", "Item", "Product Title", "Line Item Type", "Payment Method", "Currency", "Order Amount",
        "Account Amount", "Tax Amount", "Shipping Amount", "TID", "Customer First Name", "Customer Last Name",
        "Customer Email", "City", "State", "Country", "Postal Code", "Upsell Original Receipt",
    ]

    @Test func sampleHeaderMapsEveryColumn() throws {
        let columns = try TransactionColumns(header: Self.sampleHeader)
        #expect(columns.extraColumns.isEmpty)
        let expected: [TransactionField: Int] = [
            .date: 0, .time: 1, .receipt: 2, .transactionType: 3, .role: 4, .vendor: 5, .affiliate: 6, .itemNo: 7,
            .productTitle: 8, .lineItemType: 9, .paymentMethod: 10, .currency: 11, .orderAmount: 12, .amount: 13,
            .taxAmount: 14, .shippingAmount: 15, .trackingID: 16, .customerFirstName: 17, .customerLastName: 18,
            .customerEmail: 19, .city: 20, .state: 21, .country: 22, .postalCode: 23, .upsellOriginalReceipt: 24,
        ]
        for (field, index) in expected {
            #expect(columns.index(of: field) == index, "\(field)")
        }
        #expect(columns.index(of: .dateTime) == nil)
        #expect(columns.index(of: .customerFullName) == nil)
    }

    @Test(arguments: [
        ("Receipt Number", TransactionField.receipt), ("Transaction Id", .receipt), ("receipt_no", .receipt),
        ("RECEIPT #", .receipt), ("Txn Type", .transactionType), ("Type", .transactionType),
        ("transaction-type", .transactionType), ("Date", .date), ("Time", .time), ("Role", .role),
        ("Item No.", .itemNo), ("SKU", .itemNo), ("Item #", .itemNo), ("Amount", .amount),
        ("Your Earnings", .amount), ("Order Total", .orderAmount), ("Currency Code", .currency),
        ("Vendor Nickname", .vendor), ("Affiliate ID", .affiliate), ("Product Name", .productTitle),
        ("E-mail", .customerEmail), ("Email Address", .customerEmail), ("First Name", .customerFirstName),
        ("Customer Name", .customerFullName), ("Zip Code", .postalCode), ("Date/Time", .dateTime),
        ("Transaction Timestamp", .dateTime), ("\u{FEFF}Transaction Date", .date), ("  transaction   date ", .date),
    ])
    func aliasesMatchIgnoringCaseSpacesAndPunctuation(name: String, field: TransactionField) throws {
        var base: [TransactionField: String] = [
            .receipt: "Receipt", .transactionType: "Transaction Type", .dateTime: "Transaction Date Time",
            .role: "Role On Transaction", .amount: "Account Amount",
        ]
        base[field] = nil
        if field == .time || field == .date {
            base[.dateTime] = nil
            base[.date] = field == .time ? "Transaction Date" : nil
        }
        let columns = try TransactionColumns(header: [name] + base.values.sorted())
        #expect(columns.index(of: field) == 0)
        #expect(columns.extraColumns.isEmpty)
    }

    @Test func missingRequiredColumnsAreNamedTogether() {
        #expect(throws: CSVImportError(code: .missingColumns, missingColumns: ["Receipt"])) {
            try TransactionColumns(header: Self.sampleHeader.filter { $0 != "Receipt" })
        }
        let sparse = ["Vendor", "Item", "Product Title", "Customer Email"]
        let error = #expect(throws: CSVImportError.self) { try TransactionColumns(header: sparse) }
        #expect(error?.code == .missingColumns)
        #expect(error?.missingColumns == [
            "Receipt", "Transaction Type", "Transaction Date", "Transaction Time", "Role On Transaction", "Account Amount",
        ])
        #expect(error?.description.contains("\"Role On Transaction\"") == true)
    }

    @Test func dateAloneOrCombinedDateTimeIsEnough() throws {
        let base = ["Receipt", "Transaction Type", "Role On Transaction", "Account Amount"]
        let combined = try TransactionColumns(header: base + ["Transaction Date Time"])
        #expect(combined.index(of: .dateTime) == 4)
        let dateOnly = try TransactionColumns(header: base + ["Transaction Date"])
        #expect(dateOnly.index(of: .date) == 4)
        #expect(throws: CSVImportError(code: .missingColumns, missingColumns: ["Transaction Date"])) {
            try TransactionColumns(header: base + ["Transaction Time"])
        }
    }

    @Test func itemIsOptionalAndUnknownColumnsAreKeptInOrder() throws {
        let header = ["Affiliate Sub ID", "Receipt", "Type", "Date", "Time", "Role", "Amount", "Notes"]
        let columns = try TransactionColumns(header: header)
        #expect(columns.index(of: .itemNo) == nil)
        #expect(columns.extraColumns == [.init(index: 0, name: "Affiliate Sub ID"), .init(index: 7, name: "Notes")])
    }

    @Test func theBetterAliasWinsAndTheOtherIsKeptAsExtra() throws {
        let header = ["Amount", "Receipt", "Type", "Transaction Type", "Date", "Time", "Role", "Account Amount"]
        let columns = try TransactionColumns(header: header)
        #expect(columns.index(of: .amount) == 7)
        #expect(columns.index(of: .transactionType) == 3)
        #expect(columns.extraColumns.map(\.name) == ["Amount", "Type"])
    }
}
