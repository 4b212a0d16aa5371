public import LibPQ

/// The service's storage: ClickBank secret versions, webhook endpoints and webhook URL tokens in PostgreSQL.
///
/// Every method is one pool job: blocking libpq work happens on the pool's threads, never on the caller's
/// executor. All SQL is constant with bind parameters and prepared once per connection. Secrets and tokens are
/// stored sealed (opaque bytes the service encrypted); the store needs no cryptography and never sees plaintext.
/// Every row is keyed by (tenant, account), and every query filters on both, so one tenant's identifiers can
/// never reach another tenant's rows.
///
/// A failed write is always thrown, as an `IngestStoreError` whose code says what kind of failure it was.
public final class IngestStore: Sendable {
    private let pool: PGPool
    /// Group commit of webhook deliveries and of their verified outcomes (IngestStore+Notifications.swift).
    let deliveryBatcher: StoreBatcher<IncomingDelivery, IncomingDelivery.Written?>
    let verifiedBatcher: StoreBatcher<VerifiedRecording, RecordedRow>

    /// Wraps an existing pool; call `migrate()` before first use unless something else did.
    public init(pool: PGPool) {
        self.pool = pool
        self.deliveryBatcher = StoreBatcher(pool: pool, write: IncomingDelivery.writeAndRecord)
        // A batch of recordings is one statement (`NotificationSQL.recordBatch`) which takes
        // deliveries, events, lines and counter rows in one global order, so concurrent batches never
        // wait for each other in a cycle. (A batch and a CSV chunk holding the same rows in crossing
        // order still can: rare, detected by PostgreSQL, and the batch is then written again one
        // recording at a time.)
        self.verifiedBatcher = StoreBatcher(
            pool: pool,
            write: StoreBatcher.eachAloneOnFailure { connection, recordings throws(PGError) in
                try VerifiedRecording.write(connection, recordings)
            }
        )
    }

    /// Opens a pool to `conninfo`, checks that the database is reachable and applies pending migrations.
    ///
    /// Throws `IngestStoreError` `.unavailable` with a clear cause when the database can't be reached.
    public static func connect(conninfo: String, poolSize: Int = 8, migrate: Bool = true) async throws -> IngestStore {
        let store = IngestStore(pool: PGPool(conninfo: conninfo, size: poolSize))
        do {
            if migrate {
                try await store.migrate()
            } else {
                try await store.run("connecting") { connection in
                    try connection.execute("SELECT 1")
                }
            }
        } catch {
            await store.shutdown()
            throw error
        }
        return store
    }

