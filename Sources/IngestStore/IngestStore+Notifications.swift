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

    /// Resolves the webhook token, keeps the raw body (before anything interprets it) in one round trip
    /// and one durable commit, and returns the secrets that may verify it, current first. `nil` for an
    /// unknown or expired token, and then nothing is stored. Nothing is verified or recorded.
    public func recordDelivery(
        tokenHash: [UInt8], receivedAtMs: Int64, contentType: String, body: [UInt8]
    ) async throws -> StoredDeliveryWithSecrets? {
        struct StoreOnly: Error {}
        return try await self.recordDelivery(
            tokenHash: tokenHash, receivedAtMs: receivedAtMs, contentType: contentType, body: body,
            verifyingWith: { _ in throw StoreOnly() }
        )?.stored
    }

    /// The VerifyIPN hot path: keeps the raw body as `recordDelivery(tokenHash:…)` does, then, once that
    /// commit is durable, hands the stored delivery to `verify` and records what it verified, all in
    /// one job on one database connection. Concurrent deliveries share the job: one statement and one
    /// durable commit for their bodies, one statement and one commit for their recordings
    /// (`StoreBatcher`), with no thread hand-off between the two.
    ///
    /// `verify` runs on a database thread while the job holds its connection: it must be quick and
    /// must not wait for anything (decrypting and parsing one body is). It throws when the
    /// notification doesn't verify; nothing is then recorded, and the caller records the failure.
    ///
    /// The job's recording gives up on any error, and on a lock held by another writer for more
    /// than 100 ms (`NotificationSQL.recordingInDeliveryJobPlanning`), so that storing bodies never
    /// waits behind it: such a recording is written again through the recording batcher
    /// (`recordVerified`), which waits for locks. (Should the job's commit have been lost with its
    /// connection after all, that finds the delivery verified and returns what was recorded.) If
    /// that fails too, this throws; the delivery stays stored, and the recovery sweep takes it.
    public func recordDelivery(
        tokenHash: [UInt8], receivedAtMs: Int64, contentType: String, body: [UInt8],
        verifyingWith verify: @escaping @Sendable (StoredDeliveryWithSecrets) throws -> VerifiedNotification
    ) async throws -> DeliveryOutcome? {
        let written = try await self.batched(
            "storing a notification delivery", self.deliveryBatcher,
            IncomingDelivery(tokenHash: tokenHash, receivedAtMs: receivedAtMs, contentType: contentType, body: body, verify: verify)
        )
        guard let written else { return nil }
        var outcome = DeliveryOutcome(stored: written.stored, verification: written.verification, recorded: nil)
        guard case .success(let verified) = written.verification else { return outcome }
        if case .success(let row) = written.recorded {
            outcome.recorded = row.recorded(isTest: verified.notification.isTestIPN)
        } else {
            outcome.recorded = try await self.recordVerified(
                deliveryID: written.stored.deliveryID, tenant: written.stored.tenant, account: written.stored.account,
                notification: verified.notification, keyVersion: verified.keyVersion
            )
        }
        return outcome
    }

    /// One delivery for `NotificationSQL.insertDeliveries`, and what to verify it with once stored.
    struct IncomingDelivery: Sendable {
        var tokenHash: [UInt8]
        var receivedAtMs: Int64
        var contentType: String
        var body: [UInt8]
        var verify: @Sendable (StoredDeliveryWithSecrets) throws -> VerifiedNotification

        /// What became of one stored delivery in `writeAndRecord`.
        struct Written: Sendable {
            var stored: StoredDeliveryWithSecrets
            var verification: Result<VerifiedNotification, any Error>
            /// nil unless verified; a failure is written again by `recordVerified`.
            var recorded: Result<RecordedRow, any Error>?
        }

        /// Stores deliveries (each alone should the batch fail, see `eachAloneOnFailure`), verifies
        /// each stored one, and records the verified ones (`VerifiedRecording.write`, one attempt for
        /// the batch, with a lock timeout): two transactions on this connection, the first durable.
        static func writeAndRecord(_ connection: PGConnection, _ deliveries: [IncomingDelivery]) -> [Result<Written?, any Error>] {
            let stored = StoreBatcher<IncomingDelivery, StoredDeliveryWithSecrets?>.eachAloneOnFailure(Self.write)(connection, deliveries)
            var written = zip(deliveries, stored).map { delivery, result in
                result.map { row in row.map { stored in Written(stored: stored, verification: Result { try delivery.verify(stored) }) } }
            }
            // The verified ones, by their place in the batch.
            let verified = written.indices.compactMap { index -> (index: Int, recording: VerifiedRecording)? in
                guard case .success(let delivery?) = written[index], case .success(let notification) = delivery.verification else {
                    return nil
                }
                let recording = VerifiedRecording(
                    deliveryID: delivery.stored.deliveryID, tenant: delivery.stored.tenant, account: delivery.stored.account,
                    notification: notification.notification, keyVersion: notification.keyVersion
                )
                return (index, recording)
            }
            guard !verified.isEmpty else { return written }
            let recorded: [Result<RecordedRow, any Error>]
            do throws(PGError) {
                recorded = try VerifiedRecording.write(
                    connection, verified.map(\.recording), planning: NotificationSQL.recordingInDeliveryJobPlanning
                )
            } catch {
                recorded = verified.map { _ in .failure(error) }
            }
            for ((index, _), row) in zip(verified, recorded) {
                if case .success(var delivery?) = written[index] {
                    delivery.recorded = row
                    written[index] = .success(delivery)
                }
            }
            return written
        }

        /// Stores deliveries with one statement (after the planning settings, in one transaction) and
        /// returns each one's row.
        static func write(_ connection: PGConnection, _ deliveries: [IncomingDelivery]) throws(PGError) -> [Result<StoredDeliveryWithSecrets?, any Error>] {
            let results = try connection.executeBatch([
                PGStatement(NotificationSQL.hotPathPlanning),
                PGStatement(
                    NotificationSQL.insertDeliveries,
                    [
                        .byteaArray(deliveries.map(\.tokenHash)), .array(deliveries.map { String($0.receivedAtMs) }),
                        .array(deliveries.map(\.contentType)), .byteaArray(deliveries.map(\.body)),
                    ]
                ),
            ])
            let rows = results[1]
            var rowsByDelivery = [[Int]](repeating: [], count: deliveries.count)
            for row in 0..<rows.rowCount {
                guard let n = rows.int(row: row, column: 0), (1...deliveries.count).contains(n) else {
                    return deliveries.map { _ in .failure(IngestStoreError(code: .internal, operation: "decoding a delivery row")) }
                }
                rowsByDelivery[n - 1].append(row)
            }
            return rowsByDelivery.map { rowNumbers in Result { try IngestStore.decodeDelivery(rows, rows: rowNumbers) } }
        }
    }

    /// A delivery's rows of `insertDeliveries` (nil when there are none: an unknown token).
    static func decodeDelivery(_ result: PGResult, rows: [Int]) throws -> StoredDeliveryWithSecrets? {
        guard let first = rows.first else { return nil }
        guard let tenant = result[first, 1], let account = result[first, 2], let id = result.int64(row: first, column: 3) else {
            throw IngestStoreError(code: .internal, operation: "decoding a delivery row")
        }
        var secrets: [SealedSecret] = []
        for row in rows {
            guard let version = result.int(row: row, column: 4) else { continue }  // no secret stored
            guard let masterKeyID = result[row, 5], let sealed = result.bytes(row: row, column: 6) else {
                throw IngestStoreError(code: .internal, operation: "decoding a secret row")
            }
            secrets.append(
                SealedSecret(version: version, masterKeyID: masterKeyID, sealed: sealed, validUntilMs: result.int64(row: row, column: 7))
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
        let recording = VerifiedRecording(
            deliveryID: deliveryID, tenant: tenant, account: account, notification: notification, keyVersion: keyVersion
        )
        // Concurrent recordings share one transaction (`StoreBatcher`, `NotificationSQL.recordBatch`).
        let row = try await self.batched("recording a verified notification", self.verifiedBatcher, recording)
        return row.recorded(isTest: notification.isTestIPN)
    }

    /// One recording as `NotificationSQL.recordBatch` takes it: the text form of
    /// each of its columns ($1-$25) and of each of its line items ($27-$37, after $26 naming the recording).
    struct VerifiedRecording: Sendable {
        var tenant: String
        var deliveryID: Int64
        var columns: [String?]
        var lines: [[String?]]

        init(deliveryID: Int64, tenant: String, account: String, notification: ClickBankNotification, keyVersion: Int) {
            let kind = notification.kind
            let time = notification.transactionTime
            // Money is stored signed by the transaction kind (refunds and chargebacks negative), whatever
            // sign ClickBank sent, so notifications and CSV rows agree.
            func signed(_ amount: ExactDecimal?) -> String? {
                amount.map { $0.withSign(negative: kind.isMoneyOut).description }
            }
            let key = EventKeys.event(
                account: account, role: notification.role, receipt: notification.receipt,
                transactionType: notification.transactionType, instantMilliseconds: time.unixMilliseconds
            )
            self.tenant = tenant
            self.deliveryID = deliveryID
            self.columns = [
                tenant, String(deliveryID), account, String(keyVersion), notification.isTestIPN ? "true" : "false",
                notification.role, notification.receipt, notification.transactionType, String(time.unixMilliseconds),
                kind.name, notification.vendor, notification.affiliate, String(time.utcOffsetMinutes), time.text,
                notification.currency, signed(notification.totalAccountAmount), signed(notification.totalOrderAmount),
                signed(notification.totalTaxAmount), signed(notification.totalShippingAmount), notification.paymentMethod,
                notification.upsell?.originalReceipt, String(notification.attemptCount), notification.version,
                notification.documentJSON, key,
            ]
            // A notification without line items still gets one line (item "") carrying the total. The item
            // number is part of a line's key: should one notification repeat an itemNo, only its first line
            // becomes a row (a second would fail the statement, and the delivery would then be retried
            // forever); the stored document keeps every line. The first column is the item's position in
            // `lineItems`, where the statement finds its payment plan in the document.
            let items = notification.lineItems.isEmpty ? [nil] : notification.lineItems.map { Optional($0) }
            var seenItems = Set<String>()
            self.lines = items.enumerated().filter { seenItems.insert($0.element?.itemNo ?? "").inserted }.map { index, item in
                [
                    String(index), item?.itemNo ?? "", item?.productTitle, item?.lineItemType, item?.quantity.map { String($0) },
                    signed(item?.accountAmount ?? (item == nil ? notification.totalAccountAmount : nil)),
                    signed(item?.productPrice), signed(item?.taxAmount), signed(item?.shippingAmount),
                    signed(item?.affiliatePayout), item?.recurring.map { $0 ? "true" : "false" },
                ]
            }
        }

        /// The recording statements' parameters for these recordings: one array per column.
        static func parameters(_ recordings: [VerifiedRecording]) -> [PGParameter] {
            let lines = recordings.enumerated().flatMap { index, recording in
                recording.lines.map { [String(index + 1)] + $0 }
            }
            return (0..<25).map { column in .array(recordings.map { $0.columns[column] }) }  // $1-$25
                + (0..<12).map { column in .array(lines.map { $0[column] }) }  // $26-$37
        }

        /// How many times a recording is written again when another transaction committed its event
        /// meanwhile (`NotificationSQL.recordBatch`). Once is enough unless yet another transaction
        /// commits an event of the same batch in between.
        static let attemptsWhileEventsRace = 4

        /// Writes recordings: one transaction, then another for those whose event another transaction
        /// committed while the first ran (each time they are fewer), and so on.
        static func write(
            _ connection: PGConnection, _ recordings: [VerifiedRecording], planning: String = NotificationSQL.recordingPlanning
        ) throws(PGError) -> [Result<RecordedRow, any Error>] {
            var rows = [Result<RecordedRow, any Error>](
                // Left only if the event kept being committed by others: the delivery is kept, and the
                // caller's retry or the recovery sweep records it.
                repeating: .failure(
                    IngestStoreError(code: .unavailable, operation: "recording a notification whose event other transactions kept writing")
                ),
                count: recordings.count
            )
            var pending = Array(recordings.indices)
            for attempt in 0..<Self.attemptsWhileEventsRace where !pending.isEmpty {
                let written: [Result<RecordedRow, any Error>]
                do throws(PGError) {
                    written = try Self.writeOnce(connection, pending.map { recordings[$0] }, planning: planning)
                } catch where attempt > 0 {
                    // The first attempt committed the others: only those written again fail.
                    for index in pending { rows[index] = .failure(error) }
                    return rows
                }
                var again: [Int] = []
                for (position, index) in pending.enumerated() {
                    if case .success(let row) = written[position], row.recordAgain {
                        again.append(index)
                    } else {
                        rows[index] = written[position]
                    }
                }
                pending = again
            }
            return rows
        }

        /// Writes recordings in one transaction: the recording statement for the first call of each
        /// delivery, then, should a delivery be named more than once (a replay racing the recovery
        /// sweep), once more per repeat, which finds the delivery recorded and changes nothing.
        static func writeOnce(
            _ connection: PGConnection, _ recordings: [VerifiedRecording], planning: String
        ) throws(PGError) -> [Result<RecordedRow, any Error>] {
            struct Delivery: Hashable {
                var tenant: String
                var id: Int64
            }
            var occurrences: [Delivery: Int] = [:]
            var rounds: [[Int]] = []
            for (index, recording) in recordings.enumerated() {
                let round = occurrences[Delivery(tenant: recording.tenant, id: recording.deliveryID), default: 0]
                occurrences[Delivery(tenant: recording.tenant, id: recording.deliveryID)] = round + 1
                if round == rounds.count { rounds.append([]) }
                rounds[round].append(index)
            }
            let statements = rounds.map { round in
                PGStatement(NotificationSQL.recordBatch, Self.parameters(round.map { recordings[$0] }))
            }
            // The planning settings come first (their result is dropped), then one result per round.
            let results = Array(try connection.executeBatch([PGStatement(planning)] + statements).dropFirst())
            var rows = [Result<RecordedRow, any Error>](
                repeating: .failure(IngestStoreError(code: .internal, operation: "recording a verified notification")),
                count: recordings.count
            )
            for (round, result) in zip(rounds, results) where result.rowCount == round.count {
                for (row, index) in round.enumerated() {
                    rows[index] = Result { try RecordedRow(result, row: row) }
                }
            }
            return rows
        }
    }

    /// One row of `NotificationSQL.recordBatch`.
    struct RecordedRow: Sendable {
        var eventID: Int64?
        var duplicate: Bool
        var linesInserted: Int
        /// Nothing was written: another transaction committed the event meanwhile.
        var recordAgain: Bool

        init(_ rows: PGResult, row: Int) throws {
            guard rows[row, 1] != nil else {
                // The delivery doesn't exist (under this tenant): nothing was recorded for it.
                throw IngestStoreError(code: .internal, operation: "recording a verified notification of an unknown delivery")
            }
            guard let duplicate = rows.bool(row: row, column: 3), let recordAgain = rows.bool(row: row, column: 5) else {
                throw IngestStoreError(code: .internal, operation: "recording a verified notification")
            }
            self.eventID = rows.int64(row: row, column: 2)
            self.duplicate = duplicate
            self.linesInserted = rows.int(row: row, column: 4) ?? 0
            self.recordAgain = recordAgain
        }

        func recorded(isTest: Bool) -> RecordedNotification {
            RecordedNotification(eventID: self.eventID, duplicate: self.duplicate, isTest: isTest, linesInserted: self.linesInserted)
        }
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
                // Planned like the recordings, committed like them without waiting for the disk flush.
                try tx.execute(cached: NotificationSQL.recordingPlanning)
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
}
