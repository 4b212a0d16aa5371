public import LibPQ

/// The database schema, as an ordered list of migrations applied once each at start.
///
/// Version N is `all[N - 1]`: to change the schema, append one string literal to `all` (never edit or reorder
/// an applied one). Each migration runs in its own transaction that first takes a transaction-scoped advisory
/// lock, so several instances starting at once apply each migration exactly once: the others wait, then see
/// its row in `schema_migrations` and skip it. A migration that fails rolls back completely.
public enum Migrations {
    /// The migrations, oldest first.
    public static let all: [StaticString] = [
        // 1: ClickBank secret versions, webhook endpoints, their counters and their URL tokens.
        """
        CREATE TABLE clickbank_secrets (
            tenant_id text NOT NULL,
            account text NOT NULL,
            version int NOT NULL,
            master_key_id text NOT NULL,
            sealed bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            valid_until timestamptz NULL, -- NULL = the current version
            PRIMARY KEY (tenant_id, account, version)
        );
        CREATE UNIQUE INDEX clickbank_secrets_one_current ON clickbank_secrets (tenant_id, account)
            WHERE valid_until IS NULL;
        CREATE TABLE webhook_endpoints (
            tenant_id text NOT NULL,
            account text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, account)
        );
        -- Notification counts per endpoint, spread over a few rows (shard = delivery id mod 16) so
        -- that concurrent notifications for one endpoint don't queue on one row lock; readers sum them.
        CREATE TABLE endpoint_counters (
            tenant_id text NOT NULL,
            account text NOT NULL,
            shard smallint NOT NULL,
            accepted bigint NOT NULL DEFAULT 0,
            rejected bigint NOT NULL DEFAULT 0,
            last_notification_at timestamptz NULL,
            test_seen_at timestamptz NULL,
            PRIMARY KEY (tenant_id, account, shard)
        );
        CREATE TABLE webhook_tokens (
            token_hash bytea PRIMARY KEY,
            tenant_id text NOT NULL,
            account text NOT NULL,
            master_key_id text NOT NULL,
            token_sealed bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            valid_until timestamptz NULL -- NULL = the current token
        );
        CREATE INDEX webhook_tokens_account ON webhook_tokens (tenant_id, account);
        CREATE UNIQUE INDEX webhook_tokens_one_current ON webhook_tokens (tenant_id, account)
            WHERE valid_until IS NULL;
        """,
        // 2: ClickBank notifications: every raw delivery, and the events and line items they prove.
        """
        CREATE TABLE ipn_deliveries (
            tenant_id text NOT NULL,
            id bigserial NOT NULL,
            account text NOT NULL,
            received_at timestamptz NOT NULL,
            content_type text NOT NULL,
            body bytea NOT NULL,
            status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'verified', 'failed')),
            failure text NULL,
            failure_detail text NULL,
            key_version int NULL,
            event_id bigint NULL,
            is_test boolean NOT NULL DEFAULT false,
            duplicate boolean NULL,
            processed_at timestamptz NULL,
            PRIMARY KEY (tenant_id, id)
        );
        CREATE INDEX ipn_deliveries_unverified ON ipn_deliveries (tenant_id, account, id) WHERE status <> 'verified';
        CREATE INDEX ipn_deliveries_unprocessed ON ipn_deliveries (received_at) WHERE status = 'received';
        CREATE TABLE events (
            tenant_id text NOT NULL,
            id bigserial NOT NULL,
            account text NOT NULL,
            role text NOT NULL,
            receipt text NOT NULL,
            transaction_type text NOT NULL,
            transaction_time_ms bigint NOT NULL,
            kind text NOT NULL,
            vendor text NULL,
            affiliate text NULL,
            utc_offset_minutes int NULL,
            transaction_time_text text NULL,
            currency text NULL,
            total_account_amount numeric NULL,
            total_order_amount numeric NULL,
            total_tax_amount numeric NULL,
            total_shipping_amount numeric NULL,
            payment_method text NULL,
            upsell_original_receipt text NULL,
            attempt_count int NULL,
            version text NULL,
            document jsonb NULL,
            source text NOT NULL CHECK (source IN ('ipn', 'csv')),
            csv_confirmed_at timestamptz NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, id),
            UNIQUE (tenant_id, account, role, receipt, transaction_type, transaction_time_ms)
        );
        CREATE TABLE event_lines (
            tenant_id text NOT NULL,
            account text NOT NULL,
            role text NOT NULL,
            receipt text NOT NULL,
            transaction_type text NOT NULL,
            transaction_time_ms bigint NOT NULL,
            item_no text NOT NULL,
            event_id bigint NOT NULL,
            product_title text NULL,
            line_item_type text NULL,
            quantity int NULL,
            account_amount numeric NULL,
            product_price numeric NULL,
            tax_amount numeric NULL,
            shipping_amount numeric NULL,
            affiliate_payout numeric NULL,
            recurring boolean NULL,
            payment_plan jsonb NULL,
            source text NOT NULL CHECK (source IN ('ipn', 'csv')),
            csv_confirmed_at timestamptz NULL,
            csv_upload_id text NULL,
            extra jsonb NULL,
            PRIMARY KEY (tenant_id, account, role, receipt, transaction_type, transaction_time_ms, item_no)
        );
        -- Records a verified notification in one round trip (see IngestStore.recordVerified): event
        -- and lines by natural key (a duplicate finds the existing row; a CSV-sourced one is upgraded),
        -- the delivery marked verified, the endpoint counted. Commits without waiting for the disk:
        -- the raw delivery is already durable and re-verified by the recovery sweep if this is lost.
        CREATE FUNCTION cbingest_record_verified(
            p_tenant text, p_delivery bigint, p_account text, p_key_version int, p_is_test boolean,
            p_role text, p_receipt text, p_type text, p_time_ms bigint, p_kind text, p_vendor text,
            p_affiliate text, p_offset int, p_time_text text, p_currency text, p_total_account numeric,
            p_total_order numeric, p_total_tax numeric, p_total_shipping numeric, p_payment_method text,
            p_upsell text, p_attempt int, p_version text, p_document jsonb, p_lines jsonb,
            OUT o_event_id bigint, OUT o_duplicate boolean, OUT o_lines_inserted int, OUT o_already boolean)
        LANGUAGE plpgsql AS $fn$
        DECLARE
            v_status text;
            v_received timestamptz;
            v_source text;
        BEGIN
            PERFORM set_config('synchronous_commit', 'off', true);
            SELECT d.status, d.received_at, d.event_id, coalesce(d.duplicate, true)
                INTO v_status, v_received, o_event_id, o_duplicate
                FROM ipn_deliveries d WHERE d.tenant_id = p_tenant AND d.id = p_delivery FOR UPDATE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'unknown delivery %', p_delivery USING ERRCODE = 'no_data_found';
            END IF;
            o_lines_inserted := 0;
            IF v_status = 'verified' THEN
                -- Already recorded (a replay raced the recovery sweep): report it, change nothing.
                o_already := true;
                RETURN;
            END IF;
            o_already := false;
            o_duplicate := false;
            o_event_id := NULL;
            IF NOT p_is_test THEN
                INSERT INTO events AS e (
                    tenant_id, account, role, receipt, transaction_type, transaction_time_ms, kind, vendor,
                    affiliate, utc_offset_minutes, transaction_time_text, currency, total_account_amount,
                    total_order_amount, total_tax_amount, total_shipping_amount, payment_method,
                    upsell_original_receipt, attempt_count, version, document, source)
                VALUES (p_tenant, p_account, p_role, p_receipt, p_type, p_time_ms, p_kind, p_vendor,
                    p_affiliate, p_offset, p_time_text, p_currency, p_total_account, p_total_order, p_total_tax,
                    p_total_shipping, p_payment_method, p_upsell, p_attempt, p_version, p_document, 'ipn')
                ON CONFLICT (tenant_id, account, role, receipt, transaction_type, transaction_time_ms) DO NOTHING
                RETURNING e.id INTO o_event_id;
                IF o_event_id IS NULL THEN
                    o_duplicate := true;
                    SELECT e.id, e.source INTO o_event_id, v_source FROM events e
                        WHERE e.tenant_id = p_tenant AND e.account = p_account AND e.role = p_role
                          AND e.receipt = p_receipt AND e.transaction_type = p_type AND e.transaction_time_ms = p_time_ms;
                    IF v_source = 'csv' THEN
                        UPDATE events e SET kind = p_kind, vendor = p_vendor, affiliate = p_affiliate,
                            utc_offset_minutes = p_offset, transaction_time_text = p_time_text, currency = p_currency,
                            total_account_amount = p_total_account, total_order_amount = p_total_order,
                            total_tax_amount = p_total_tax, total_shipping_amount = p_total_shipping,
                            payment_method = p_payment_method, upsell_original_receipt = p_upsell,
                            attempt_count = p_attempt, version = p_version, document = p_document, source = 'ipn',
                            csv_confirmed_at = coalesce(e.csv_confirmed_at, e.created_at)
                        WHERE e.tenant_id = p_tenant AND e.id = o_event_id;
                    END IF;
                END IF;
                WITH l AS (
                    SELECT * FROM jsonb_to_recordset(p_lines) AS x(
                        idx int, item_no text, product_title text, line_item_type text, quantity int,
                        account_amount numeric, product_price numeric, tax_amount numeric, shipping_amount numeric,
                        affiliate_payout numeric, recurring boolean)
                ), inserted AS (
                    INSERT INTO event_lines AS el (
                        tenant_id, account, role, receipt, transaction_type, transaction_time_ms, item_no, event_id,
                        product_title, line_item_type, quantity, account_amount, product_price, tax_amount,
                        shipping_amount, affiliate_payout, recurring, payment_plan, source)
                    SELECT p_tenant, p_account, p_role, p_receipt, p_type, p_time_ms, l.item_no, o_event_id,
                        l.product_title, l.line_item_type, l.quantity, l.account_amount, l.product_price, l.tax_amount,
                        l.shipping_amount, l.affiliate_payout, l.recurring,
                        p_document -> 'lineItems' -> l.idx -> 'paymentPlan', 'ipn'
                    FROM l
                    ON CONFLICT (tenant_id, account, role, receipt, transaction_type, transaction_time_ms, item_no)
                    DO UPDATE SET event_id = EXCLUDED.event_id, product_title = EXCLUDED.product_title,
                        line_item_type = EXCLUDED.line_item_type, quantity = EXCLUDED.quantity,
                        account_amount = EXCLUDED.account_amount, product_price = EXCLUDED.product_price,
                        tax_amount = EXCLUDED.tax_amount, shipping_amount = EXCLUDED.shipping_amount,
                        affiliate_payout = EXCLUDED.affiliate_payout, recurring = EXCLUDED.recurring,
                        payment_plan = EXCLUDED.payment_plan, source = 'ipn',
                        csv_confirmed_at = coalesce(el.csv_confirmed_at, now())
                    WHERE el.source = 'csv'
                    RETURNING (xmax = 0) AS fresh
                )
                SELECT count(*) FILTER (WHERE fresh) INTO o_lines_inserted FROM inserted;
            END IF;
            UPDATE ipn_deliveries d SET status = 'verified', failure = NULL, failure_detail = NULL,
                key_version = p_key_version, event_id = o_event_id, is_test = p_is_test, duplicate = o_duplicate,
                processed_at = now()
            WHERE d.tenant_id = p_tenant AND d.id = p_delivery;
            INSERT INTO endpoint_counters AS c (tenant_id, account, shard, accepted, rejected, last_notification_at, test_seen_at)
            VALUES (p_tenant, p_account, (p_delivery % 16)::int2, 1, CASE WHEN v_status = 'failed' THEN -1 ELSE 0 END,
                v_received, CASE WHEN p_is_test THEN v_received END)
            ON CONFLICT (tenant_id, account, shard) DO UPDATE SET
                accepted = c.accepted + 1,
                rejected = c.rejected + EXCLUDED.rejected,
                last_notification_at = greatest(c.last_notification_at, EXCLUDED.last_notification_at),
                test_seen_at = CASE WHEN p_is_test THEN greatest(c.test_seen_at, EXCLUDED.test_seen_at)
                    ELSE c.test_seen_at END;
        END
        $fn$;
        """,
        // 3: CSV imports: each upload, the progress of each of its files (so any instance can apply the
        // next chunk) and its rejected rows. Rows themselves go to events/event_lines with source 'csv'.
        """
        CREATE TABLE csv_uploads (
            tenant_id text NOT NULL,
            upload_id text NOT NULL,
            account text NOT NULL,
            time_zone text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, upload_id)
        );
        CREATE TABLE csv_upload_files (
            tenant_id text NOT NULL,
            upload_id text NOT NULL,
            file_name text NOT NULL,
            file_index int NOT NULL,
            received_offset bigint NOT NULL DEFAULT 0, -- bytes applied, tail included
            complete boolean NOT NULL DEFAULT false,
            header jsonb NULL,                         -- the header's names, once read
            resume_line bigint NOT NULL DEFAULT 1,     -- the line where tail starts
            tail bytea NOT NULL DEFAULT '',            -- an incomplete last record, parsed with the next chunk
            rows_read bigint NOT NULL DEFAULT 0,
            inserted bigint NOT NULL DEFAULT 0,
            duplicates_in_import bigint NOT NULL DEFAULT 0,
            already_present bigint NOT NULL DEFAULT 0,
            already_from_webhook bigint NOT NULL DEFAULT 0,
            rejected bigint NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (tenant_id, upload_id, file_name),
            FOREIGN KEY (tenant_id, upload_id) REFERENCES csv_uploads ON DELETE CASCADE
        );
        CREATE TABLE csv_rejections (
            tenant_id text NOT NULL,
            upload_id text NOT NULL,
            file_name text NOT NULL,
            line bigint NOT NULL,
            reason text NOT NULL,
            PRIMARY KEY (tenant_id, upload_id, file_name, line),
            FOREIGN KEY (tenant_id, upload_id, file_name) REFERENCES csv_upload_files ON DELETE CASCADE
        );
        """,
        // 4: shorter unique keys. The unique indexes on events and event_lines held the whole natural key
        // (six or seven text columns, compared by collation): every insert paid for it, and a bulk import
        // most. An event is now unique on (tenant, key), key = 16 bytes: the transaction time (ms, big
        // endian, so that keys of a time-ordered export or of live notifications land at the index's
        // right edge rather than on random pages) then 8 bytes of SHA-256 over the length-prefixed
        // natural key (ClickBank/EventKeys.swift computes the same in Swift; a test checks they agree; a
        // collision needs two events of one tenant in the same millisecond and a 2^-64 chance). A line is unique on (tenant,
        // event id, item number): the same identity, since the event id stands for the event's natural
        // key, and the index also serves reads of an event's lines and grows at its right edge.
        """
        CREATE FUNCTION cbingest_event_key(p_account text, p_role text, p_receipt text, p_type text, p_time_ms bigint)
        RETURNS uuid LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
            SELECT (lpad(to_hex(p_time_ms), 16, '0') || encode(substring(sha256(convert_to('cbingest-event-v1'
                || octet_length(p_account) || ':' || p_account || octet_length(p_role) || ':' || p_role
                || octet_length(p_receipt) || ':' || p_receipt || octet_length(p_type) || ':' || p_type
                || octet_length(p_time_ms::text) || ':' || p_time_ms::text, 'UTF8')) FROM 1 FOR 8), 'hex'))::uuid
        $fn$;
        ALTER TABLE events ADD COLUMN key uuid;
        UPDATE events SET key = cbingest_event_key(account, role, receipt, transaction_type, transaction_time_ms);
        ALTER TABLE events ALTER COLUMN key SET NOT NULL,
            DROP CONSTRAINT events_tenant_id_account_role_receipt_transaction_type_tran_key,
            ADD CONSTRAINT events_natural_key UNIQUE (tenant_id, key);
        ALTER TABLE event_lines DROP CONSTRAINT event_lines_pkey, ADD PRIMARY KEY (tenant_id, event_id, item_no);
        -- A line's event says whose, which receipt, type and instant: the copies made every line a fifth wider.
        ALTER TABLE event_lines DROP COLUMN account, DROP COLUMN role, DROP COLUMN receipt,
            DROP COLUMN transaction_type, DROP COLUMN transaction_time_ms;
        -- A CSV line names its upload by a number instead of the upload id's text (often a 36-character
        -- UUID on every line).
        ALTER TABLE csv_uploads ADD COLUMN number bigserial NOT NULL;
        ALTER TABLE event_lines ADD COLUMN csv_upload bigint NULL;
        UPDATE event_lines l SET csv_upload = u.number FROM csv_uploads u
            WHERE u.tenant_id = l.tenant_id AND u.upload_id = l.csv_upload_id;
        ALTER TABLE event_lines DROP COLUMN csv_upload_id;
        -- The customer and tracking code as columns, whichever way the event came (a CSV event no longer
        -- carries a JSON document just for them: parsing it was a sixth of an import's database time).
        ALTER TABLE events ADD COLUMN tracking_code text, ADD COLUMN customer_first_name text,
            ADD COLUMN customer_last_name text, ADD COLUMN customer_full_name text, ADD COLUMN customer_email text,
            ADD COLUMN customer_city text,
            ADD COLUMN customer_state text, ADD COLUMN customer_postal_code text, ADD COLUMN customer_country text;
        UPDATE events SET tracking_code = document #>> '{trackingCodes,0}',
            customer_first_name = document #>> '{customer,billing,firstName}',
            customer_last_name = document #>> '{customer,billing,lastName}',
            customer_full_name = document #>> '{customer,billing,fullName}',
            customer_email = document #>> '{customer,billing,email}',
            customer_city = document #>> '{customer,billing,address,city}',
            customer_state = document #>> '{customer,billing,address,state}',
            customer_postal_code = document #>> '{customer,billing,address,postalCode}',
            customer_country = document #>> '{customer,billing,address,country}'
        WHERE document IS NOT NULL;
        -- Migration 2's function on the new keys, with the event key computed by the caller (computing
        -- SHA-256 in SQL cost a fifth of the function's throughput).
        DROP FUNCTION cbingest_record_verified;
        CREATE FUNCTION cbingest_record_verified(
            p_tenant text, p_delivery bigint, p_account text, p_key_version int, p_is_test boolean,
            p_role text, p_receipt text, p_type text, p_time_ms bigint, p_kind text, p_vendor text,
            p_affiliate text, p_offset int, p_time_text text, p_currency text, p_total_account numeric,
            p_total_order numeric, p_total_tax numeric, p_total_shipping numeric, p_payment_method text,
            p_upsell text, p_attempt int, p_version text, p_document jsonb, p_lines jsonb, p_key uuid,
            OUT o_event_id bigint, OUT o_duplicate boolean, OUT o_lines_inserted int, OUT o_already boolean)
        LANGUAGE plpgsql AS $fn$
        DECLARE
            v_status text;
            v_received timestamptz;
            v_source text;
        BEGIN
            PERFORM set_config('synchronous_commit', 'off', true);
            SELECT d.status, d.received_at, d.event_id, coalesce(d.duplicate, true)
                INTO v_status, v_received, o_event_id, o_duplicate
                FROM ipn_deliveries d WHERE d.tenant_id = p_tenant AND d.id = p_delivery FOR UPDATE;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'unknown delivery %', p_delivery USING ERRCODE = 'no_data_found';
            END IF;
            o_lines_inserted := 0;
            IF v_status = 'verified' THEN
                -- Already recorded (a replay raced the recovery sweep): report it, change nothing.
                o_already := true;
                RETURN;
            END IF;
            o_already := false;
            o_duplicate := false;
            o_event_id := NULL;
            IF NOT p_is_test THEN
                INSERT INTO events AS e (
                    tenant_id, key, account, role, receipt, transaction_type, transaction_time_ms, kind, vendor,
                    affiliate, utc_offset_minutes, transaction_time_text, currency, total_account_amount,
                    total_order_amount, total_tax_amount, total_shipping_amount, payment_method,
                    upsell_original_receipt, attempt_count, version, document, source, tracking_code,
                    customer_first_name, customer_last_name, customer_full_name, customer_email, customer_city,
                    customer_state, customer_postal_code, customer_country)
                VALUES (p_tenant, p_key, p_account, p_role, p_receipt, p_type, p_time_ms, p_kind, p_vendor,
                    p_affiliate, p_offset, p_time_text, p_currency, p_total_account, p_total_order, p_total_tax,
                    p_total_shipping, p_payment_method, p_upsell, p_attempt, p_version, p_document, 'ipn',
                    p_document #>> '{trackingCodes,0}', p_document #>> '{customer,billing,firstName}',
                    p_document #>> '{customer,billing,lastName}', p_document #>> '{customer,billing,fullName}',
                    p_document #>> '{customer,billing,email}',
                    p_document #>> '{customer,billing,address,city}', p_document #>> '{customer,billing,address,state}',
                    p_document #>> '{customer,billing,address,postalCode}',
                    p_document #>> '{customer,billing,address,country}')
                ON CONFLICT (tenant_id, key) DO NOTHING
                RETURNING e.id INTO o_event_id;
                IF o_event_id IS NULL THEN
                    o_duplicate := true;
                    SELECT e.id, e.source INTO o_event_id, v_source FROM events e
                        WHERE e.tenant_id = p_tenant AND e.key = p_key;
                    IF v_source = 'csv' THEN
                        UPDATE events e SET kind = p_kind, vendor = p_vendor, affiliate = p_affiliate,
                            utc_offset_minutes = p_offset, transaction_time_text = p_time_text, currency = p_currency,
                            total_account_amount = p_total_account, total_order_amount = p_total_order,
                            total_tax_amount = p_total_tax, total_shipping_amount = p_total_shipping,
                            payment_method = p_payment_method, upsell_original_receipt = p_upsell,
                            attempt_count = p_attempt, version = p_version, document = p_document, source = 'ipn',
                            tracking_code = coalesce(p_document #>> '{trackingCodes,0}', e.tracking_code),
                            customer_first_name = coalesce(p_document #>> '{customer,billing,firstName}', e.customer_first_name),
                            customer_last_name = coalesce(p_document #>> '{customer,billing,lastName}', e.customer_last_name),
                            customer_full_name = coalesce(p_document #>> '{customer,billing,fullName}', e.customer_full_name),
                            customer_email = coalesce(p_document #>> '{customer,billing,email}', e.customer_email),
                            customer_city = coalesce(p_document #>> '{customer,billing,address,city}', e.customer_city),
                            customer_state = coalesce(p_document #>> '{customer,billing,address,state}', e.customer_state),
                            customer_postal_code = coalesce(p_document #>> '{customer,billing,address,postalCode}',
                                e.customer_postal_code),
                            customer_country = coalesce(p_document #>> '{customer,billing,address,country}',
                                e.customer_country),
                            csv_confirmed_at = coalesce(e.csv_confirmed_at, e.created_at)
                        WHERE e.tenant_id = p_tenant AND e.id = o_event_id;
                    END IF;
                END IF;
                WITH l AS (
                    SELECT * FROM jsonb_to_recordset(p_lines) AS x(
                        idx int, item_no text, product_title text, line_item_type text, quantity int,
                        account_amount numeric, product_price numeric, tax_amount numeric, shipping_amount numeric,
                        affiliate_payout numeric, recurring boolean)
                ), inserted AS (
                    INSERT INTO event_lines AS el (
                        tenant_id, item_no, event_id, product_title, line_item_type, quantity, account_amount,
                        product_price, tax_amount, shipping_amount, affiliate_payout, recurring, payment_plan, source)
                    SELECT p_tenant, l.item_no, o_event_id,
                        l.product_title, l.line_item_type, l.quantity, l.account_amount, l.product_price, l.tax_amount,
                        l.shipping_amount, l.affiliate_payout, l.recurring,
                        p_document -> 'lineItems' -> l.idx -> 'paymentPlan', 'ipn'
                    FROM l
                    ON CONFLICT (tenant_id, event_id, item_no)
                    DO UPDATE SET product_title = EXCLUDED.product_title,
                        line_item_type = EXCLUDED.line_item_type, quantity = EXCLUDED.quantity,
                        account_amount = EXCLUDED.account_amount, product_price = EXCLUDED.product_price,
                        tax_amount = EXCLUDED.tax_amount, shipping_amount = EXCLUDED.shipping_amount,
                        affiliate_payout = EXCLUDED.affiliate_payout, recurring = EXCLUDED.recurring,
                        payment_plan = EXCLUDED.payment_plan, source = 'ipn',
                        csv_confirmed_at = coalesce(el.csv_confirmed_at, now())
                    WHERE el.source = 'csv'
                    RETURNING (xmax = 0) AS fresh
                )
                SELECT count(*) FILTER (WHERE fresh) INTO o_lines_inserted FROM inserted;
            END IF;
            UPDATE ipn_deliveries d SET status = 'verified', failure = NULL, failure_detail = NULL,
                key_version = p_key_version, event_id = o_event_id, is_test = p_is_test, duplicate = o_duplicate,
                processed_at = now()
            WHERE d.tenant_id = p_tenant AND d.id = p_delivery;
            INSERT INTO endpoint_counters AS c (tenant_id, account, shard, accepted, rejected, last_notification_at, test_seen_at)
            VALUES (p_tenant, p_account, (p_delivery % 16)::int2, 1, CASE WHEN v_status = 'failed' THEN -1 ELSE 0 END,
                v_received, CASE WHEN p_is_test THEN v_received END)
            ON CONFLICT (tenant_id, account, shard) DO UPDATE SET
                accepted = c.accepted + 1,
                rejected = c.rejected + EXCLUDED.rejected,
                last_notification_at = greatest(c.last_notification_at, EXCLUDED.last_notification_at),
                test_seen_at = CASE WHEN p_is_test THEN greatest(c.test_seen_at, EXCLUDED.test_seen_at)
                    ELSE c.test_seen_at END;
        END
        $fn$;
        """,
        // 5: raw bodies in a table of their own. A delivery's row is updated once when it is processed
        // (verified or failed), and an update writes a whole new row version: with the body inline
        // (about 1.7 KB of a 1.8 KB row) each notification wrote its body twice, to the table and to
        // the WAL, and left a dead copy for vacuum. The body is now written once, to
        // ipn_delivery_bodies, and never changes; the row that changes is about 150 bytes. Measured
        // on the gateway's load (16 connections, six 10 s windows): WAL per notification 6.1-7.7 KB
        // -> 4.5-5.1 KB, disk writes 19-36 KB -> 12-25 KB, with no more CPU per notification
        // (README, Benchmarks). Every statement that stores a delivery stores its body in the same
        // statement; no foreign key, whose check would lock the new delivery row for nothing.
        // Nothing is copied and the inline column stays, nullable: bodies stored before keep their
        // place, and so do those that instances of an older build store during a rolling upgrade
        // (copying, then dropping the column, would lose a body such an instance stored in
        // between). Readers take the body from whichever place has it. The other direction doesn't
        // hold: an instance of an older build reads only the inline column, so until it is upgraded
        // its replay (and StoreSecret's re-verification) and recovery sweep fail on deliveries this
        // build stored (their bodies are safe, and this build's instances sweep them), while its
        // webhook path keeps working.
        // The ALTER waits for every transaction using ipn_deliveries, and webhook inserts would queue
        // behind it: past 5 s it gives up, the migration rolls back and the instance fails to start
        // (starting it again retries) while the running instances keep storing.
        """
        SET LOCAL lock_timeout = '5s';
        CREATE TABLE ipn_delivery_bodies (
            tenant_id text NOT NULL,
            delivery_id bigint NOT NULL,
            body bytea NOT NULL,
            PRIMARY KEY (tenant_id, delivery_id)
        );
        ALTER TABLE ipn_deliveries ALTER COLUMN body DROP NOT NULL;
        """,
        // 6: append the next migration here, as one more string literal.
    ]

