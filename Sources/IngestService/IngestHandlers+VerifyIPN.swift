import ClickBank
import Foundation
import IngestMessages
import IngestStore
import Logging
import RPCCore

extension IngestHandlers {
    /// VerifyIPN: store the raw body durably, then decrypt and verify it with the endpoint's current
    /// secret key (or a previous one within its grace period), and record the event once.
    func verifyIPN(_ request: VerifyIPNRequest, _ context: RPCCallContext) async throws -> VerifyIPNResponse {
        guard request.body.count <= self.configuration.maxIPNBodyBytes else {
            throw ServiceError(
                .resourceExhausted,
                "notification body of \(request.body.count) bytes is over the limit of \(self.configuration.maxIPNBodyBytes)"
            )
        }
        guard !request.body.isEmpty else {
            throw ServiceError.invalidArgument("the notification body is empty")
        }
        let receivedAtMs = request.receivedAtMs > 0 ? request.receivedAtMs : Self.nowMilliseconds()
        // The raw body is stored durably before anything interprets it: whatever decryption or
        // parsing does, it is kept and can be verified again.
        var logger = context.logger
        let includeNotification = !request.omitNotification
        if !request.token.isEmpty {
            // A malformed token is unknown without a database lookup.
            guard WebhookTokens.isWellFormed(request.token) else { throw ServiceError.notFound("unknown webhook token") }
            // Stored, verified and recorded in one database job (`recordDelivery(…, verifyingWith:)`),
            // verification only once the body is durable.
            let outcome = try await self.storeCall {
                try await self.store.recordDelivery(
                    tokenHash: WebhookTokens.lookupHash(request.token), receivedAtMs: receivedAtMs,
                    contentType: request.contentType, body: request.body,
                    verifyingWith: { stored in
                        try self.verification(
                            body: request.body, contentType: request.contentType, tenant: stored.tenant,
                            account: stored.account, secrets: stored.secrets
                        ).get()
                    }
                )
            }
            guard let outcome else { throw ServiceError.notFound("unknown webhook token") }
            let stored = outcome.stored
            logger[metadataKey: "tenant"] = "\(stored.tenant)"
            logger[metadataKey: "account"] = "\(stored.account)"
            logger[metadataKey: "delivery_id"] = "\(stored.deliveryID)"
            let failure: IPNFailure?
            switch outcome.verification {
            case .success(let verified):
                guard let recorded = outcome.recorded else {
                    throw ServiceError(.internal, "a verified notification came back unrecorded")
                }
                return self.verifiedResponse(
                    deliveryID: stored.deliveryID, verified, recorded, includeNotification: includeNotification, logger: logger
                )
            case .failure where stored.secrets.isEmpty:
                failure = nil
            case .failure(let verdict as IPNFailure):
                failure = verdict
            case .failure(let error):
                // A secret that can't be unsealed: nothing is recorded, the recovery sweep tries again.
                throw error
            }
            return try await self.unverifiedResponse(
                failure, deliveryID: stored.deliveryID, tenant: stored.tenant, account: stored.account, recordFailure: true,
                logger: logger
            )
        }
        guard !request.tenantId.isEmpty || !request.account.isEmpty else {
            throw ServiceError.invalidArgument("give the webhook token, or tenant_id and account")
        }
        let tenant = try Identifiers.tenant(request.tenantId)
        let account = try Identifiers.account(request.account)
        let deliveryID = try await self.storeCall {
            try await self.store.recordDelivery(
                tenant: tenant, account: account, receivedAtMs: receivedAtMs,
                contentType: request.contentType, body: request.body
            )
        }
        let secrets = try await self.storeCall { try await self.store.activeSecrets(tenant: tenant, account: account) }
        logger[metadataKey: "tenant"] = "\(tenant)"
        logger[metadataKey: "account"] = "\(account)"
        logger[metadataKey: "delivery_id"] = "\(deliveryID)"
        return try await self.process(
            Delivery(id: deliveryID, body: request.body, contentType: request.contentType),
            tenant: tenant, account: account, secrets: secrets, recordFailure: true,
            includeNotification: includeNotification, logger: logger
        )
    }

