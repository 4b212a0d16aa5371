import LibPQ

/// Reads over stored notifications: events, their lines and kept deliveries. Every query filters on the
/// tenant first, so one tenant's reads never see another tenant's rows.
extension IngestStore {
    /// How many events the account has (from notifications and CSV imports).
    public func eventCount(tenant: String, account: String) async throws -> Int {
        try await self.run("counting events") { connection in
            let rows = try connection.execute(cached: NotificationSQL.eventCount, [.text(tenant), .text(account)])
            guard let count = rows.int(row: 0, column: 0) else {
                throw IngestStoreError(code: .internal, operation: "counting events")
            }
            return count
        }
    }

    /// The account's events, oldest id first, at most `limit`.
    public func events(tenant: String, account: String, limit: Int = 1000) async throws -> [StoredEvent] {
        try await self.run("reading events") { connection in
            let rows = try connection.execute(
                cached: NotificationSQL.events, [.text(tenant), .text(account), .init(max(0, limit))]
            )
            return try (0..<rows.rowCount).map { row in
                guard let id = rows.int64(row: row, column: 0), let account = rows[row, 1], let role = rows[row, 2],
                    let receipt = rows[row, 3], let type = rows[row, 4], let timeMs = rows.int64(row: row, column: 5),
                    let kind = rows[row, 6], let source = rows[row, 7], let lineCount = rows.int(row: row, column: 12)
                else {
                    throw IngestStoreError(code: .internal, operation: "decoding an event row")
                }
                return StoredEvent(
                    id: id, account: account, role: role, receipt: receipt, transactionType: type,
                    transactionTimeMs: timeMs, kind: kind, source: source,
                    csvConfirmedAtMs: rows.int64(row: row, column: 8), currency: rows[row, 9],
                    totalAccountAmount: rows[row, 10], attemptCount: rows.int(row: row, column: 11),
                    lineCount: lineCount
                )
            }
        }
    }

    /// The line items stored under one receipt of the account (all its events), in key order.
    public func eventLines(tenant: String, account: String, receipt: String) async throws -> [StoredEventLine] {
        try await self.run("reading event lines") { connection in
            let rows = try connection.execute(
                cached: NotificationSQL.eventLines, [.text(tenant), .text(account), .text(receipt)]
            )
            return try (0..<rows.rowCount).map { row in
                guard let eventID = rows.int64(row: row, column: 0), let type = rows[row, 1],
                    let timeMs = rows.int64(row: row, column: 2), let itemNo = rows[row, 3], let source = rows[row, 7]
                else {
                    throw IngestStoreError(code: .internal, operation: "decoding an event line row")
                }
                return StoredEventLine(
                    eventID: eventID, transactionType: type, transactionTimeMs: timeMs, itemNo: itemNo,
                    lineItemType: rows[row, 4], quantity: rows.int(row: row, column: 5), accountAmount: rows[row, 6],
                    source: source, csvConfirmedAtMs: rows.int64(row: row, column: 8)
                )
            }
        }
    }

    /// The state of one kept delivery; `nil` if the tenant has no delivery with that id.
    public func deliveryState(tenant: String, deliveryID: Int64) async throws -> StoredDeliveryState? {
        try await self.run("reading a delivery") { connection in
            let rows = try connection.execute(cached: NotificationSQL.deliveryState, [.text(tenant), .init(deliveryID)])
            guard rows.rowCount > 0 else {
                return nil
            }
            guard let id = rows.int64(row: 0, column: 0), let account = rows[0, 1], let status = rows[0, 2],
                let receivedAt = rows.int64(row: 0, column: 3), let isTest = rows.bool(row: 0, column: 8)
            else {
                throw IngestStoreError(code: .internal, operation: "decoding a delivery row")
            }
            return StoredDeliveryState(
                id: id, account: account, status: status, receivedAtMs: receivedAt, failure: rows[0, 4],
                failureDetail: rows[0, 5], keyVersion: rows.int(row: 0, column: 6),
                eventID: rows.int64(row: 0, column: 7), isTest: isTest, duplicate: rows.bool(row: 0, column: 9),
                processedAtMs: rows.int64(row: 0, column: 10)
            )
        }
    }
}
