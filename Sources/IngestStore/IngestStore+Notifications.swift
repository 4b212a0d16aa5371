public import ClickBank
import LibPQ

extension IngestStore {
    /// Keeps a raw notification body exactly as received, before anything interprets it. This commit
    /// is durable (the normal `synchronous_commit`): the HTTP gateway answers ClickBank 200 only after it.
    public func recordDelivery(
        tenant: String, account: String, receivedAtMs: Int64, contentType: String, body: [UInt8]
    ) async throws -> Int64 {
        try await self.run("storing a notification delivery") { connection in
            let rows = try connection.execute(
                cached: NotificationSQL.insertDelivery,
                [.text(tenant), .text(account), .init(receivedAtMs), .text(contentType), .bytes(body)]
            )
            guard let id = rows.int64(row: 0, column: 0) else {
                throw IngestStoreError(code: .internal, operation: "storing a notification delivery")
            }
            return id
        }
    }

    /// The VerifyIPN hot path in one round trip and one durable commit: resolves the webhook token,
    /// keeps the raw body (before anything interprets it) and returns the secrets that may verify it,
    /// current first. `nil` for an unknown or expired token, and then nothing is stored.
    public func recordDelivery(
        tokenHash: [UInt8], receivedAtMs: Int64, contentType: String, body: [UInt8]
    ) async throws -> StoredDeliveryWithSecrets? {
        try await self.run("storing a notification delivery") { connection in
            let rows = try connection.execute(
                cached: NotificationSQL.insertDeliveryByToken,
                [.bytes(tokenHash), .init(receivedAtMs), .text(contentType), .bytes(body)]
            )
            guard rows.rowCount > 0 else { return nil }
            guard let tenant = rows[0, 0], let account = rows[0, 1], let id = rows.int64(row: 0, column: 2) else {
                throw IngestStoreError(code: .internal, operation: "decoding a delivery row")
            }
            var secrets: [SealedSecret] = []
            for row in 0..<rows.rowCount {
                guard let version = rows.int(row: row, column: 3) else { continue }  // no secret stored
                guard let masterKeyID = rows[row, 4], let sealed = rows.bytes(row: row, column: 5) else {
                    throw IngestStoreError(code: .internal, operation: "decoding a secret row")
                }
                secrets.append(
                    SealedSecret(version: version, masterKeyID: masterKeyID, sealed: sealed, validUntilMs: rows.int64(row: row, column: 6))
                )
            }
            return StoredDeliveryWithSecrets(tenant: tenant, account: account, deliveryID: id, secrets: secrets)
        }
    }

    /// Records a verified notification as one event with its line items, identified by the natural key
    /// (account, role, receipt, transaction type, instant, item). A redelivery or a concurrent duplicate
    /// finds the existing event: the unique index decides, never a check-then-insert. An event that a
    /// CSV import stored first is upgraded with the notification's richer data and marked as confirmed
    /// by the CSV. A Test IPN stores no event; it marks the endpoint as tested.
    ///
    /// The transaction commits with `synchronous_commit = off`: the raw delivery is already durable
    /// (`recordDelivery`), so if a crash loses this commit the delivery is still 'received' and the
    /// recovery sweep (`unprocessedDeliveries`) verifies it again. That saves one disk flush per
    /// notification without risking data.
    public func recordVerified(
        deliveryID: Int64, tenant: String, account: String, notification: ClickBankNotification, keyVersion: Int
    ) async throws -> RecordedNotification {
        try await self.run("recording a verified notification") { connection in
            try connection.transaction { tx in
                try tx.execute(cached: "SET LOCAL synchronous_commit = off")
                let delivery = try tx.execute(cached: NotificationSQL.lockDelivery, [.text(tenant), .init(deliveryID)])
                guard delivery.rowCount == 1, let status = delivery[0, 0], let receivedAtMs = delivery.int64(row: 0, column: 1) else {
                    throw IngestStoreError(code: .internal, operation: "recording a notification for an unknown delivery")
                }
                if status == "verified" {
                    // Already recorded (a replay raced a recovery sweep): report what it was.
                    return RecordedNotification(
                        eventID: delivery.int64(row: 0, column: 2), duplicate: true,
                        isTest: delivery.bool(row: 0, column: 4) ?? false, linesInserted: 0
                    )
                }
                var recorded = RecordedNotification(eventID: nil, duplicate: false, isTest: notification.isTestIPN, linesInserted: 0)
                if !notification.isTestIPN {
                    let (eventID, duplicate) = try Self.upsertEvent(tx, tenant: tenant, account: account, notification)
                    recorded.eventID = eventID
                    recorded.duplicate = duplicate
                    recorded.linesInserted = try Self.upsertLines(tx, tenant: tenant, account: account, eventID: eventID, notification)
                }
                try tx.execute(
                    cached: NotificationSQL.markVerified,
                    [.text(tenant), .init(deliveryID), .init(keyVersion), .init(recorded.eventID), .init(recorded.isTest), .init(recorded.duplicate)]
                )
                try tx.execute(
                    cached: NotificationSQL.countOnEndpoint,
                    [
                        .text(tenant), .text(account), .init(1), .init(status == "failed" ? -1 : 0), .init(receivedAtMs),
                        .init(recorded.isTest), .init(deliveryID),
                    ]
                )
                return recorded
            }
        }
    }