    struct Delivery {
        var id: Int64
        var body: [UInt8]
        var contentType: String
    }

    /// Verifies a stored delivery and records the outcome. `recordFailure` is false when
    /// re-verifying a delivery that already counts as rejected.
    func process(
        _ delivery: Delivery, tenant: String, account: String, secrets knownSecrets: [SealedSecret]? = nil,
        recordFailure: Bool, includeNotification: Bool = true, logger: Logger
    ) async throws -> VerifyIPNResponse {
        let secrets: [SealedSecret]
        if let knownSecrets {
            secrets = knownSecrets
        } else {
            secrets = try await self.storeCall { try await self.store.activeSecrets(tenant: tenant, account: account) }
        }
        guard !secrets.isEmpty else {
            return try await self.unverifiedResponse(
                nil, deliveryID: delivery.id, tenant: tenant, account: account, recordFailure: recordFailure, logger: logger
            )
        }
        switch try self.verification(
            body: delivery.body, contentType: delivery.contentType, tenant: tenant, account: account, secrets: secrets
        ) {
        case .success(let verified):
            let recorded = try await self.storeCall {
                try await self.store.recordVerified(
                    deliveryID: delivery.id, tenant: tenant, account: account,
                    notification: verified.notification, keyVersion: verified.keyVersion
                )
            }
            return self.verifiedResponse(deliveryID: delivery.id, verified, recorded, includeNotification: includeNotification, logger: logger)
        case .failure(let failure):
            return try await self.unverifiedResponse(
                failure, deliveryID: delivery.id, tenant: tenant, account: account, recordFailure: recordFailure, logger: logger
            )
        }
    }

    /// The answer for a delivery that didn't verify (`failure` nil: no secret is stored yet), after
    /// recording the failure unless `recordFailure` is false (and its metrics and log line).
    func unverifiedResponse(
        _ failure: IPNFailure?, deliveryID: Int64, tenant: String, account: String, recordFailure: Bool, logger: Logger
    ) async throws -> VerifyIPNResponse {
        var response = VerifyIPNResponse()
        response.deliveryId = deliveryID
        let code: String
        if let failure {
            code = failure.code
            response.failure = NotificationMessage.failure(failure)
            response.failureDetail = failure.detail
        } else {
            code = "no_secret"
            response.failure = .noSecret
            response.failureDetail = "no ClickBank secret key is stored for this account yet; the notification is kept and verified when one is stored"
        }
        if recordFailure {
            try await self.storeCall {
                try await self.store.recordFailed(
                    deliveryID: deliveryID, tenant: tenant, account: account, failure: code, detail: response.failureDetail
                )
            }
        }
        self.metrics.countNotification(outcome: "failed", failure: code)
        if failure == nil {
            logger.notice("notification kept unverified: no secret key stored")
        } else {
            logger.notice("notification failed verification", metadata: ["failure": "\(code)"])
        }
        return response
    }

    /// Decrypts and checks a delivery with each secret in turn (current first) and returns the first
    /// that verifies it, or the current key's verdict. Throws only when a secret can't be unsealed.
    func verification(
        body: [UInt8], contentType: String, tenant: String, account: String, secrets: [SealedSecret]
    ) throws -> Result<VerifiedNotification, IPNFailure> {
        var firstFailure: IPNFailure?
        for secret in secrets {
            let key = try self.keyring.open(
                secret.sealed, keyID: secret.masterKeyID, context: Self.secretSealingContext(tenant: tenant, account: account)
            )
            do throws(IPNFailure) {
                let notification = try IPNVerifier.verify(
                    body: body, contentType: contentType, secretKey: String(decoding: key, as: UTF8.self)
                )
                try Self.checkAccount(notification, account: account)
                return .success(VerifiedNotification(notification: notification, keyVersion: secret.version))
            } catch {
                // The current key's verdict is the one to report; older keys only get a chance.
                if firstFailure == nil { firstFailure = error }
            }
        }
        return .failure(firstFailure ?? .malformedBody("no secret key to verify with"))
    }

