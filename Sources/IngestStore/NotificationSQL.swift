/// Statements of the notification store (IngestStore+Notifications.swift). Constants with bind
/// parameters only, prepared once per connection.
enum NotificationSQL {
    /// Keeps a raw body (creating the endpoint row when the caller named tenant and account directly).
    static let insertDelivery = """
        WITH endpoint AS (
            INSERT INTO webhook_endpoints (tenant_id, account) VALUES ($1, $2) ON CONFLICT DO NOTHING
        )
        INSERT INTO ipn_deliveries (tenant_id, account, received_at, content_type, body)
        VALUES ($1, $2, to_timestamp($3::float8 / 1000), $4, $5)
        RETURNING id
        """

    /// One round trip for a verified notification: migration 4's `cbingest_record_verified`.
    static let recordVerified = """
        SELECT o_event_id, o_duplicate, o_lines_inserted, o_already FROM cbingest_record_verified(
            $1, $2::int8, $3, $4::int4, $5::bool, $6, $7, $8, $9::int8, $10, $11, $12, $13::int4, $14, $15,
            $16::numeric, $17::numeric, $18::numeric, $19::numeric, $20, $21, $22::int4, $23, $24::jsonb, $25::jsonb,
            $26::uuid)
        """

    /// Locks the delivery so a replay and a recovery sweep can't both record it.
    static let lockDelivery = """
        SELECT status, floor(extract(epoch FROM received_at) * 1000)::int8, event_id, duplicate, is_test
        FROM ipn_deliveries WHERE tenant_id = $1 AND id = $2 FOR UPDATE
        """

    static let markFailed = """
        UPDATE ipn_deliveries SET status = 'failed', failure = $3, failure_detail = $4, processed_at = now()
        WHERE tenant_id = $1 AND id = $2
        """

    /// Counts a delivery on its endpoint, on the counter shard of its id. $3/$4: accepted/rejected
    /// increments (a replay moves one from rejected to accepted), $5 received at (ms), $6 whether it
    /// proves the endpoint (a Test IPN), $7 the delivery id.
    static let countOnEndpoint = """
        INSERT INTO endpoint_counters AS c (tenant_id, account, shard, accepted, rejected, last_notification_at, test_seen_at)
        VALUES ($1, $2, ($7::int8 % 16)::int2, $3::int8, $4::int8, to_timestamp($5::float8 / 1000),
            CASE WHEN $6::bool THEN to_timestamp($5::float8 / 1000) END)
        ON CONFLICT (tenant_id, account, shard) DO UPDATE SET
            accepted = c.accepted + $3::int8,
            rejected = c.rejected + $4::int8,
            last_notification_at = greatest(c.last_notification_at, EXCLUDED.last_notification_at),
            test_seen_at = CASE WHEN $6::bool THEN greatest(c.test_seen_at, EXCLUDED.test_seen_at) ELSE c.test_seen_at END
        """

    /// Locks the endpoint counter rows a batch of recordings will bump (creating missing ones at
    /// zero), in the order given, before any recording runs: every transaction then takes counter
    /// rows first and in one global order, then events in key order, so concurrent batches can't
    /// wait for each other in a cycle. $1: JSON array of {n, t (tenant), a (account), s (shard)},
    /// distinct, sorted.
    static let lockCounters = """
        INSERT INTO endpoint_counters AS c (tenant_id, account, shard, accepted, rejected)
        SELECT x.t, x.a, x.s, 0, 0 FROM jsonb_to_recordset($1::jsonb) AS x(n int, t text, a text, s int2)
        ORDER BY x.n
        ON CONFLICT (tenant_id, account, shard) DO UPDATE SET accepted = c.accepted
        """

    /// The VerifyIPN hot path in one round trip and one durable commit: resolve the token, keep the
    /// raw body, and read the secrets that may verify it (current first). No row: unknown token.
    static let insertDeliveryByToken = """
        WITH owner AS (
            SELECT tenant_id, account FROM webhook_tokens
            WHERE token_hash = $1::bytea AND (valid_until IS NULL OR valid_until > now())
        ), delivery AS (
            INSERT INTO ipn_deliveries (tenant_id, account, received_at, content_type, body)
            SELECT tenant_id, account, to_timestamp($2::float8 / 1000), $3, $4 FROM owner
            RETURNING tenant_id, account, id
        )
        SELECT d.tenant_id, d.account, d.id, s.version, s.master_key_id, s.sealed,
            floor(extract(epoch FROM s.valid_until) * 1000)::int8
        FROM delivery d
        LEFT JOIN clickbank_secrets s ON s.tenant_id = d.tenant_id AND s.account = d.account
            AND (s.valid_until IS NULL OR s.valid_until > now())
        ORDER BY s.valid_until IS NULL DESC, s.version DESC
        """

    static let failedDeliveries = """
        SELECT id, content_type, body, floor(extract(epoch FROM received_at) * 1000)::int8
        FROM ipn_deliveries
        WHERE tenant_id = $1 AND account = $2 AND status = 'failed' AND id > $3
        ORDER BY id LIMIT $4
        """

    static let unprocessedDeliveries = """
        SELECT tenant_id, account, id, content_type, body, floor(extract(epoch FROM received_at) * 1000)::int8
        FROM ipn_deliveries
        WHERE status = 'received' AND received_at < now() - make_interval(secs => $1::int8)
        ORDER BY received_at LIMIT $2
        """
}

/// Read statements over notifications, for operators and tests.
extension NotificationSQL {
    /// Unix milliseconds of a timestamptz, as int8 text (NULL stays NULL).
    private static func ms(_ column: String) -> String {
        "floor(extract(epoch FROM \(column)) * 1000)::int8"
    }

    static let eventCount = "SELECT count(*)::int8 FROM events WHERE tenant_id = $1 AND account = $2"

    /// Events of the account in id order, $3 limit. The line count goes through the lines' primary key.
    static let events = """
        SELECT e.id, e.account, e.role, e.receipt, e.transaction_type, e.transaction_time_ms, e.kind, e.source,
            \(ms("e.csv_confirmed_at")), e.currency, e.total_account_amount::text, e.attempt_count,
            (SELECT count(*) FROM event_lines l WHERE l.tenant_id = e.tenant_id AND l.event_id = e.id)::int8
        FROM events e
        WHERE e.tenant_id = $1 AND e.account = $2
        ORDER BY e.id
        LIMIT $3
        """

    /// Line items of one receipt of the account (every role, type and instant), in key order.
    static let eventLines = """
        SELECT l.event_id, e.transaction_type, e.transaction_time_ms, l.item_no, l.line_item_type, l.quantity,
            l.account_amount::text, l.source, \(ms("l.csv_confirmed_at"))
        FROM event_lines l
        JOIN events e ON e.tenant_id = l.tenant_id AND e.id = l.event_id
        WHERE l.tenant_id = $1 AND e.account = $2 AND e.receipt = $3
        ORDER BY e.role, e.transaction_type, e.transaction_time_ms, l.item_no
        """

    static let deliveryState = """
        SELECT id, account, status, \(ms("received_at")), failure, failure_detail, key_version, event_id, is_test,
            duplicate, \(ms("processed_at"))
        FROM ipn_deliveries
        WHERE tenant_id = $1 AND id = $2
        """
}
