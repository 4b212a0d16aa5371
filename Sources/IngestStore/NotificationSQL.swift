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

    /// Records a batch of verified notifications in one statement (see `IngestStore.recordVerified`).
    /// Each array parameter holds one column, one element per recording (`RecordingBatch` lays them
    /// out); $26-$37 hold the line items of every recording, $26 naming the recording (1-based).
    ///
    /// In order: the deliveries are locked (in id order), so a replay racing the batch records each
    /// once; those not verified yet are recorded. The first recording of each event key proposes its
    /// event (in key order, so concurrent batches take events in one order). The unique index
    /// decides: a new event is inserted; an existing one is locked and returned, and if a CSV import
    /// stored it first it takes the notification's richer data. Lines go in by (event, item). The
    /// deliveries are marked verified with their event, and each endpoint counter row touched is
    /// bumped once, last, so it is held only until the commit. One row per recording comes back:
    /// the delivery's status before (NULL: no such delivery), event id, duplicate, lines inserted.
    static let recordBatch = """
        WITH item AS (
            SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::int4[], $5::bool[], $6::text[], $7::text[],
                $8::text[], $9::int8[], $10::text[], $11::text[], $12::text[], $13::int4[], $14::text[], $15::text[],
                $16::numeric[], $17::numeric[], $18::numeric[], $19::numeric[], $20::text[], $21::text[], $22::int4[],
                $23::text[], $24::jsonb[], $25::uuid[])
                WITH ORDINALITY AS i(tenant, delivery, account, key_version, is_test, role, receipt, type, time_ms,
                    kind, vendor, affiliate, utc_offset, time_text, currency, total_account, total_order, total_tax,
                    total_shipping, payment_method, upsell, attempt, version, document, key, n)
        ), line AS (
            SELECT * FROM unnest($26::int8[], $27::int4[], $28::text[], $29::text[], $30::text[], $31::int4[],
                $32::numeric[], $33::numeric[], $34::numeric[], $35::numeric[], $36::numeric[], $37::bool[])
                AS l(item, idx, item_no, product_title, line_item_type, quantity, account_amount, product_price,
                    tax_amount, shipping_amount, affiliate_payout, recurring)
        ), commit_mode AS (
            -- This transaction commits without waiting for the disk flush (see `IngestStore.recordVerified`).
            SELECT set_config('synchronous_commit', 'off', true)
        ), delivery AS (
            SELECT d.tenant_id, d.id, d.status, d.received_at, d.event_id, d.duplicate
            FROM (SELECT DISTINCT tenant, delivery FROM item ORDER BY tenant, delivery) i,
                LATERAL (SELECT * FROM ipn_deliveries d WHERE d.tenant_id = i.tenant AND d.id = i.delivery FOR UPDATE) d
        ), todo AS (
            SELECT i.*, d.status AS previous_status, d.received_at
            FROM item i JOIN delivery d ON d.tenant_id = i.tenant AND d.id = i.delivery
            WHERE d.status <> 'verified'
        ), proposal AS (
            SELECT DISTINCT ON (tenant, key) * FROM todo WHERE NOT is_test ORDER BY tenant, key, n
        ), event AS (
            INSERT INTO events AS e (
                tenant_id, key, account, role, receipt, transaction_type, transaction_time_ms, kind, vendor,
                affiliate, utc_offset_minutes, transaction_time_text, currency, total_account_amount,
                total_order_amount, total_tax_amount, total_shipping_amount, payment_method,
                upsell_original_receipt, attempt_count, version, document, source, tracking_code,
                customer_first_name, customer_last_name, customer_full_name, customer_email, customer_city,
                customer_state, customer_postal_code, customer_country)
            SELECT tenant, key, account, role, receipt, type, time_ms, kind, vendor, affiliate, utc_offset, time_text,
                currency, total_account, total_order, total_tax, total_shipping, payment_method, upsell, attempt,
                version, document, 'ipn', document #>> '{trackingCodes,0}', document #>> '{customer,billing,firstName}',
                document #>> '{customer,billing,lastName}', document #>> '{customer,billing,fullName}',
                document #>> '{customer,billing,email}', document #>> '{customer,billing,address,city}',
                document #>> '{customer,billing,address,state}', document #>> '{customer,billing,address,postalCode}',
                document #>> '{customer,billing,address,country}'
            FROM proposal ORDER BY tenant, key
            ON CONFLICT (tenant_id, key) DO UPDATE SET
        \(Self.upgradeCSVEvent)
            RETURNING e.tenant_id, e.key, e.id, (e.xmax = 0) AS fresh
        ), line_written AS (
            INSERT INTO event_lines AS el (
                tenant_id, item_no, event_id, product_title, line_item_type, quantity, account_amount, product_price,
                tax_amount, shipping_amount, affiliate_payout, recurring, payment_plan, source)
            SELECT DISTINCT ON (e.id, l.item_no) t.tenant, l.item_no, e.id, l.product_title, l.line_item_type,
                l.quantity, l.account_amount, l.product_price, l.tax_amount, l.shipping_amount, l.affiliate_payout,
                l.recurring, t.document -> 'lineItems' -> l.idx -> 'paymentPlan', 'ipn'
            FROM line l
            JOIN todo t ON t.n = l.item AND NOT t.is_test
            JOIN event e ON e.tenant_id = t.tenant AND e.key = t.key
            ORDER BY e.id, l.item_no, t.n
            ON CONFLICT (tenant_id, event_id, item_no) DO UPDATE SET product_title = EXCLUDED.product_title,
                line_item_type = EXCLUDED.line_item_type, quantity = EXCLUDED.quantity,
                account_amount = EXCLUDED.account_amount, product_price = EXCLUDED.product_price,
                tax_amount = EXCLUDED.tax_amount, shipping_amount = EXCLUDED.shipping_amount,
                affiliate_payout = EXCLUDED.affiliate_payout, recurring = EXCLUDED.recurring,
                payment_plan = EXCLUDED.payment_plan, source = 'ipn', csv_confirmed_at = coalesce(el.csv_confirmed_at, now())
            WHERE el.source = 'csv'
            RETURNING el.event_id, (el.xmax = 0) AS fresh
        ), line_count AS (
            SELECT event_id, count(*) FILTER (WHERE fresh) AS fresh FROM line_written GROUP BY event_id
        ), recorded AS (
            UPDATE ipn_deliveries d SET status = 'verified', failure = NULL, failure_detail = NULL,
                key_version = t.key_version, event_id = e.id, is_test = t.is_test,
                duplicate = NOT t.is_test AND NOT coalesce(e.fresh AND p.n = t.n, false), processed_at = now()
            FROM todo t
            LEFT JOIN event e ON e.tenant_id = t.tenant AND e.key = t.key AND NOT t.is_test
            LEFT JOIN proposal p ON p.tenant = t.tenant AND p.key = t.key AND NOT t.is_test
            WHERE d.tenant_id = t.tenant AND d.id = t.delivery
            RETURNING t.n, t.tenant, t.account, t.delivery, t.previous_status, t.received_at, t.is_test,
                d.event_id, d.duplicate, coalesce(p.n = t.n, false) AS proposer
        ), counted AS (
            INSERT INTO endpoint_counters AS c (tenant_id, account, shard, accepted, rejected, last_notification_at,
                test_seen_at)
            SELECT tenant, account, (delivery % 16)::int2, count(*), -count(*) FILTER (WHERE previous_status = 'failed'),
                max(received_at), max(received_at) FILTER (WHERE is_test)
            FROM recorded GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (tenant_id, account, shard) DO UPDATE SET
                accepted = c.accepted + EXCLUDED.accepted,
                rejected = c.rejected + EXCLUDED.rejected,
                last_notification_at = greatest(c.last_notification_at, EXCLUDED.last_notification_at),
                test_seen_at = greatest(c.test_seen_at, EXCLUDED.test_seen_at)
        )
        SELECT i.n, d.status,
            CASE WHEN r.n IS NULL THEN d.event_id ELSE r.event_id END,
            CASE WHEN r.n IS NULL THEN coalesce(d.duplicate, true) ELSE r.duplicate END,
            CASE WHEN r.proposer THEN coalesce(lc.fresh, 0) ELSE 0 END
        FROM item i
        CROSS JOIN commit_mode
        LEFT JOIN delivery d ON d.tenant_id = i.tenant AND d.id = i.delivery
        LEFT JOIN recorded r ON r.n = i.n
        LEFT JOIN line_count lc ON lc.event_id = r.event_id
        ORDER BY i.n
        """

    /// The `ON CONFLICT DO UPDATE` of `recordBatch`'s events: an event a CSV import stored first takes the
    /// notification's data (customer and tracking columns only where the notification has them) and is
    /// marked as confirmed by the CSV; one the webhook stored is left as it is (the update only locks
    /// it and returns its id, which a later statement could not see if another transaction committed
    /// it after this one started).
    private static let upgradeCSVEvent: String = {
        let replaced = [
            "kind", "vendor", "affiliate", "utc_offset_minutes", "transaction_time_text", "currency",
            "total_account_amount", "total_order_amount", "total_tax_amount", "total_shipping_amount", "payment_method",
            "upsell_original_receipt", "attempt_count", "version", "document",
        ]
        let filled = [
            "tracking_code", "customer_first_name", "customer_last_name", "customer_full_name", "customer_email",
            "customer_city", "customer_state", "customer_postal_code", "customer_country",
        ]
        let assignments =
            replaced.map { "\($0) = CASE WHEN e.source = 'csv' THEN EXCLUDED.\($0) ELSE e.\($0) END" }
            + filled.map { "\($0) = CASE WHEN e.source = 'csv' THEN coalesce(EXCLUDED.\($0), e.\($0)) ELSE e.\($0) END" }
            + [
                "csv_confirmed_at = CASE WHEN e.source = 'csv' THEN coalesce(e.csv_confirmed_at, e.created_at) "
                    + "ELSE e.csv_confirmed_at END",
                "source = 'ipn'",
            ]
        return assignments.map { "            " + $0 }.joined(separator: ",\n")
    }()

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

    /// The VerifyIPN hot path for a batch of deliveries in one statement and one durable commit:
    /// resolve each webhook token, keep each raw body, and read the secrets that may verify it
    /// (current first). $1-$4: token hashes, arrival times (Unix ms), content types, bodies, one
    /// element per delivery. Rows come back by delivery (`n`, 1-based), one per secret (version NULL
    /// when none is stored); a delivery with no row had an unknown or expired token, and nothing of
    /// it is stored. Ids are drawn before the insert so each row can say which delivery it is.
    static let insertDeliveries = """
        WITH item AS (
            SELECT * FROM unnest($1::bytea[], $2::int8[], $3::text[], $4::bytea[])
                WITH ORDINALITY AS i(token_hash, received_ms, content_type, body, n)
        ), owner AS (
            SELECT i.n, t.tenant_id, t.account, nextval('ipn_deliveries_id_seq'::regclass) AS id
            FROM item i
            JOIN webhook_tokens t ON t.token_hash = i.token_hash AND (t.valid_until IS NULL OR t.valid_until > now())
            ORDER BY i.n
        ), delivery AS (
            INSERT INTO ipn_deliveries (tenant_id, id, account, received_at, content_type, body)
            SELECT o.tenant_id, o.id, o.account, to_timestamp(i.received_ms::float8 / 1000), i.content_type, i.body
            FROM owner o JOIN item i ON i.n = o.n
            ORDER BY o.n
        )
        SELECT o.n, o.tenant_id, o.account, o.id, s.version, s.master_key_id, s.sealed,
            floor(extract(epoch FROM s.valid_until) * 1000)::int8
        FROM owner o
        LEFT JOIN clickbank_secrets s ON s.tenant_id = o.tenant_id AND s.account = o.account
            AND (s.valid_until IS NULL OR s.valid_until > now())
        ORDER BY o.n, s.valid_until IS NULL DESC, s.version DESC
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
