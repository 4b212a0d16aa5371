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
        """,
        // 3: append the next migration here, as one more string literal.
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
    /// schema it doesn't understand.
    @discardableResult
    public static func apply(on connection: PGConnection) throws -> [Int] {
        var applied = [Int]()
        for (index, script) in Self.all.enumerated() {
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