    /// Marks a delivery as failed verification and counts it as rejected. Same commit reasoning as
    /// `recordVerified`.
    public func recordFailed(deliveryID: Int64, tenant: String, account: String, failure: String, detail: String) async throws {
        try await self.run("recording a failed notification") { connection in
            try connection.transaction { tx in
                try tx.execute(cached: "SET LOCAL synchronous_commit = off")
                let delivery = try tx.execute(cached: NotificationSQL.lockDelivery, [.text(tenant), .init(deliveryID)])
                guard delivery.rowCount == 1, let status = delivery[0, 0], let receivedAtMs = delivery.int64(row: 0, column: 1) else {
                    throw IngestStoreError(code: .internal, operation: "recording a failure for an unknown delivery")
                }
                try tx.execute(cached: NotificationSQL.markFailed, [.text(tenant), .init(deliveryID), .text(failure), .text(detail)])
                if status == "received" {
                    try tx.execute(
                        cached: NotificationSQL.countOnEndpoint,
                        [.text(tenant), .text(account), .init(0), .init(1), .init(receivedAtMs), .init(false), .init(deliveryID)]
                    )
                }
            }
        }
    }

    /// Deliveries of the account that failed verification, oldest first, after `afterID`: candidates
    /// for re-verification once a (new) secret key is stored.
    public func deliveriesToReverify(tenant: String, account: String, afterID: Int64 = 0, limit: Int) async throws -> [StoredDelivery] {
        try await self.run("reading failed deliveries") { connection in
            let rows = try connection.execute(
                cached: NotificationSQL.failedDeliveries, [.text(tenant), .text(account), .init(afterID), .init(limit)]
            )
            return try (0..<rows.rowCount).map { row in
                guard let id = rows.int64(row: row, column: 0), let body = rows.bytes(row: row, column: 2),
                    let receivedAt = rows.int64(row: row, column: 3)
                else { throw IngestStoreError(code: .internal, operation: "decoding a delivery row") }
                return StoredDelivery(
                    tenant: tenant, account: account, id: id, contentType: rows[row, 1] ?? "", body: body, receivedAtMs: receivedAt
                )
            }
        }
    }

    /// Deliveries stored but never verified nor failed (the process stopped in between), older than
    /// the given age: the recovery sweep verifies them again.
    public func unprocessedDeliveries(olderThanSeconds: Int, limit: Int) async throws -> [StoredDelivery] {
        try await self.run("reading unprocessed deliveries") { connection in
            let rows = try connection.execute(cached: NotificationSQL.unprocessedDeliveries, [.init(olderThanSeconds), .init(limit)])
            return try (0..<rows.rowCount).map { row in
                guard let tenant = rows[row, 0], let account = rows[row, 1], let id = rows.int64(row: row, column: 2),
                    let body = rows.bytes(row: row, column: 4), let receivedAt = rows.int64(row: row, column: 5)
                else { throw IngestStoreError(code: .internal, operation: "decoding a delivery row") }
                return StoredDelivery(
                    tenant: tenant, account: account, id: id, contentType: rows[row, 3] ?? "", body: body, receivedAtMs: receivedAt
                )
            }
        }
    }

