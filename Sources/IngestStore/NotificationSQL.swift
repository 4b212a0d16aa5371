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

    /// Locks the delivery so a replay and a recovery sweep can't both record it.
    static let lockDelivery = """
        SELECT status, floor(extract(epoch FROM received_at) * 1000)::int8, event_id, duplicate, is_test
        FROM ipn_deliveries WHERE tenant_id = $1 AND id = $2 FOR UPDATE
        """

    static let insertEvent = """
        INSERT INTO events (
            tenant_id, account, role, receipt, transaction_type, transaction_time_ms, kind, vendor, affiliate,
            utc_offset_minutes, transaction_time_text, currency, total_account_amount, total_order_amount,
            total_tax_amount, total_shipping_amount, payment_method, upsell_original_receipt, attempt_count,
            version, document, source)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::numeric, $14::numeric, $15::numeric,
            $16::numeric, $17, $18, $19, $20, $21::jsonb, 'ipn')
        ON CONFLICT (tenant_id, account, role, receipt, transaction_type, transaction_time_ms) DO NOTHING
        RETURNING id
        """

    static let existingEvent = """
        SELECT id, source FROM events
        WHERE tenant_id = $1 AND account = $2 AND role = $3 AND receipt = $4 AND transaction_type = $5
            AND transaction_time_ms = $6
        """

    /// A CSV row came first: the notification's richer data replaces it, and the row remembers that a
    /// CSV export confirmed it.
    static let upgradeCSVEvent = """
        UPDATE events SET kind = $3, vendor = $4, affiliate = $5, utc_offset_minutes = $6,
            transaction_time_text = $7, currency = $8, total_account_amount = $9::numeric,
            total_order_amount = $10::numeric, total_tax_amount = $11::numeric, total_shipping_amount = $12::numeric,
            payment_method = $13, upsell_original_receipt = $14, attempt_count = $15, version = $16,
            document = $17::jsonb, source = 'ipn', csv_confirmed_at = coalesce(csv_confirmed_at, created_at)
        WHERE tenant_id = $1 AND id = $2
        """

    /// Inserts a line, or upgrades a CSV-sourced one; returns a row only when it inserted.
    static let upsertLine = """
        INSERT INTO event_lines (
            tenant_id, account, role, receipt, transaction_type, transaction_time_ms, item_no, event_id,
            product_title, line_item_type, quantity, account_amount, product_price, tax_amount, shipping_amount,
            affiliate_payout, recurring, payment_plan, source)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::numeric, $13::numeric, $14::numeric,
            $15::numeric, $16::numeric, $17,
            (SELECT document -> 'lineItems' -> $18::int -> 'paymentPlan' FROM events WHERE tenant_id = $1 AND id = $8),
            'ipn')
        ON CONFLICT (tenant_id, account, role, receipt, transaction_type, transaction_time_ms, item_no) DO UPDATE
            SET event_id = EXCLUDED.event_id, product_title = EXCLUDED.product_title,
                line_item_type = EXCLUDED.line_item_type, quantity = EXCLUDED.quantity,
                account_amount = EXCLUDED.account_amount, product_price = EXCLUDED.product_price,
                tax_amount = EXCLUDED.tax_amount, shipping_amount = EXCLUDED.shipping_amount,
                affiliate_payout = EXCLUDED.affiliate_payout, recurring = EXCLUDED.recurring,
                payment_plan = EXCLUDED.payment_plan, source = 'ipn',
                csv_confirmed_at = coalesce(event_lines.csv_confirmed_at, now())
            WHERE event_lines.source = 'csv'
        RETURNING (xmax = 0) AS inserted
        """

    static let markVerified = """
        UPDATE ipn_deliveries SET status = 'verified', failure = NULL, failure_detail = NULL, key_version = $3,
            event_id = $4, is_test = $5, duplicate = $6, processed_at = now()
        WHERE tenant_id = $1 AND id = $2
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
