/// Statements of the CSV import (IngestStore+Imports.swift). Constants with bind parameters only.
enum ImportSQL {
    /// Creates the upload or finds it, locking its row: chunks of one upload are applied one at a time,
    /// whichever instance receives them. $1 tenant, $2 upload id, $3 account, $4 time zone.
    static let lockUpload = """
        INSERT INTO csv_uploads AS u (tenant_id, upload_id, account, time_zone) VALUES ($1, $2, $3, $4)
        ON CONFLICT (tenant_id, upload_id) DO UPDATE SET updated_at = now()
        RETURNING u.account, u.time_zone, u.number
        """

    static let fileColumns = """
        file_name, received_offset, complete, rows_read, inserted, duplicates_in_import, already_present,
        already_from_webhook, rejected
        """

    /// Creates the file's row or finds it; returns its progress and cursor. $3 file name.
    static let upsertFile = """
        INSERT INTO csv_upload_files AS f (tenant_id, upload_id, file_name, file_index)
        VALUES ($1, $2, $3, (SELECT count(*) FROM csv_upload_files WHERE tenant_id = $1 AND upload_id = $2))
        ON CONFLICT (tenant_id, upload_id, file_name) DO UPDATE SET updated_at = now()
        RETURNING \(fileColumns), f.tail, f.header::text, f.resume_line
        """

    /// The staging tables: created once per connection, emptied at every commit (dropping and creating
    /// them in every chunk cost the catalog work and file unlinks of whole tables per chunk). Column
    /// order = `CSVStageBuffer.append`. Every line of the chunk, and the event of each first line.
    static let createStageLines = """
        CREATE TEMP TABLE IF NOT EXISTS csv_stage_lines (
            line int8, ekey uuid, item_no text, product_title text, line_item_type text, amount numeric,
            order_amount numeric, tax numeric, shipping numeric, extra text
        ) ON COMMIT DELETE ROWS
        """

    static let createStageEvents = """
        CREATE TEMP TABLE IF NOT EXISTS csv_stage_events (
            ekey uuid, role text, receipt text, ttype text, tms int8, kind text, vendor text, affiliate text,
            utc_offset int4, currency text, payment_method text, upsell text, ev_account numeric, ev_order numeric,
            ev_tax numeric, ev_shipping numeric, tracking_code text, first_name text, last_name text, full_name text,
            email text, city text, state text, postal_code text, country text
        ) ON COMMIT DELETE ROWS
        """

    static let copyStageLines = "COPY csv_stage_lines FROM STDIN (FORMAT binary)"
    static let copyStageEvents = "COPY csv_stage_events FROM STDIN (FORMAT binary)"

    /// For the chunk's transaction (see `IngestStore.applyCSVChunk`).
    static let mergeSettings = """
        SELECT set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_generic_plan', true),
            set_config('client_min_messages', 'warning', true)
        """

    /// Merges the staged lines in one statement, as `mergeConcurrent` does, without speculative
    /// insertion for the rows that can't conflict. $1 tenant, $2 account, $3 the upload's number.
    ///
    /// `INSERT ... ON CONFLICT` costs about 2 µs more per row than a plain insert (measured on both
    /// tables: it probes the index, inserts speculatively, then confirms). Here events are inserted
    /// plainly when the statement's snapshot has no event with their key, and so are the lines of
    /// those new events (a new event has no lines yet, and the parser stages each line once). Only
    /// the lines of events that existed before go through `ON CONFLICT`. The unique indexes still
    /// decide: should another transaction commit one of these events after the snapshot (or should
    /// two staged lines end up with one key after all, say item numbers that differ only by a NUL,
    /// which text can't hold), the plain insert fails with a unique violation (23505), and the
    /// caller rolls back to a savepoint and runs `mergeConcurrent` instead, whose snapshot then sees
    /// that event and which counts the second line as a duplicate.
    static let merge = """
        WITH new_events AS (
            \(insertEvents)
            -- A scalar subquery, not NOT EXISTS: an anti-join may be planned as a hash join over all
            -- the tenant's events, in every chunk (a first import's statistics say there are none).
            WHERE (SELECT true FROM events e WHERE e.tenant_id = $1 AND e.key = s.ekey LIMIT 1) IS NULL
            RETURNING id, key
        ), new_lines AS (
            INSERT INTO event_lines (\(lineColumns))
            SELECT $1, s.item_no, n.id, \(lineValues)
            FROM csv_stage_lines s
            JOIN new_events n ON n.key = s.ekey
            RETURNING 1
        ), old_lines AS (
            INSERT INTO event_lines (\(lineColumns))
            SELECT $1, s.item_no, (SELECT e.id FROM events e WHERE e.tenant_id = $1 AND e.key = s.ekey), \(lineValues)
            FROM csv_stage_lines s
            WHERE s.ekey NOT IN (SELECT key FROM new_events)
            ON CONFLICT (tenant_id, event_id, item_no) DO NOTHING
            RETURNING event_id, item_no, account_amount, product_price, tax_amount, shipping_amount
        ), \(classify(insertedCount: "(SELECT count(*) FROM new_lines) + (SELECT count(*) FROM old_lines)"))
        """

