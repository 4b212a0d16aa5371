/// Where each understood field sits in a Transactions export, found from its header line.
///
/// Required: Receipt, Transaction Type, Role On Transaction, Account Amount, and the time of the event:
/// either Transaction Date and Transaction Time, or one combined date-time column. A Transaction Date
/// column without a time column is read as a combined column (rows whose value lacks a time are rejected).
/// Everything else is optional: a missing Item gives item "" (the IPN identity's value for "no line item").
/// Columns that match no field are kept, in file order, as extra columns of every row.
public struct TransactionColumns: Sendable, Hashable {
    /// One header column that matches no field.
    public struct ExtraColumn: Sendable, Hashable {
        public var index: Int
        public var name: String

        public init(index: Int, name: String) {
            self.index = index
            self.name = name
        }
    }

    /// The header as written.
    public let header: [String]
    public let extraColumns: [ExtraColumn]
    /// Column index per `TransactionField.rawValue`; -1 when absent.
    private let indexes: [Int]

    public init(header: [String]) throws(CSVImportError) {
        var indexes = [Int](repeating: -1, count: TransactionField.allCases.count)
        var ranks = [Int](repeating: Int.max, count: TransactionField.allCases.count)
        var claimed = [Bool](repeating: false, count: header.count)
        let lookup = Self.aliasLookup
        for (column, name) in header.enumerated() {
            guard let (field, rank) = lookup[TransactionField.normalizedHeaderName(name)] else {
                continue
            }
            // The better alias wins; on a tie, the first column.
            if rank < ranks[field.rawValue] {
                if indexes[field.rawValue] >= 0 {
                    claimed[indexes[field.rawValue]] = false
                }
                indexes[field.rawValue] = column
                ranks[field.rawValue] = rank
                claimed[column] = true
            }
        }
        var missing: [TransactionField] = []
        for field in [TransactionField.receipt, .transactionType] where indexes[field.rawValue] < 0 {
            missing.append(field)
        }
        if indexes[TransactionField.dateTime.rawValue] < 0 {
            if indexes[TransactionField.date.rawValue] < 0 {
                missing.append(.date)
                if indexes[TransactionField.time.rawValue] < 0 {
                    missing.append(.time)
                }
            }
        }
        for field in [TransactionField.role, .amount] where indexes[field.rawValue] < 0 {
            missing.append(field)
        }
        if !missing.isEmpty {
            throw CSVImportError(code: .missingColumns, missingColumns: missing.map(\.expectedName))
        }
        self.header = header
        self.indexes = indexes
        self.extraColumns = header.enumerated().compactMap { column, name in
            claimed[column] ? nil : ExtraColumn(index: column, name: name)
        }
    }

    /// From the parser's first record.
    public init(headerRecord record: CSVRecord) throws(CSVImportError) {
        switch record.content {
        case .fields(let fields):
            try self.init(header: fields)
        case .failure(let error):
            throw CSVImportError(code: .unreadableHeader, recordError: error)
        }
    }

    /// The column index of a field, or nil when the header has no such column.
    public func index(of field: TransactionField) -> Int? {
        let index = self.indexes[field.rawValue]
        return index >= 0 ? index : nil
    }

    /// The header name a field was found under.
    public func headerName(of field: TransactionField) -> String? {
        self.index(of: field).map { self.header[$0] }
    }

    /// Normalised alias -> (field, rank), built once.
    private static let aliasLookup: [String: (TransactionField, Int)] = {
        var lookup: [String: (TransactionField, Int)] = [:]
        for field in TransactionField.allCases {
            for (rank, alias) in field.aliases.enumerated() {
                precondition(lookup[alias] == nil, "alias \(alias) is listed twice")
                lookup[alias] = (field, rank)
            }
        }
        return lookup
    }()
}
