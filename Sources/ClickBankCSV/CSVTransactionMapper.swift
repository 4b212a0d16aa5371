import ClickBank

/// Turns the records after a header into typed transactions, one row at a time.
///
/// A row that can't be read becomes a `CSVRowRejection` with its line and a reason; the caller goes on
/// with the next row. Cells are trimmed of surrounding spaces, and an empty optional cell becomes nil.
public struct CSVTransactionMapper: Sendable {
    public let columns: TransactionColumns
    public let timeZoneIdentifier: String

    private var clock: ZoneClock
    /// Written type -> (code, kind) and written role -> role: exports repeat a handful of values.
    private var typeCache: [String: (code: String, kind: TransactionKind)] = [:]
    private var roleCache: [String: String] = [:]
    /// The previous row's type: consecutive rows mostly share it, and comparing is cheaper than hashing.
    private var lastType: (written: String, info: (code: String, kind: TransactionKind)) = ("", ("", .unknown))
    private let extras: [TransactionColumns.ExtraColumn]
    private let column: [Int]

    public init(columns: TransactionColumns, configuration: CSVImportConfiguration = .init()) throws(CSVImportError) {
        guard let clock = ZoneClock(identifier: configuration.timeZoneIdentifier) else {
            throw CSVImportError(code: .unknownTimeZone, timeZoneIdentifier: configuration.timeZoneIdentifier)
        }
        self.columns = columns
        self.timeZoneIdentifier = configuration.timeZoneIdentifier
        self.clock = clock
        self.extras = columns.extraColumns
        self.column = TransactionField.allCases.map { columns.index(of: $0) ?? -1 }
    }

    public mutating func map(_ record: CSVRecord) -> Result<CSVTransaction, CSVRowRejection> {
        let line = record.line
        let fields: [String]
        switch record.content {
        case .fields(let read):
            fields = read
        case .failure(let error):
            return .failure(CSVRowRejection(line: line, code: .unreadableRecord, reason: error.description))
        }
        guard fields.count == self.columns.header.count else {
            let reason = "row has \(fields.count) fields but the header has \(self.columns.header.count)"
            return .failure(CSVRowRejection(line: line, code: .fieldCountMismatch, reason: reason))
        }

        guard let receipt = self.value(.receipt, fields) else {
            return .failure(self.missing(.receipt, line))
        }
        guard let transactionType = self.value(.transactionType, fields) else {
            return .failure(self.missing(.transactionType, line))
        }
        guard let writtenRole = self.value(.role, fields) else {
            return .failure(self.missing(.role, line))
        }
        let instant: CSVTransaction.Instant
        switch self.instant(fields, line) {
        case .success(let found):
            instant = found
        case .failure(let rejection):
            return .failure(rejection)
        }

        let (typeCode, kind) = self.typeInfo(transactionType)
        let negative = kind.isMoneyOut
        guard let amountText = self.value(.amount, fields) else {
            return .failure(self.missing(.amount, line))
        }
        guard let amount = MoneyText(amountText) else {
            return .failure(self.badAmount(.amount, amountText, line))
        }
        let orderAmount: ExactDecimal?
        let taxAmount: ExactDecimal?
        let shippingAmount: ExactDecimal?
        switch (
            self.optionalAmount(.orderAmount, fields, negative, line),
            self.optionalAmount(.taxAmount, fields, negative, line),
            self.optionalAmount(.shippingAmount, fields, negative, line)
        ) {
        case (.success(let order), .success(let tax), .success(let shipping)):
            (orderAmount, taxAmount, shippingAmount) = (order, tax, shipping)
        case (.failure(let rejection), _, _), (_, .failure(let rejection), _), (_, _, .failure(let rejection)):
            return .failure(rejection)
        }

        let role: String
        if let cached = self.roleCache[writtenRole] {
            role = cached
        } else {
            role = TransactionVocabulary.role(for: writtenRole)
            self.roleCache[writtenRole] = role
        }

        return .success(CSVTransaction(
            line: line,
            receipt: receipt,
            transactionType: transactionType,
            transactionTypeCode: typeCode,
            kind: kind,
            role: role,
            vendor: self.value(.vendor, fields),
            affiliate: self.value(.affiliate, fields),
            itemNo: self.value(.itemNo, fields) ?? "",
            productTitle: self.value(.productTitle, fields),
            lineItemType: self.value(.lineItemType, fields),
            paymentMethod: self.value(.paymentMethod, fields),
            instant: instant,
            amount: amount.magnitude.withSign(negative: negative),
            orderAmount: orderAmount,
            taxAmount: taxAmount,
            shippingAmount: shippingAmount,
            currency: self.value(.currency, fields)?.uppercased() ?? amount.currency,
            trackingID: self.value(.trackingID, fields),
            customer: CSVTransaction.Customer(
                firstName: self.value(.customerFirstName, fields),
                lastName: self.value(.customerLastName, fields),
                fullName: self.value(.customerFullName, fields),
                email: self.value(.customerEmail, fields),
                city: self.value(.city, fields),
                state: self.value(.state, fields),
                country: self.value(.country, fields),
                postalCode: self.value(.postalCode, fields)
            ),
            upsellOriginalReceipt: self.value(.upsellOriginalReceipt, fields),
            extraColumns: self.extras.map { CSVTransaction.ExtraColumn(name: $0.name, value: fields[$0.index]) }
        ))
    }