    /// Merges the staged lines in one statement, safe next to concurrent writers of the same keys: the
    /// fallback of `merge` (see there), and the reference for what it does. $1 tenant, $2 account, $3
    /// the upload's number.
    ///
    /// Events first (one per key; `ON CONFLICT DO NOTHING` keeps an existing one, whatever its
    /// source), then lines under their event's id (the new one from RETURNING, else a lookup by key),
    /// then `classify`.
    ///
    /// Under concurrent imports of the same rows the snapshot may miss an event another transaction
    /// just committed; the line's event id is then NULL and the statement fails, which the caller
    /// reports as retryable (nothing of the chunk is stored).
    static let mergeConcurrent = """
        WITH new_events AS (
            \(insertEvents)
            ON CONFLICT (tenant_id, key) DO NOTHING
            RETURNING id, key
        ), inserted AS (
            INSERT INTO event_lines (\(lineColumns))
            SELECT $1, s.item_no, coalesce(n.id, (SELECT e.id FROM events e WHERE e.tenant_id = $1 AND e.key = s.ekey)),
                \(lineValues)
            FROM csv_stage_lines s
            LEFT JOIN new_events n ON n.key = s.ekey
            ON CONFLICT (tenant_id, event_id, item_no) DO NOTHING
            RETURNING event_id, item_no, account_amount, product_price, tax_amount, shipping_amount
        ), old_lines AS (
            SELECT * FROM inserted WHERE event_id NOT IN (SELECT id FROM new_events)
        ), \(classify(insertedCount: "(SELECT count(*) FROM inserted)"))
        """

    // MARK: Parts of both merges

    /// The CSV events of the chunk, from `csv_stage_events s`; each merge adds its own conflict rule.
    private static let insertEvents = """
        INSERT INTO events (
                tenant_id, key, account, role, receipt, transaction_type, transaction_time_ms, kind, vendor, affiliate,
                utc_offset_minutes, currency, total_account_amount, total_order_amount, total_tax_amount,
                total_shipping_amount, payment_method, upsell_original_receipt, source, tracking_code,
                customer_first_name, customer_last_name, customer_full_name, customer_email, customer_city,
                customer_state, customer_postal_code, customer_country)
            SELECT $1, ekey, $2, role, receipt, ttype, tms, kind, vendor, affiliate, utc_offset, currency, ev_account,
                ev_order, ev_tax, ev_shipping, payment_method, upsell, 'csv', tracking_code, first_name, last_name,
                full_name, email, city, state, postal_code, country
            FROM csv_stage_events s
        """

    private static let lineColumns = """
        tenant_id, item_no, event_id, product_title, line_item_type, account_amount, product_price,
                tax_amount, shipping_amount, source, csv_upload, extra
        """

    /// A staged line `s`'s values after tenant, item and event id.
    private static let lineValues = """
        s.product_title, s.line_item_type, s.amount, s.order_amount, s.tax, s.shipping, 'csv', $3::int8, s.extra::jsonb
        """

