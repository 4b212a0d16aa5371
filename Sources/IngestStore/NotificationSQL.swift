/// Statements of the notification store (IngestStore+Notifications.swift). Constants with bind
/// parameters only, prepared once per connection.
enum NotificationSQL {
    /// Keeps a raw body (creating the endpoint row when the caller named tenant and account directly).
    static let insertDelivery = """
        WITH endpoint AS (
            INSERT INTO webhook_endpoints (tenant_id, account) VALUES ($1, $2) ON CONFLICT DO NOTHING
        ), delivery AS (
            INSERT INTO ipn_deliveries (tenant_id, account, received_at, content_type)
            VALUES ($1, $2, to_timestamp($3::float8 / 1000), $4)
            RETURNING tenant_id, id
        ), body AS (
            INSERT INTO ipn_delivery_bodies (tenant_id, delivery_id, body) SELECT tenant_id, id, $5 FROM delivery
        )
        SELECT id FROM delivery
        """

    /// The first statement of each batch transaction on the VerifyIPN hot path, so that the batch's
    /// statements are planned under these settings. Their plans are generic and made once per
    /// connection: planning the recording statements anew cost about 0.4 ms per batch, more than
    /// running them (PostgreSQL keeps planning a statement anew while the plans for the actual
    /// arrays look cheaper than the generic one, which small batches make them). A plan made once
    /// must never scan a whole table: made while a table was small (a new database), a generic
    /// plan had read every delivery for each batch, slower as the table grew, until an ANALYZE.
    /// Every table these statements touch is reached by key, so sequential scans are off for them.
    /// Only for this transaction (`set_config(..., true)`).
    static let hotPathPlanning =
        "SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true)"

    /// `hotPathPlanning` for a recording batch, which also commits without waiting for the disk
    /// flush (see `IngestStore.recordVerified`).
    static let recordingPlanning = Self.hotPathPlanning + ", set_config('synchronous_commit', 'off', true)"

    /// `recordingPlanning` for the recordings written in the job that stores raw bodies
    /// (`IngestStore.recordDelivery(…, verifyingWith:)`). That job stores every tenant's deliveries,
    /// so it must not wait long for a lock another writer holds (a CSV import's uncommitted event):
    /// past this, the attempt fails, and the call records through the recording batcher, which waits.
    static let recordingInDeliveryJobPlanning = Self.recordingPlanning + ", set_config('lock_timeout', '100ms', true)"

    /// A batch of verified notifications is recorded by one statement (see `IngestStore.recordVerified`).
    /// Each array holds one column, one element per recording ($1-$25, laid out by
    /// `VerifiedRecording.parameters`), and $26-$37 hold the line items of every recording, $26
    /// naming the recording (1-based).
    ///
    /// Locks are taken in one order by every batch: the deliveries (by id), new events (by key) and
    /// their lines, then lines of events that existed, then events a CSV import stored (lines before
    /// events, the order of a CSV import confirming them), and the endpoint counter rows last. An
    /// event the webhook stored before is never locked.
    private static let recordingInput = """
        item AS (
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
        )
        """