    // MARK: - Cells

    /// The trimmed cell of a field, nil when the column is absent or the cell blank.
    private func value(_ field: TransactionField, _ fields: [String]) -> String? {
        let index = self.column[field.rawValue]
        guard index >= 0 else { return nil }
        return Self.trimmed(fields[index])
    }

    /// An optional amount column: nil when absent or blank, signed like the account amount.
    private func optionalAmount(
        _ field: TransactionField,
        _ fields: [String],
        _ negative: Bool,
        _ line: Int
    ) -> Result<ExactDecimal?, CSVRowRejection> {
        guard let text = self.value(field, fields) else {
            return .success(nil)
        }
        guard let parsed = MoneyText(text) else {
            return .failure(self.badAmount(field, text, line))
        }
        return .success(parsed.magnitude.withSign(negative: negative))
    }

    private static func trimmed(_ cell: String) -> String? {
        let utf8 = cell.utf8
        let count = utf8.count
        guard count > 0 else { return nil }
        // Offsetting from the start is O(1) for native strings and cheaper than `last`.
        let first = utf8[utf8.startIndex]
        let last = utf8[utf8.index(utf8.startIndex, offsetBy: count - 1)]
        // Fast path: printable ASCII at both ends means nothing to trim.
        if first > 0x20, first < 0x7F, last > 0x20, last < 0x7F {
            return cell
        }
        guard let start = cell.firstIndex(where: { !$0.isWhitespace }),
              let end = cell.lastIndex(where: { !$0.isWhitespace })
        else { return nil }
        return String(cell[start...end])
    }

    private mutating func typeInfo(_ written: String) -> (code: String, kind: TransactionKind) {
        if written == self.lastType.written {
            return self.lastType.info
        }
        if let cached = self.typeCache[written] {
            self.lastType = (written, cached)
            return cached
        }
        let code = TransactionVocabulary.typeCode(for: written)
        let info = (code: code, kind: TransactionKind(transactionType: code))
        self.typeCache[written] = info
        return info
    }

    // MARK: - Time