    /// The schema version this build expects.
    public static var latestVersion: Int {
        Self.all.count
    }

    /// Arbitrary constant key for `pg_advisory_xact_lock`, shared by every instance ("cbingest" in ASCII).
    static let lockKey: Int64 = 0x6362_696E_6765_7374

    /// Applies every migration not yet recorded in `schema_migrations`, each in its own transaction, and returns
    /// the versions it applied (empty when the schema was already current). Blocks: run it through a `PGPool`.
    ///
    /// Throws if the database has a version newer than this build knows, so an old binary never runs against a
    /// schema it doesn't understand. `lastVersion` stops at an older schema, as an older build would leave it
    /// (for tests of a migration on data the build before stored).
    @discardableResult
    public static func apply(on connection: PGConnection, upTo lastVersion: Int = Migrations.latestVersion) throws -> [Int] {
        var applied = [Int]()
        for (index, script) in Self.all.prefix(lastVersion).enumerated() {
            let version = index + 1
            let didApply = try connection.transaction { tx in
                try tx.execute("SELECT pg_advisory_xact_lock($1::int8)", [.init(Self.lockKey)])
                // Creating the bookkeeping table under the lock keeps concurrent first starts from racing on it.
                try tx.executeScript(
                    """
                    CREATE TABLE IF NOT EXISTS schema_migrations (
                        version int PRIMARY KEY,
                        applied_at timestamptz NOT NULL DEFAULT now()
                    )
                    """
                )
                let existing = try tx.execute("SELECT 1 FROM schema_migrations WHERE version = $1", [.init(version)])
                guard existing.rowCount == 0 else {
                    return false
                }
                try tx.executeScript(script)
                try tx.execute("INSERT INTO schema_migrations (version) VALUES ($1)", [.init(version)])
                return true
            }
            if didApply {
                applied.append(version)
            }
        }
        let newest = try connection.execute("SELECT max(version) FROM schema_migrations")
        if let databaseVersion = newest.int(row: 0, column: 0), databaseVersion > Self.latestVersion {
            throw PGError(
                kind: .unexpectedResult,
                operation: "checking the schema version",
                serverMessage: "the database schema (version \(databaseVersion)) is newer than this build "
                    + "(version \(Self.latestVersion))"
            )
        }
        return applied
    }

    /// The versions recorded in `schema_migrations`, ascending (empty if the table doesn't exist yet).
    public static func appliedVersions(on connection: PGConnection) throws -> [Int] {
        let exists = try connection.execute("SELECT to_regclass('schema_migrations') IS NOT NULL")
        guard exists.bool(row: 0, column: 0) == true else {
            return []
        }
        let rows = try connection.execute("SELECT version FROM schema_migrations ORDER BY version")
        return (0..<rows.rowCount).compactMap { rows.int(row: $0, column: 0) }
    }
}