    /// Records a batch. Locks the deliveries (so a replay racing the batch records each once); for
    /// those not verified yet, inserts the event of each key that doesn't exist (the first recording
    /// of a key proposes it; in key order, so concurrent batches take new events in one order; an
    /// insert waits for another transaction inserting the same key) with its lines, and finds the
    /// events that existed when the statement began. An event a CSV import stored first takes the
    /// notification's richer data (customer and tracking columns only where the notification has
    /// them) and is marked as confirmed by the CSV; lines of events that existed go in by (event,
    /// item), upgrading CSV lines. The deliveries are marked verified with their event, and each
    /// endpoint counter row touched is bumped once.
    ///
    /// One row per recording comes back: the delivery's status before (NULL: no such delivery),
    /// event id, duplicate, lines inserted, and whether to record it again. That last is true when
    /// another transaction committed the event after this statement began (the insert waited for it
    /// and skipped it, and the statement's snapshot can't see it): nothing of that recording was
    /// written, and a new transaction finds the event.
    static let recordBatch = """
        WITH \(Self.recordingInput), delivery AS (
            SELECT d.tenant_id, d.id, d.status, d.received_at, d.event_id, d.duplicate
            FROM (SELECT DISTINCT tenant, delivery FROM item ORDER BY tenant, delivery) i,
                LATERAL (SELECT * FROM ipn_deliveries d WHERE d.tenant_id = i.tenant AND d.id = i.delivery FOR UPDATE) d
        ), todo AS (
            SELECT i.*, d.status AS previous_status, d.received_at
            FROM item i JOIN delivery d ON d.tenant_id = i.tenant AND d.id = i.delivery
            WHERE d.status <> 'verified'
        ), proposal AS (
            SELECT DISTINCT ON (tenant, key) * FROM todo WHERE NOT is_test ORDER BY tenant, key, n
        ), inserted AS (
            INSERT INTO events AS e (
                tenant_id, key, account, role, receipt, transaction_type, transaction_time_ms, kind, vendor,
                affiliate, utc_offset_minutes, transaction_time_text, currency, total_account_amount,
                total_order_amount, total_tax_amount, total_shipping_amount, payment_method,
                upsell_original_receipt, attempt_count, version, document, source, tracking_code,
                customer_first_name, customer_last_name, customer_full_name, customer_email, customer_city,
                customer_state, customer_postal_code, customer_country)
            SELECT tenant, key, account, role, receipt, type, time_ms, kind, vendor, affiliate, utc_offset, time_text,
                currency, total_account, total_order, total_tax, total_shipping, payment_method, upsell, attempt,
                version, document, 'ipn', \(Self.customerColumns(from: "document"))
            FROM proposal
            ORDER BY tenant, key
            ON CONFLICT (tenant_id, key) DO NOTHING
            RETURNING e.tenant_id, e.key, e.id
        ), event AS MATERIALIZED (
            -- New events first (the insert runs to its end here, before any other event is touched),
            -- then those that existed when the statement began: this statement's own inserts are not
            -- in its snapshot, so no event is in both.
            SELECT p.n, p.tenant, p.key, v.id, 'ipn' AS source, true AS fresh
            FROM proposal p JOIN inserted v ON v.tenant_id = p.tenant AND v.key = p.key
            UNION ALL
            SELECT p.n, p.tenant, p.key, e.id, e.source, false
            FROM proposal p,
                LATERAL (SELECT e.id, e.source FROM events e WHERE e.tenant_id = p.tenant AND e.key = p.key) e
        ), new_line AS (
            -- A new event has no lines yet, and no other transaction can add any before this one commits.
            \(Self.insertLines(ofNewEvents: true))
            RETURNING el.event_id
        ), new_line_count AS (
            SELECT event_id, count(*) AS lines FROM new_line GROUP BY event_id
        ), upgraded AS (
            UPDATE events e SET kind = p.kind, vendor = p.vendor, affiliate = p.affiliate,
                utc_offset_minutes = p.utc_offset, transaction_time_text = p.time_text, currency = p.currency,
                total_account_amount = p.total_account, total_order_amount = p.total_order,
                total_tax_amount = p.total_tax, total_shipping_amount = p.total_shipping,
                payment_method = p.payment_method, upsell_original_receipt = p.upsell, attempt_count = p.attempt,
                version = p.version, document = p.doc, source = 'ipn',
                \(Self.customerColumnsKeepingOld(from: "p.doc")),
                csv_confirmed_at = coalesce(e.csv_confirmed_at, e.created_at)
            FROM (SELECT p.*, p.document AS doc, v.id FROM proposal p JOIN event v ON v.n = p.n WHERE v.source = 'csv') p
            -- The ARRAY(...) conditions make this an index scan whatever the planner thinks of the join
            -- (it once chose a scan of all the tenant's events: a millisecond per recording, growing).
            WHERE e.tenant_id = ANY (ARRAY(SELECT tenant FROM event WHERE source = 'csv'))
                AND e.id = ANY (ARRAY(SELECT id FROM event WHERE source = 'csv'))
                AND e.tenant_id = p.tenant AND e.id = p.id AND e.source = 'csv'
            RETURNING e.id
        ), line_written AS (
            \(Self.insertLines(ofNewEvents: false))
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
        ), resolved AS (
            -- A recording whose event is known (or a Test IPN, which has none); the others are recorded again.
            SELECT t.*, v.id AS event_id, v.fresh, v.n AS proposer
            FROM todo t
            LEFT JOIN event v ON v.tenant = t.tenant AND v.key = t.key AND NOT t.is_test
            WHERE t.is_test OR v.id IS NOT NULL
        ), recorded AS (
            UPDATE ipn_deliveries d SET status = 'verified', failure = NULL, failure_detail = NULL,
                key_version = r.key_version, event_id = r.event_id, is_test = r.is_test,
                duplicate = NOT r.is_test AND NOT coalesce(r.fresh AND r.proposer = r.n, false), processed_at = now()
            FROM resolved r
            WHERE d.tenant_id = r.tenant AND d.id = r.delivery
            RETURNING r.n, r.tenant, r.account, r.delivery, r.previous_status, r.received_at, r.is_test,
                d.event_id, d.duplicate, coalesce(r.proposer = r.n, false) AS proposer, coalesce(r.fresh, false) AS fresh
        ), counted AS (
            INSERT INTO endpoint_counters AS c (tenant_id, account, shard, accepted, rejected, last_notification_at,
                test_seen_at)
            SELECT tenant, account, (delivery % 16)::int2, count(*), -count(*) FILTER (WHERE previous_status = 'failed'),
                max(received_at), max(received_at) FILTER (WHERE is_test)
            -- After the CSV events are upgraded (reading `upgraded` makes it run first), so a batch
            -- waiting on a CSV import's event holds no counter row meanwhile.
            FROM recorded CROSS JOIN (SELECT count(*) FROM upgraded) AS upgrades_first
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            ON CONFLICT (tenant_id, account, shard) DO UPDATE SET
                accepted = c.accepted + EXCLUDED.accepted,
                rejected = c.rejected + EXCLUDED.rejected,
                last_notification_at = greatest(c.last_notification_at, EXCLUDED.last_notification_at),
                test_seen_at = greatest(c.test_seen_at, EXCLUDED.test_seen_at)
        )
        SELECT i.n, d.status,
            CASE WHEN r.n IS NULL THEN d.event_id ELSE r.event_id END,
            CASE WHEN r.n IS NULL THEN coalesce(d.duplicate, true) ELSE r.duplicate END,
            CASE WHEN NOT coalesce(r.proposer, false) THEN 0
                WHEN r.fresh THEN coalesce(nl.lines, 0)
                ELSE coalesce(lc.fresh, 0) END,
            r.n IS NULL AND d.status IS NOT NULL AND d.status <> 'verified'
        FROM item i
        LEFT JOIN delivery d ON d.tenant_id = i.tenant AND d.id = i.delivery
        LEFT JOIN recorded r ON r.n = i.n
        LEFT JOIN new_line_count nl ON nl.event_id = r.event_id
        LEFT JOIN line_count lc ON lc.event_id = r.event_id
        ORDER BY i.n
        """