    /// The answer for a verified and recorded notification (and its metrics and log line).
    func verifiedResponse(
        deliveryID: Int64, _ verified: VerifiedNotification, _ recorded: RecordedNotification, includeNotification: Bool, logger: Logger
    ) -> VerifyIPNResponse {
        var response = VerifyIPNResponse()
        response.deliveryId = deliveryID
        response.verified = true
        response.keyVersion = UInt32(verified.keyVersion)
        response.duplicate = recorded.duplicate
        response.test = recorded.isTest
        if includeNotification {
            response.notification = NotificationMessage.make(from: verified.notification)
        }
        self.metrics.countNotification(outcome: recorded.isTest ? "test" : (recorded.duplicate ? "duplicate" : "new"))
        logger.info(
            "notification verified",
            metadata: [
                "receipt": "\(verified.notification.receipt)", "type": "\(verified.notification.transactionType)",
                "duplicate": "\(recorded.duplicate)", "key_version": "\(verified.keyVersion)",
            ]
        )
        return response
    }

    /// A notification must be addressed to the account this endpoint serves: the vendor for VENDOR
    /// notifications, the affiliate for AFFILIATE ones. (CBC has no MAC, so this is one of the checks
    /// that make a forged or misrouted body fail.)
    static func checkAccount(_ notification: ClickBankNotification, account: String) throws(IPNFailure) {
        let role = notification.role.uppercased()
        guard role == "VENDOR" || role == "AFFILIATE" else { return }
        let receiver = notification.receivingAccount.lowercased()
        if receiver != account.lowercased() {
            throw .vendorMismatch(expected: account, got: receiver)
        }
    }

    /// Re-verifies the kept notifications that failed (no secret yet, or the wrong one) after a new
    /// secret key was stored. Returns how many now verified.
    func reverifyFailedDeliveries(tenant: String, account: String, logger: Logger) async throws -> Int {
        var verified = 0
        var afterID: Int64 = 0
        while true {
            let batch = try await self.storeCall {
                try await self.store.deliveriesToReverify(tenant: tenant, account: account, afterID: afterID, limit: 200)
            }
            guard !batch.isEmpty else { break }
            for stored in batch {
                afterID = max(afterID, stored.id)
                let outcome = try await self.process(
                    Delivery(id: stored.id, body: stored.body, contentType: stored.contentType),
                    tenant: tenant, account: account, recordFailure: false, logger: logger
                )
                if outcome.verified { verified += 1 }
            }
        }
        return verified
    }

    static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}

extension IngestHandlers {
    /// Verifies deliveries that were stored but never processed (the process stopped between storing
    /// the raw body and recording the outcome). Idempotent: a delivery already recorded is left as it
    /// is. A delivery that can't be processed now (its secret sealed under a master key that is not
    /// configured, the database gone) is skipped and tried again by a later sweep.
    func recoverUnprocessedDeliveries(olderThanSeconds: Int) async -> Int {
        var recovered = 0
        var skipped = Set<Int64>()
        while true {
            let batch: [StoredDelivery]
            do {
                batch = try await self.store.unprocessedDeliveries(olderThanSeconds: olderThanSeconds, limit: 200 + skipped.count)
            } catch {
                self.logger.warning("recovery sweep could not read deliveries", metadata: ["error": "\(error)"])
                break
            }
            let pending = batch.filter { !skipped.contains($0.id) }
            guard !pending.isEmpty else { break }
            for stored in pending {
                var logger = self.logger
                logger[metadataKey: "delivery_id"] = "\(stored.id)"
                do {
                    _ = try await self.process(
                        Delivery(id: stored.id, body: stored.body, contentType: stored.contentType),
                        tenant: stored.tenant, account: stored.account, recordFailure: true, logger: logger
                    )
                    recovered += 1
                } catch {
                    skipped.insert(stored.id)
                    logger.warning("recovery sweep skipped a delivery", metadata: ["error": "\(error)"])
                }
            }
        }
        if recovered > 0 {
            self.logger.notice("recovered unprocessed notifications", metadata: ["count": "\(recovered)"])
        }
        return recovered
    }
}
