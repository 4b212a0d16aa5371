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
        // Concurrent deliveries share one transaction and one disk flush (`StoreBatcher`).
        try await self.batched(
            "storing a notification delivery", self.deliveryBatcher,
            [.bytes(tokenHash), .init(receivedAtMs), .text(contentType), .bytes(body)]
        )
    }

    static func decodeDelivery(_ rows: PGResult) throws -> StoredDeliveryWithSecrets? {
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
        let kind = notification.kind
        let eventKey = EventKeys.event(
            account: account, role: notification.role, receipt: notification.receipt,
            transactionType: notification.transactionType, instantMilliseconds: notification.transactionTime.unixMilliseconds
        )
        let parameters: [PGParameter] = [
            .text(tenant), .init(deliveryID), .text(account), .init(keyVersion), .init(notification.isTestIPN),
            .text(notification.role), .text(notification.receipt), .text(notification.transactionType),
            .init(notification.transactionTime.unixMilliseconds), .text(kind.name), .text(notification.vendor),
            Self.optional(notification.affiliate), .init(notification.transactionTime.utcOffsetMinutes),
            .text(notification.transactionTime.text), Self.optional(notification.currency),
            Self.signed(notification.totalAccountAmount, kind), Self.signed(notification.totalOrderAmount, kind),
            Self.signed(notification.totalTaxAmount, kind), Self.signed(notification.totalShippingAmount, kind),
            Self.optional(notification.paymentMethod), Self.optional(notification.upsell?.originalReceipt),
            .init(notification.attemptCount), .text(notification.version), .text(notification.documentJSON),
            .text(Self.linesJSON(notification)), .text(eventKey),
        ]
        // Concurrent recordings share one transaction (`StoreBatcher`).
        let row = try await self.batched(
            "recording a verified notification", self.verifiedBatcher,
            VerifiedRecording(tenant: tenant, account: account, deliveryID: deliveryID, eventKey: eventKey, parameters: parameters)
        )
        return RecordedNotification(
            eventID: row.eventID, duplicate: row.duplicate, isTest: notification.isTestIPN, linesInserted: row.linesInserted
        )
    }

    /// The parameters of one `cbingest_record_verified` call, its event key, and the endpoint
    /// counter row it bumps.
    struct VerifiedRecording: Sendable {
        var tenant: String
        var account: String
        var deliveryID: Int64
        var eventKey: String
        var parameters: [PGParameter]

        /// `NotificationSQL.lockCounters` for these recordings: their distinct counter rows (shard =
        /// delivery id % 16, as the function computes it) in (tenant, account, shard) order.
        static func lockCounters(_ recordings: [VerifiedRecording]) -> PGStatement {
            struct CounterRow: Hashable, Comparable {
                var tenant: String
                var account: String
                var shard: Int64

                static func < (lhs: CounterRow, rhs: CounterRow) -> Bool {
                    (lhs.tenant, lhs.account, lhs.shard) < (rhs.tenant, rhs.account, rhs.shard)
                }
            }
            let rows = Set(recordings.map { CounterRow(tenant: $0.tenant, account: $0.account, shard: $0.deliveryID % 16) })
                .sorted()
            let json = JSONValue.array(
                rows.enumerated().map { index, row in
                    .object([
                        JSONMember(key: "n", value: .number(String(index))),
                        JSONMember(key: "t", value: .string(row.tenant)),
                        JSONMember(key: "a", value: .string(row.account)),
                        JSONMember(key: "s", value: .number(String(row.shard))),
                    ])
                }
            ).jsonText
            return PGStatement(NotificationSQL.lockCounters, [.text(json)])
        }
    }

    /// One row of `cbingest_record_verified`.
    struct RecordedRow: Sendable {
        var eventID: Int64?
        var duplicate: Bool
        var linesInserted: Int

        init(_ rows: PGResult) throws {
            guard rows.rowCount == 1, let duplicate = rows.bool(row: 0, column: 1) else {
                throw IngestStoreError(code: .internal, operation: "recording a verified notification")
            }
            self.eventID = rows.int64(row: 0, column: 0)
            self.duplicate = duplicate
            self.linesInserted = rows.int(row: 0, column: 2) ?? 0
        }
    }

    /// The line items as the JSON array `cbingest_record_verified` reads (amounts signed by kind, as
    /// exact decimal numbers). A notification without line items still gets one line (item "").
    static func linesJSON(_ notification: ClickBankNotification) -> String {
        let kind = notification.kind
        func amount(_ value: ExactDecimal?) -> JSONValue {
            value.map { .number($0.withSign(negative: kind.isMoneyOut).description) } ?? .null
        }
        func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        let items = notification.lineItems.isEmpty ? [nil] : notification.lineItems.map { Optional($0) }
        // The item number is part of a line's key. Should one notification repeat an itemNo, only its first
        // line becomes a row (a second one would make the statement fail, and the delivery would then be
        // retried forever); the stored document keeps every line. `idx` stays the position in `lineItems`.
        var seenItems = Set<String>()
        let unique = items.enumerated().filter { seenItems.insert($0.element?.itemNo ?? "").inserted }
        let lines: [JSONValue] = unique.map { index, item in
            .object([
                JSONMember(key: "idx", value: .number(String(index))),
                JSONMember(key: "item_no", value: .string(item?.itemNo ?? "")),
                JSONMember(key: "product_title", value: text(item?.productTitle)),
                JSONMember(key: "line_item_type", value: text(item?.lineItemType)),
                JSONMember(key: "quantity", value: item?.quantity.map { .number(String($0)) } ?? .null),
                JSONMember(key: "account_amount", value: amount(item?.accountAmount ?? (item == nil ? notification.totalAccountAmount : nil))),
                JSONMember(key: "product_price", value: amount(item?.productPrice)),
                JSONMember(key: "tax_amount", value: amount(item?.taxAmount)),
                JSONMember(key: "shipping_amount", value: amount(item?.shippingAmount)),
                JSONMember(key: "affiliate_payout", value: amount(item?.affiliatePayout)),
                JSONMember(key: "recurring", value: item?.recurring.map { .bool($0) } ?? .null),
            ])
        }
        return JSONValue.array(lines).jsonText
    }

    /// Marks a delivery as failed verification and counts it as rejected. Same commit reasoning as
    /// `recordVerified`.
    ///
    /// Counted once: a delivery that already failed (re-verification failing again) only gets its new
    /// failure code. A delivery already verified is left as it is, so a recovery sweep that raced the
    /// original call (or verified with a key since retired) can never turn a recorded event back into
    /// a failure.
    public func recordFailed(deliveryID: Int64, tenant: String, account: String, failure: String, detail: String) async throws {
        try await self.run("recording a failed notification") { connection in
            try connection.transaction { tx in
                try tx.execute(cached: "SET LOCAL synchronous_commit = off")
                let delivery = try tx.execute(cached: NotificationSQL.lockDelivery, [.text(tenant), .init(deliveryID)])
                guard delivery.rowCount == 1, let status = delivery[0, 0], let receivedAtMs = delivery.int64(row: 0, column: 1) else {
                    throw IngestStoreError(code: .internal, operation: "recording a failure for an unknown delivery")
                }
                guard status != "verified" else {
                    return
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
}