    /// `recordBatch`'s insert of the recordings' line items into the events it inserted, or into those
    /// that existed (the caller adds what happens on a conflict). One line per (event, item): the first
    /// recording's, for duplicates within the batch.
    private static func insertLines(ofNewEvents: Bool) -> String {
        """
        INSERT INTO event_lines AS el (
                tenant_id, item_no, event_id, product_title, line_item_type, quantity, account_amount, product_price,
                tax_amount, shipping_amount, affiliate_payout, recurring, payment_plan, source)
            SELECT DISTINCT ON (v.id, l.item_no) t.tenant, l.item_no, v.id, l.product_title, l.line_item_type,
                l.quantity, l.account_amount, l.product_price, l.tax_amount, l.shipping_amount, l.affiliate_payout,
                l.recurring, t.document -> 'lineItems' -> l.idx -> 'paymentPlan', 'ipn'
            FROM line l
            JOIN todo t ON t.n = l.item AND NOT t.is_test
            JOIN event v ON v.tenant = t.tenant AND v.key = t.key AND \(ofNewEvents ? "" : "NOT ")v.fresh
            ORDER BY v.id, l.item_no, t.n
        """
    }

    /// The customer and tracking columns of an event, from its notification document.
    private static func customerColumns(from document: String) -> String {
        Self.customerPaths.map { "\(document) #>> '\($0.path)'" }.joined(separator: ", ")
    }

    /// `SET` assignments of the customer and tracking columns from a document, keeping a column's
    /// value where the document has none.
    private static func customerColumnsKeepingOld(from document: String) -> String {
        Self.customerPaths.map { "\($0.column) = coalesce(\(document) #>> '\($0.path)', e.\($0.column))" }
            .joined(separator: ",\n                ")
    }

    private static let customerPaths: [(column: String, path: String)] = [
        ("tracking_code", "{trackingCodes,0}"), ("customer_first_name", "{customer,billing,firstName}"),
        ("customer_last_name", "{customer,billing,lastName}"), ("customer_full_name", "{customer,billing,fullName}"),
        ("customer_email", "{customer,billing,email}"), ("customer_city", "{customer,billing,address,city}"),
        ("customer_state", "{customer,billing,address,state}"),
        ("customer_postal_code", "{customer,billing,address,postalCode}"),
        ("customer_country", "{customer,billing,address,country}"),
    ]

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
            INSERT INTO ipn_deliveries (tenant_id, id, account, received_at, content_type)
            SELECT o.tenant_id, o.id, o.account, to_timestamp(i.received_ms::float8 / 1000), i.content_type
            FROM owner o JOIN item i ON i.n = o.n
            ORDER BY o.n
        ), body AS (
            INSERT INTO ipn_delivery_bodies (tenant_id, delivery_id, body)
            SELECT o.tenant_id, o.id, i.body
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

    /// A delivery's body is in `ipn_delivery_bodies`, or inline in `ipn_deliveries.body` when it was
    /// stored before migration 5 or by an instance of an older build (see `Migrations`).
    static let failedDeliveries = """
        SELECT d.id, d.content_type, coalesce(b.body, d.body), floor(extract(epoch FROM d.received_at) * 1000)::int8
        FROM ipn_deliveries d
        LEFT JOIN ipn_delivery_bodies b ON b.tenant_id = d.tenant_id AND b.delivery_id = d.id
        WHERE d.tenant_id = $1 AND d.account = $2 AND d.status = 'failed' AND d.id > $3
        ORDER BY d.id LIMIT $4
        """

    /// The bodies as in `failedDeliveries`.
    static let unprocessedDeliveries = """
        SELECT d.tenant_id, d.account, d.id, d.content_type, coalesce(b.body, d.body),
            floor(extract(epoch FROM d.received_at) * 1000)::int8
        FROM ipn_deliveries d
        LEFT JOIN ipn_delivery_bodies b ON b.tenant_id = d.tenant_id AND b.delivery_id = d.id
        WHERE d.status = 'received' AND d.received_at < now() - make_interval(secs => $1::int8)
        ORDER BY d.received_at LIMIT $2
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