    /// Applies pending schema migrations (safe to call from several instances at once); returns the versions
    /// it applied.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await self.run("applying migrations") { connection in
            try Migrations.apply(on: connection)
        }
    }

    /// Checks that the database answers (for a health check); throws `.unavailable` if not.
    public func ping() async throws {
        try await self.run("pinging the database") { connection in
            try connection.execute(cached: "SELECT 1")
        }
    }

    /// Finishes queued calls and closes the connections.
    public func shutdown() async {
        await self.pool.shutdown()
    }

    /// Connection pool figures for metrics.
    public struct PoolStats: Sendable, Hashable {
        public var size: Int
        public var busy: Int
        public var waiting: Int
        public var connected: Int
    }

    public var poolStats: PoolStats {
        let stats = self.pool.stats
        return PoolStats(size: stats.size, busy: stats.busy, waiting: stats.waiting, connected: stats.connected)
    }

    // MARK: - ClickBank secrets

    /// Stores a new secret version for the account and starts the grace period of the one it replaces.
    ///
    /// In one transaction: locks the account (through its endpoint row, created if needed), gives the current
    /// version `valid_until = now() + previousGraceSeconds` (older versions keep their own end), and inserts the
    /// new version (max + 1) as current. Concurrent calls for one account are serialised, so versions never
    /// collide and there is always exactly one current version.
    public func storeSecret(
        tenant: String,
        account: String,
        masterKeyID: String,
        sealed: [UInt8],
        previousGraceSeconds: Int
    ) async throws -> StoredSecretVersion {
        let grace = max(0, previousGraceSeconds)
        return try await self.run("storing a secret") { connection in
            try connection.transaction { tx in
                try tx.execute(cached: StoreSQL.lockEndpoint, [.text(tenant), .text(account)])
                let retired = try tx.execute(
                    cached: StoreSQL.retireCurrentSecret,
                    [.text(tenant), .text(account), .init(grace)]
                )
                let inserted = try tx.execute(
                    cached: StoreSQL.insertSecret,
                    [.text(tenant), .text(account), .text(masterKeyID), .bytes(sealed)]
                )
                guard inserted.rowCount == 1, let version = inserted.int(row: 0, column: 0) else {
                    throw IngestStoreError(code: .internal, operation: "storing a secret")
                }
                return StoredSecretVersion(
                    version: version,
                    previousVersion: retired.rowCount > 0 ? retired.int(row: 0, column: 0) : nil,
                    previousValidUntilMs: retired.rowCount > 0 ? retired.int64(row: 0, column: 1) : nil
                )
            }
        }
    }

    /// The secrets a notification may be signed with: the current version first, then replaced versions still
    /// within their grace period, newest first. Empty if the account has none.
    public func activeSecrets(tenant: String, account: String) async throws -> [SealedSecret] {
        try await self.run("reading secrets") { connection in
            let rows = try connection.execute(cached: StoreSQL.activeSecrets, [.text(tenant), .text(account)])
            return try (0..<rows.rowCount).map { row in
                guard let version = rows.int(row: row, column: 0),
                    let masterKeyID = rows[row, 1],
                    let sealed = rows.bytes(row: row, column: 2)
                else {
                    throw IngestStoreError(code: .internal, operation: "decoding a secret row")
                }
                return SealedSecret(
                    version: version,
                    masterKeyID: masterKeyID,
                    sealed: sealed,
                    validUntilMs: rows.int64(row: row, column: 3)
                )
            }
        }
    }

    // MARK: - Webhook tokens

    /// The account's current webhook token and the newest previous one still valid; `nil` if it has none.
    public func webhookToken(tenant: String, account: String) async throws -> WebhookTokenRecord? {
        try await self.run("reading webhook tokens") { connection in
            let rows = try connection.execute(cached: StoreSQL.activeTokens, [.text(tenant), .text(account)])
            let tokens = try (0..<rows.rowCount).compactMap { try Self.token(from: rows, row: $0, offset: 0) }
            return Self.record(from: tokens)
        }
    }

    /// Stores a new webhook token for the account.
    ///
    /// - With `rotateGraceSeconds` (a rotation): in one transaction, the current token stays valid for that many
    ///   seconds and the new one becomes current. `created` is always `true`.
    /// - Without (create if none exists): the token is stored only if the account has no current token. Of
    ///   concurrent first calls exactly one wins (a partial unique index enforces one current token per
    ///   account); every call returns the winner, with `created` telling the caller whether it was theirs.
    ///
    /// The endpoint row is created if needed. A `tokenHash` that already exists throws `.alreadyExists`.
    public func createToken(
        tenant: String,
        account: String,
        tokenHash: [UInt8],
        masterKeyID: String,
        sealed: [UInt8],
        rotateGraceSeconds: Int? = nil
    ) async throws -> WebhookTokenCreation {
        try await self.run("storing a webhook token") { connection in
            try connection.transaction { tx in
                let insertParameters: [PGParameter] = [
                    .bytes(tokenHash), .text(tenant), .text(account), .text(masterKeyID), .bytes(sealed),
                ]
                let created: Bool
                if let rotateGraceSeconds {
                    try tx.execute(cached: StoreSQL.lockEndpoint, [.text(tenant), .text(account)])
                    try tx.execute(
                        cached: StoreSQL.retireCurrentToken,
                        [.text(tenant), .text(account), .init(max(0, rotateGraceSeconds))]
                    )
                    try tx.execute(cached: StoreSQL.insertToken, insertParameters)
                    created = true
                } else {
                    try tx.execute(cached: StoreSQL.ensureEndpoint, [.text(tenant), .text(account)])
                    created = try tx.execute(cached: StoreSQL.insertTokenIfNone, insertParameters).affectedRows == 1
                }
                // READ COMMITTED: this statement's snapshot includes a concurrent winner that made our insert
                // do nothing, because the insert waited for that transaction to commit.
                let rows = try tx.execute(cached: StoreSQL.activeTokens, [.text(tenant), .text(account)])
                let tokens = try (0..<rows.rowCount).compactMap { try Self.token(from: rows, row: $0, offset: 0) }
                guard let record = Self.record(from: tokens) else {
                    throw IngestStoreError(code: .internal, operation: "reading back a webhook token")
                }
                return WebhookTokenCreation(record: record, created: created)
            }
        }
    }

    /// Who owns a token seen in a webhook URL; `nil` for unknown tokens and for replaced tokens past their grace
    /// period.
    public func resolveToken(tokenHash: [UInt8]) async throws -> WebhookTokenOwner? {
        try await self.run("resolving a webhook token") { connection in
            let rows = try connection.execute(cached: StoreSQL.resolveToken, [.bytes(tokenHash)])
            guard rows.rowCount > 0 else {
                return nil
            }
            guard let tenant = rows[0, 0], let account = rows[0, 1], let isCurrent = rows.bool(row: 0, column: 2) else {
                throw IngestStoreError(code: .internal, operation: "decoding a webhook token row")
            }
            return WebhookTokenOwner(tenant: tenant, account: account, isCurrent: isCurrent)
        }
    }

    // MARK: - Endpoint state

    /// The endpoint's state in one query; `nil` if the account has no endpoint yet.
    public func endpointState(tenant: String, account: String) async throws -> EndpointState? {
        try await self.run("reading endpoint state") { connection in
            let rows = try connection.execute(cached: StoreSQL.endpointState, [.text(tenant), .text(account)])
            guard rows.rowCount > 0 else {
                return nil
            }
            return try Self.endpointState(from: rows, row: 0)
        }
    }

    /// The endpoint's state and tokens in one round trip (the `GetWebhookURL` hot path). For an account with
    /// no endpoint yet it returns an empty view (`endpointExists == false`).
    public func webhookView(tenant: String, account: String) async throws -> WebhookView {
        try await self.run("reading a webhook endpoint") { connection in
            let rows = try connection.execute(cached: StoreSQL.endpointView, [.text(tenant), .text(account)])
            guard rows.rowCount > 0 else {
                return WebhookView()
            }
            let state = try Self.endpointState(from: rows, row: 0)
            let tokens = try (0..<rows.rowCount).compactMap { try Self.token(from: rows, row: $0, offset: 6) }
            let record = Self.record(from: tokens)
            return WebhookView(
                endpointExists: true,
                currentToken: record?.current,
                previousToken: record?.previous,
                secretStored: state.hasSecret,
                createdAtMs: state.createdAtMs,
                testSeenAtMs: state.testSeenAtMs,
                lastNotificationAtMs: state.lastNotificationAtMs,
                accepted: state.accepted,
                rejected: state.rejected
            )
        }
    }

    /// Counts one notification for the endpoint (creating the row if needed): accepted or rejected, sets
    /// `last_notification_at`, and `test_seen_at` when `isTest` (pass it only for a verified test notification).
    public func recordNotification(tenant: String, account: String, accepted: Bool, isTest: Bool) async throws {
        try await self.run("recording a notification") { connection in
            try connection.execute(
                cached: StoreSQL.recordNotification,
                [.text(tenant), .text(account), .init(accepted), .init(isTest)]
            )
        }
    }

    // MARK: - Internals

    /// Runs `body` on a pooled connection and turns database errors into `IngestStoreError`.
    @discardableResult
    func run<T: Sendable>(
        _ operation: String,
        _ body: @escaping @Sendable (PGConnection) throws -> T
    ) async throws -> T {
        try await Self.mappingErrors(operation) { try await self.pool.withConnection(body) }
    }

    /// Runs one call through a batcher and turns database errors into `IngestStoreError`, as `run` does.
    func batched<Input: Sendable, Output: Sendable>(
        _ operation: String, _ batcher: StoreBatcher<Input, Output>, _ input: Input
    ) async throws -> Output {
        try await Self.mappingErrors(operation) { try await batcher.submit(input) }
    }

    private static func mappingErrors<T>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PGError {
            throw IngestStoreError(code: Self.code(for: error), operation: operation, underlying: error)
        }
    }

    static func code(for error: PGError) -> IngestStoreError.Code {
        if error.isConnectionError || error.kind == .poolShutdown {
            return .unavailable
        }
        // Transient: serialization failure or deadlock (40), out of resources (53), lock not available
        // (55P03), statement cancelled or timed out (57014). A retry may well succeed.
        if let state = error.sqlState,
            state.hasPrefix("40") || state.hasPrefix("53") || state == "55P03" || state == "57014"
        {
            return .unavailable
        }
        if error.kind == .poolExhausted {
            return .resourceExhausted
        }
        if error.isUniqueViolation {
            return .alreadyExists
        }
        if error.kind == .invalidParameter || error.sqlState?.hasPrefix("22") == true {
            return .invalidArgument
        }
        return .internal
    }

    private static func endpointState(from rows: PGResult, row: Int) throws -> EndpointState {
        guard let createdAt = rows.int64(row: row, column: 0),
            let accepted = rows.int64(row: row, column: 3),
            let rejected = rows.int64(row: row, column: 4),
            let hasSecret = rows.bool(row: row, column: 5)
        else {
            throw IngestStoreError(code: .internal, operation: "decoding an endpoint row")
        }
        return EndpointState(
            hasSecret: hasSecret,
            createdAtMs: createdAt,
            testSeenAtMs: rows.int64(row: row, column: 1),
            lastNotificationAtMs: rows.int64(row: row, column: 2),
            accepted: accepted,
            rejected: rejected
        )
    }

    /// Decodes the five `StoreSQL.tokenColumns` starting at `offset`; `nil` when the row has no token (the
    /// LEFT JOIN found none).
    private static func token(from rows: PGResult, row: Int, offset: Int) throws -> SealedToken? {
        guard rows[row, offset] != nil else {
            return nil
        }
        guard let hash = rows.bytes(row: row, column: offset),
            let masterKeyID = rows[row, offset + 1],
            let sealed = rows.bytes(row: row, column: offset + 2),
            let createdAt = rows.int64(row: row, column: offset + 3)
        else {
            throw IngestStoreError(code: .internal, operation: "decoding a webhook token row")
        }
        return SealedToken(
            tokenHash: hash,
            masterKeyID: masterKeyID,
            sealed: sealed,
            createdAtMs: createdAt,
            validUntilMs: rows.int64(row: row, column: offset + 4)
        )
    }

    /// Current token plus newest previous, from rows ordered current first; `nil` without a current token.
    private static func record(from tokens: [SealedToken]) -> WebhookTokenRecord? {
        guard let current = tokens.first, current.isCurrent else {
            return nil
        }
        return WebhookTokenRecord(current: current, previous: tokens.dropFirst().first)
    }
}
