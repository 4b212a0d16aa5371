import ClickBank
import IngestMessages
public import IngestStore
public import Logging
public import RPCCore

/// The service's methods: validation, encryption at rest, and the store. One instance serves every
/// connection; it holds no per-tenant state, so any number of instances can share one database.
public final class IngestHandlers: Sendable {
    let store: IngestStore
    let keyring: MasterKeyring
    let configuration: IngestServiceConfiguration
    let logger: Logger
    let metrics = ServiceMetrics()

    public init(store: IngestStore, keyring: MasterKeyring, configuration: IngestServiceConfiguration, logger: Logger) {
        self.store = store
        self.keyring = keyring
        self.configuration = configuration
        self.logger = logger
    }

    /// The router with every method of `service Ingest` at its declared index.
    public func makeRouter() -> RPCRouter {
        var router = RPCRouter()
        router.unary(IngestMethod.storeSecret.rawValue, IngestMethod.storeSecret.name, self.storeSecret)
        router.unary(IngestMethod.getWebhookURL.rawValue, IngestMethod.getWebhookURL.name, self.getWebhookURL)
        // Short between its two batched database writes, and the gateway calls it over one connection per
        // event loop: it runs on the connection's loop, without a hand-off to the global pool.
        router.unary(IngestMethod.verifyIPN.rawValue, IngestMethod.verifyIPN.name, onEventLoop: true, self.verifyIPN)
        router.clientStreaming(IngestMethod.importCSV.rawValue, IngestMethod.importCSV.name, self.importCSV)
        router.inlineOrUnary(
            IngestMethod.check.rawValue, IngestMethod.check.name, inline: Self.checkWithoutDatabase, unary: self.check
        )
        return router
    }

    // MARK: StoreSecret

    func storeSecret(_ request: StoreSecretRequest, _ context: RPCCallContext) async throws -> StoreSecretResponse {
        let tenant = try Identifiers.tenant(request.tenantId)
        let account = try Identifiers.account(request.account)
        let warnings: [String]
        do {
            warnings = try SecretKeyRules.validate(request.secretKey)
        } catch {
            throw ServiceError.invalidArgument("\(error)")
        }
        let sealed = self.keyring.seal(
            Array(request.secretKey.utf8),
            context: Self.secretSealingContext(tenant: tenant, account: account)
        )
        let grace = request.previousKeyGraceSeconds > 0
            ? request.previousKeyGraceSeconds : self.configuration.secretGracePeriodSeconds
        let stored = try await self.storeCall {
            try await self.store.storeSecret(
                tenant: tenant, account: account, masterKeyID: sealed.keyID, sealed: sealed.sealed,
                previousGraceSeconds: Int(grace)
            )
        }
        context.logger.info(
            "stored a ClickBank secret key",
            metadata: ["tenant": "\(tenant)", "account": "\(account)", "key_version": "\(stored.version)"]
        )
        var response = StoreSecretResponse()
        // Notifications kept because no key (or a wrong one) was stored verify now.
        response.replayedNotifications = UInt32(
            clamping: try await self.reverifyFailedDeliveries(tenant: tenant, account: account, logger: context.logger)
        )
        response.stored = true
        response.warnings = warnings
        response.keyVersion = UInt32(stored.version)
        response.previousKeyValidUntilMs = stored.previousValidUntilMs ?? 0
        return response
    }

    static func secretSealingContext(tenant: String, account: String) -> String {
        "clickbank-secret|\(tenant)|\(account)"
    }

    // MARK: GetWebhookURL

    func getWebhookURL(_ request: GetWebhookURLRequest, _ context: RPCCallContext) async throws -> GetWebhookURLResponse {
        let tenant = try Identifiers.tenant(request.tenantId)
        let account = try Identifiers.account(request.account)
        let sealingContext = WebhookTokens.sealingContext(tenant: tenant, account: account)

        let view = try await self.storeCall { try await self.store.webhookView(tenant: tenant, account: account) }
        var current = view.currentToken
        var previous = view.previousToken
        if current == nil || request.rotateToken {
            let token = WebhookTokens.make()
            let sealed = self.keyring.seal(Array(token.utf8), context: sealingContext)
            let grace = request.previousTokenGraceSeconds > 0
                ? request.previousTokenGraceSeconds : self.configuration.tokenGracePeriodSeconds
            // The store returns what the database holds afterwards: with concurrent first calls only
            // one token wins, and every caller gets that one.
            let created = try await self.storeCall {
                try await self.store.createToken(
                    tenant: tenant, account: account, tokenHash: WebhookTokens.lookupHash(token),
                    masterKeyID: sealed.keyID, sealed: sealed.sealed,
                    rotateGraceSeconds: request.rotateToken ? Int(grace) : nil
                )
            }
            if request.rotateToken {
                context.logger.info("rotated a webhook token", metadata: ["tenant": "\(tenant)", "account": "\(account)"])
            }
            current = created.record.current
            previous = created.record.previous
        }
        guard let current else {
            throw ServiceError(.internal, "the webhook token could not be created")
        }
        var response = GetWebhookURLResponse()
        response.url = try self.url(for: current, context: sealingContext)
        if let previous {
            response.previousUrl = try self.url(for: previous, context: sealingContext)
            response.previousUrlValidUntilMs = previous.validUntilMs ?? 0
        }
        response.secretStored = view.secretStored
        response.testSeen = view.testSeenAtMs != nil
        response.testSeenAtMs = view.testSeenAtMs ?? 0
        response.lastNotificationAtMs = view.lastNotificationAtMs ?? 0
        response.acceptedNotifications = UInt64(view.accepted)
        response.rejectedNotifications = UInt64(view.rejected)
        return response
    }

    private func url(for token: SealedToken, context: String) throws -> String {
        let plaintext = try self.keyring.open(token.sealed, keyID: token.masterKeyID, context: context)
        let base = self.configuration.publicBaseURL.hasSuffix("/")
            ? String(self.configuration.publicBaseURL.dropLast()) : self.configuration.publicBaseURL
        return base + WebhookTokens.path(for: String(decoding: plaintext, as: UTF8.self))
    }

    // MARK: Check

    /// The server-only health check answers on the event loop: it measures the protocol, nothing else.
    static func checkWithoutDatabase(_ request: HealthCheckRequest, _ context: RPCCallContext) -> HealthCheckResponse? {
        guard request.service.isEmpty else { return nil }
        var response = HealthCheckResponse()
        response.status = .serving
        return response
    }

    func check(_ request: HealthCheckRequest, _ context: RPCCallContext) async throws -> HealthCheckResponse {
        var response = HealthCheckResponse()
        switch request.service {
        case "":
            response.status = .serving
        case "database":
            response.status = (try? await self.store.ping()) != nil ? .serving : .notServing
        default:
            throw ServiceError.notFound("unknown health-check service '\(request.service)'; use '' or 'database'")
        }
        return response
    }

    // MARK: Store errors

    /// Runs a store call, turning database failures into a status for the caller (details go to the
    /// log only: they may contain values). A database that is unreachable, overloaded or busy gives
    /// UNAVAILABLE (retry later); a failure that retrying won't cure (a bug, a schema that doesn't
    /// match this build) gives INTERNAL, so that clients don't retry it forever as if it were an outage.
    func storeCall<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ServiceError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            self.logger.error("database call failed", metadata: ["error": "\(String(reflecting: error))"])
            if let error = error as? IngestStoreError, [.internal, .invalidArgument, .alreadyExists].contains(error.code) {
                throw ServiceError.storeInternal(error)
            }
            throw ServiceError.storeUnavailable()
        }
    }
}