    /// The rest of both merges, after CTEs `new_events` (id, key) and `old_lines` (the lines inserted
    /// under events that existed before, with their amounts). Lines that may have existed before
    /// (those of events that did) are looked up one by one (a nested loop the planner can't turn into
    /// a scan of the tenant's lines) and classified from the statement's snapshot: stored by this
    /// upload (a duplicate within the import), by another CSV import, or by a webhook notification
    /// (then marked as confirmed by the CSV, line and event). A CSV event that gains lines in a later
    /// chunk (an order split across chunks) adds them to its totals. The updates address rows
    /// through `= ANY (ARRAY(...))` on their keys, index scans. Returns the lines inserted
    /// (`insertedCount`), already in this upload, already from a webhook, and the rows updated.
    private static func classify(insertedCount: String) -> String {
        """
        existing AS MATERIALIZED (
                -- Only a line of an event that existed before can exist already (a new event has no lines);
                -- the statement's snapshot shows none of the lines it inserts.
                SELECT x.* FROM csv_stage_lines s
                -- LIMIT keeps each lookup a subquery of its own: without it the planner may flatten it into a
                -- hash join over all the tenant's events (it did, on a generic plan: 60 ms a chunk and growing).
                CROSS JOIN LATERAL (SELECT e.id FROM events e WHERE e.tenant_id = $1 AND e.key = s.ekey LIMIT 1) old
                CROSS JOIN LATERAL (
                    SELECT el.event_id, el.item_no, el.source, el.csv_upload, el.csv_confirmed_at FROM event_lines el
                    WHERE el.tenant_id = $1 AND el.event_id = old.id AND el.item_no = s.item_no LIMIT 1
                ) x
                WHERE s.ekey NOT IN (SELECT key FROM new_events)
            ), confirmed_lines AS (
                UPDATE event_lines el SET csv_confirmed_at = now()
                WHERE el.tenant_id = $1
                    AND el.event_id = ANY (ARRAY(SELECT event_id FROM existing WHERE source = 'ipn' AND csv_confirmed_at IS NULL))
                    AND (el.event_id, el.item_no) IN (
                        SELECT event_id, item_no FROM existing WHERE source = 'ipn' AND csv_confirmed_at IS NULL)
                RETURNING 1
            ), confirmed_events AS (
                UPDATE events e SET csv_confirmed_at = now()
                WHERE e.tenant_id = $1 AND e.id = ANY (ARRAY(SELECT event_id FROM existing WHERE source = 'ipn'))
                    AND e.source = 'ipn' AND e.csv_confirmed_at IS NULL
                RETURNING 1
            ), gained AS MATERIALIZED (
                SELECT i.event_id, sum(i.account_amount) AS account, sum(i.product_price) AS ord,
                    sum(i.tax_amount) AS tax, sum(i.shipping_amount) AS shipping
                FROM old_lines i
                GROUP BY i.event_id
            ), grown AS (
                UPDATE events e SET
                    total_account_amount = CASE WHEN g.account IS NULL THEN e.total_account_amount
                        ELSE coalesce(e.total_account_amount, 0) + g.account END,
                    total_order_amount = CASE WHEN g.ord IS NULL THEN e.total_order_amount
                        ELSE coalesce(e.total_order_amount, 0) + g.ord END,
                    total_tax_amount = CASE WHEN g.tax IS NULL THEN e.total_tax_amount
                        ELSE coalesce(e.total_tax_amount, 0) + g.tax END,
                    total_shipping_amount = CASE WHEN g.shipping IS NULL THEN e.total_shipping_amount
                        ELSE coalesce(e.total_shipping_amount, 0) + g.shipping END
                FROM gained g
                WHERE e.tenant_id = $1 AND e.id = ANY (ARRAY(SELECT event_id FROM gained)) AND e.id = g.event_id
                    AND e.source = 'csv'
                RETURNING 1
            )
            SELECT \(insertedCount),
                (SELECT count(*) FROM existing WHERE source = 'csv' AND csv_upload = $3::int8),
                (SELECT count(*) FROM existing WHERE source = 'ipn'),
                (SELECT count(*) FROM confirmed_lines) + (SELECT count(*) FROM confirmed_events)
                    + (SELECT count(*) FROM grown)
        """
    }

    /// Keeps rejections, at most $4 per upload in all. $1 tenant, $2 upload, $3 file, $5 JSON
    /// array of {line, reason}.
    static let insertRejections = """
        INSERT INTO csv_rejections (tenant_id, upload_id, file_name, line, reason)
        SELECT $1, $2, $3, r.line, r.reason
        FROM jsonb_to_recordset($5::jsonb) AS r(line int8, reason text)
        ORDER BY r.line
        LIMIT greatest(0, $4::int8 - (SELECT count(*) FROM csv_rejections WHERE tenant_id = $1 AND upload_id = $2))
        ON CONFLICT DO NOTHING
        """

    /// Stores the file's new cursor and adds the chunk's counts, only if no one else moved it
    /// ($4 = the offset this chunk was applied on). $1 tenant, $2 upload, $3 file.
    static let advanceFile = """
        UPDATE csv_upload_files AS f SET
            received_offset = $5::int8, tail = $6, header = $7::jsonb, resume_line = $8::int8, complete = $9::bool,
            rows_read = f.rows_read + $10::int8, inserted = f.inserted + $11::int8,
            duplicates_in_import = f.duplicates_in_import + $12::int8,
            already_present = f.already_present + $13::int8,
            already_from_webhook = f.already_from_webhook + $14::int8, rejected = f.rejected + $15::int8,
            updated_at = now()
        WHERE f.tenant_id = $1 AND f.upload_id = $2 AND f.file_name = $3 AND f.received_offset = $4::int8
        RETURNING \(fileColumns)
        """

    static let upload = """
        SELECT account, time_zone FROM csv_uploads WHERE tenant_id = $1 AND upload_id = $2
        """

    static let files = """
        SELECT \(fileColumns) FROM csv_upload_files WHERE tenant_id = $1 AND upload_id = $2 ORDER BY file_index
        """

    /// The first rejections in file order, then line. $3 limit.
    static let rejections = """
        SELECT r.file_name, r.line, r.reason FROM csv_rejections r
        JOIN csv_upload_files f ON f.tenant_id = r.tenant_id AND f.upload_id = r.upload_id AND f.file_name = r.file_name
        WHERE r.tenant_id = $1 AND r.upload_id = $2
        ORDER BY f.file_index, r.line LIMIT $3::int8
        """
}
