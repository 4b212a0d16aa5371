/// Every statement the store runs. Constants, so each is prepared once per connection (`execute(cached:)`) and
/// values only ever travel as bind parameters.
enum StoreSQL {
    /// Unix milliseconds of a timestamptz, as int8 text (NULL stays NULL).
    private static func ms(_ column: String) -> String {
        "floor(extract(epoch FROM \(column)) * 1000)::int8"
    }

    /// Creates the endpoint row if needed and locks it for the rest of the transaction: the row serves as the
    /// account's lock, so concurrent secret stores or token rotations for one account run one after another
    /// (even the very first ones, when no secret row exists yet to lock with SELECT … FOR UPDATE).
    static let lockEndpoint = """
        INSERT INTO webhook_endpoints (tenant_id, account) VALUES ($1, $2)
        ON CONFLICT (tenant_id, account) DO UPDATE SET tenant_id = EXCLUDED.tenant_id
        """

    static let ensureEndpoint = """
        INSERT INTO webhook_endpoints (tenant_id, account) VALUES ($1, $2)
        ON CONFLICT (tenant_id, account) DO NOTHING
        """

    /// Ends the current secret version's validity after the grace period; $3 is seconds.
    static let retireCurrentSecret = """
        UPDATE clickbank_secrets SET valid_until = now() + make_interval(secs => $3::int8)
        WHERE tenant_id = $1 AND account = $2 AND valid_until IS NULL
        RETURNING version, \(ms("valid_until"))
        """

    static let insertSecret = """
        INSERT INTO clickbank_secrets (tenant_id, account, version, master_key_id, sealed)
        SELECT $1, $2, COALESCE(max(version), 0) + 1, $3, $4::bytea
        FROM clickbank_secrets WHERE tenant_id = $1 AND account = $2
        RETURNING version
        """

    /// Current version first, then replaced versions still within their grace period, newest first.
    static let activeSecrets = """
        SELECT version, master_key_id, sealed, \(ms("valid_until"))
        FROM clickbank_secrets
        WHERE tenant_id = $1 AND account = $2 AND (valid_until IS NULL OR valid_until > now())
        ORDER BY valid_until IS NULL DESC, version DESC
        """

    /// The columns of a token row, as decoded by `IngestStore.token(from:row:offset:)`.
    static let tokenColumns = "token_hash, master_key_id, token_sealed, \(ms("created_at")), \(ms("valid_until"))"

    /// The current token then the newest previous one still valid (at most two rows).
    static let activeTokens = """
        SELECT \(tokenColumns)
        FROM webhook_tokens
        WHERE tenant_id = $1 AND account = $2 AND (valid_until IS NULL OR valid_until > now())
        ORDER BY valid_until IS NULL DESC, created_at DESC
        LIMIT 2
        """

    static let retireCurrentToken = """
        UPDATE webhook_tokens SET valid_until = now() + make_interval(secs => $3::int8)
        WHERE tenant_id = $1 AND account = $2 AND valid_until IS NULL
        """

    static let insertToken = """
        INSERT INTO webhook_tokens (token_hash, tenant_id, account, master_key_id, token_sealed)
        VALUES ($1::bytea, $2, $3, $4, $5::bytea)
        """

    /// Create-if-none: the partial unique index allows one current token per account, so of concurrent first
    /// calls exactly one inserts and the others do nothing (and then read the winner).
    static let insertTokenIfNone = """
        INSERT INTO webhook_tokens (token_hash, tenant_id, account, master_key_id, token_sealed)
        VALUES ($1::bytea, $2, $3, $4, $5::bytea)
        ON CONFLICT (tenant_id, account) WHERE valid_until IS NULL DO NOTHING
        """

    static let resolveToken = """
        SELECT tenant_id, account, valid_until IS NULL
        FROM webhook_tokens
        WHERE token_hash = $1::bytea AND (valid_until IS NULL OR valid_until > now())
        """

    /// Endpoint counters (summed over their shards) plus whether a current secret exists.
    static let endpointColumns = """
        \(ms("e.created_at")), \(ms("c.test_seen_at")), \(ms("c.last_notification_at")), c.accepted, c.rejected,
        EXISTS (SELECT 1 FROM clickbank_secrets s
                WHERE s.tenant_id = e.tenant_id AND s.account = e.account AND s.valid_until IS NULL)
        """

    static let counters = """
        CROSS JOIN LATERAL (
            SELECT max(x.test_seen_at) AS test_seen_at, max(x.last_notification_at) AS last_notification_at,
                coalesce(sum(x.accepted), 0)::int8 AS accepted, coalesce(sum(x.rejected), 0)::int8 AS rejected
            FROM endpoint_counters x WHERE x.tenant_id = e.tenant_id AND x.account = e.account
        ) c
        """

    static let endpointState = """
        SELECT \(endpointColumns)
        FROM webhook_endpoints e
        \(counters)
        WHERE e.tenant_id = $1 AND e.account = $2
        """

    /// The hot path: state and up to two valid tokens in one round trip (one row per token, at least one row if
    /// the endpoint exists).
    static let endpointView = """
        SELECT \(endpointColumns), t.*
        FROM webhook_endpoints e
        \(counters)
        LEFT JOIN LATERAL (
            SELECT \(tokenColumns)
            FROM webhook_tokens w
            WHERE w.tenant_id = e.tenant_id AND w.account = e.account
              AND (w.valid_until IS NULL OR w.valid_until > now())
            ORDER BY w.valid_until IS NULL DESC, w.created_at DESC
            LIMIT 2
        ) t ON true
        WHERE e.tenant_id = $1 AND e.account = $2
        """

    /// Counts one notification (on shard 0); $3: accepted?, $4: was it ClickBank's test notification?
    static let recordNotification = """
        WITH endpoint AS (
            INSERT INTO webhook_endpoints (tenant_id, account) VALUES ($1, $2) ON CONFLICT DO NOTHING
        )
        INSERT INTO endpoint_counters AS c (tenant_id, account, shard, accepted, rejected, last_notification_at, test_seen_at)
        VALUES ($1, $2, 0, CASE WHEN $3::bool THEN 1 ELSE 0 END, CASE WHEN $3::bool THEN 0 ELSE 1 END, now(),
                CASE WHEN $4::bool THEN now() END)
        ON CONFLICT (tenant_id, account, shard) DO UPDATE SET
            accepted = c.accepted + EXCLUDED.accepted,
            rejected = c.rejected + EXCLUDED.rejected,
            last_notification_at = EXCLUDED.last_notification_at,
            test_seen_at = COALESCE(EXCLUDED.test_seen_at, c.test_seen_at)
        """
}