    // MARK: Internals

    /// Money is stored signed by the transaction kind (refunds and chargebacks negative), whatever sign
    /// ClickBank sent, so notifications and CSV rows agree.
    static func signed(_ amount: ExactDecimal?, _ kind: TransactionKind) -> PGParameter {
        guard let amount else { return .null }
        return .text(amount.withSign(negative: kind.isMoneyOut).description)
    }

    static func optional(_ text: String?) -> PGParameter {
        text.map { PGParameter.text($0) } ?? .null
    }

    private static func upsertEvent(
        _ tx: PGConnection, tenant: String, account: String, _ notification: ClickBankNotification
    ) throws -> (Int64, Bool) {
        let kind = notification.kind
        let key: [PGParameter] = [
            .text(tenant), .text(account), .text(notification.role), .text(notification.receipt),
            .text(notification.transactionType), .init(notification.transactionTime.unixMilliseconds),
        ]
        let details: [PGParameter] = [
            .text("\(kind)"), .text(notification.vendor), Self.optional(notification.affiliate),
            .init(notification.transactionTime.utcOffsetMinutes), .text(notification.transactionTime.text),
            Self.optional(notification.currency), Self.signed(notification.totalAccountAmount, kind),
            Self.signed(notification.totalOrderAmount, kind), Self.signed(notification.totalTaxAmount, kind),
            Self.signed(notification.totalShippingAmount, kind), Self.optional(notification.paymentMethod),
            Self.optional(notification.upsell?.originalReceipt), .init(notification.attemptCount),
            .text(notification.version), .text(notification.documentJSON),
        ]
        let inserted = try tx.execute(cached: NotificationSQL.insertEvent, key + details)
        if inserted.rowCount == 1, let id = inserted.int64(row: 0, column: 0) {
            return (id, false)
        }
        let existing = try tx.execute(cached: NotificationSQL.existingEvent, key)
        guard existing.rowCount == 1, let id = existing.int64(row: 0, column: 0) else {
            throw IngestStoreError(code: .internal, operation: "finding a duplicate event")
        }
        if existing[0, 1] == "csv" {
            try tx.execute(cached: NotificationSQL.upgradeCSVEvent, [.text(tenant), .init(id)] + details)
        }
        return (id, true)
    }

    private static func upsertLines(
        _ tx: PGConnection, tenant: String, account: String, eventID: Int64, _ notification: ClickBankNotification
    ) throws -> Int {
        let kind = notification.kind
        let key: [PGParameter] = [
            .text(tenant), .text(account), .text(notification.role), .text(notification.receipt),
            .text(notification.transactionType), .init(notification.transactionTime.unixMilliseconds),
        ]
        // A notification without line items still gets one line (item ""), so every event has one.
        let items = notification.lineItems.isEmpty ? [nil] : notification.lineItems.map { Optional($0) }
        var inserted = 0
        for (index, item) in items.enumerated() {
            let parameters: [PGParameter] = key + [
                .text(item?.itemNo ?? ""), .init(eventID), Self.optional(item?.productTitle), Self.optional(item?.lineItemType),
                item?.quantity.map { .init($0) } ?? .null, Self.signed(item?.accountAmount ?? notification.totalAccountAmount, kind),
                Self.signed(item?.productPrice, kind), Self.signed(item?.taxAmount, kind), Self.signed(item?.shippingAmount, kind),
                Self.signed(item?.affiliatePayout, kind), item?.recurring.map { .init($0) } ?? .null, .init(index),
            ]
            let rows = try tx.execute(cached: NotificationSQL.upsertLine, parameters)
            if rows.rowCount == 1, rows.bool(row: 0, column: 0) == true { inserted += 1 }
        }
        return inserted
    }
}