    private mutating func instant(_ fields: [String], _ line: Int) -> Result<CSVTransaction.Instant, CSVRowRejection> {
        let local: LocalDateTime
        let dateField: TransactionField
        if self.column[TransactionField.dateTime.rawValue] >= 0 || self.column[TransactionField.time.rawValue] < 0 {
            // One column with both; a date column without a time column is read the same way.
            dateField = self.column[TransactionField.dateTime.rawValue] >= 0 ? .dateTime : .date
            guard let text = self.value(dateField, fields) else {
                return .failure(self.missing(dateField, line))
            }
            switch LocalDateTime.parseCombined(text) {
            case .success(let parsed):
                local = parsed
            case .failure(.date):
                return .failure(self.badDate(dateField, text, line))
            case .failure(.time):
                let reason = "\(self.name(dateField)) \(CSVRowRejection.safeQuote(text)) has no valid time of day "
                    + "(expected e.g. 2024-03-05 14:03:27 or 03/05/2024 2:03:27 PM)"
                return .failure(CSVRowRejection(line: line, code: .invalidTime, column: self.name(dateField), reason: reason))
            }
        } else {
            dateField = .date
            guard let dateText = self.value(.date, fields) else {
                return .failure(self.missing(.date, line))
            }
            guard let timeText = self.value(.time, fields) else {
                return .failure(self.missing(.time, line))
            }
            guard let day = LocalDateTime.parseDate(dateText) else {
                return .failure(self.badDate(.date, dateText, line))
            }
            guard let time = LocalDateTime.parseTime(timeText) else {
                let reason = "\(self.name(.time)) \(CSVRowRejection.safeQuote(timeText)) is not a time of day "
                    + "(expected e.g. 14:03:27 or 2:03:27 PM)"
                return .failure(CSVRowRejection(line: line, code: .invalidTime, column: self.name(.time), reason: reason))
            }
            local = LocalDateTime(
                epochDay: day, secondOfDay: time.seconds, millisecond: time.millisecond, explicitOffsetMinutes: time.offset
            )
        }

        if let offsetMinutes = local.explicitOffsetMinutes {
            let seconds = Int64(local.epochDay) * 86_400 + Int64(local.secondOfDay) - Int64(offsetMinutes) * 60
            return .success(.init(unixMilliseconds: seconds * 1000 + Int64(local.millisecond), utcOffsetMinutes: offsetMinutes))
        }
        guard let resolved = self.clock.resolve(epochDay: local.epochDay, secondOfDay: local.secondOfDay) else {
            let reason = "\(self.name(dateField)) and time \(self.describe(local)) do not exist in "
                + "\(self.timeZoneIdentifier): the clocks skipped that hour for daylight saving time"
            return .failure(CSVRowRejection(
                line: line, code: .nonexistentLocalTime, column: self.name(dateField), reason: reason
            ))
        }
        return .success(.init(
            unixMilliseconds: resolved.unixSeconds * 1000 + Int64(local.millisecond),
            utcOffsetMinutes: resolved.offsetSeconds / 60
        ))
    }

    /// `2024-03-10 02:30:00`, for messages.
    private func describe(_ local: LocalDateTime) -> String {
        // Civil from days (Howard Hinnant's civil_from_days).
        let z = local.epochDay + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let seconds = local.secondOfDay
        return "\(year)-\(two(month))-\(two(day)) \(two(seconds / 3600)):\(two(seconds / 60 % 60)):\(two(seconds % 60))"
    }

    // MARK: - Rejections

    private func name(_ field: TransactionField) -> String {
        self.columns.headerName(of: field) ?? field.expectedName
    }

    private func missing(_ field: TransactionField, _ line: Int) -> CSVRowRejection {
        CSVRowRejection(line: line, code: .missingValue, column: self.name(field), reason: "\(self.name(field)) is empty")
    }

    private func badDate(_ field: TransactionField, _ text: String, _ line: Int) -> CSVRowRejection {
        let reason = "\(self.name(field)) \(CSVRowRejection.safeQuote(text)) is not a date "
            + "(expected e.g. 2024-03-05 or 03/05/2024, month first)"
        return CSVRowRejection(line: line, code: .invalidDate, column: self.name(field), reason: reason)
    }

    private func badAmount(_ field: TransactionField, _ text: String, _ line: Int) -> CSVRowRejection {
        let reason = "\(self.name(field)) \(CSVRowRejection.safeQuote(text)) is not an amount "
            + "(expected e.g. 1,234.50, $47.00 or (47.00); a decimal comma is not accepted)"
        return CSVRowRejection(line: line, code: .invalidAmount, column: self.name(field), reason: reason)
    }
}
