/// Everything `GetWebhookURL` shows about an account, read in one round trip (its hot path): the endpoint's
/// counters, whether a secret is stored, and the current and newest previous webhook tokens.
///
/// Returned for any account; one without an endpoint row yet has `endpointExists == false`, no tokens, and
/// zero counts.
public struct WebhookView: Sendable, Hashable {
    public var endpointExists: Bool
    /// `nil` until a token has been created.
    public var currentToken: SealedToken?
    /// The newest replaced token still within its grace period.
    public var previousToken: SealedToken?
    /// Whether a current ClickBank secret key is stored.
    public var secretStored: Bool
    public var createdAtMs: Int64?
    public var testSeenAtMs: Int64?
    public var lastNotificationAtMs: Int64?
    public var accepted: Int64
    public var rejected: Int64

    public init(
        endpointExists: Bool = false,
        currentToken: SealedToken? = nil,
        previousToken: SealedToken? = nil,
        secretStored: Bool = false,
        createdAtMs: Int64? = nil,
        testSeenAtMs: Int64? = nil,
        lastNotificationAtMs: Int64? = nil,
        accepted: Int64 = 0,
        rejected: Int64 = 0
    ) {
        self.endpointExists = endpointExists
        self.currentToken = currentToken
        self.previousToken = previousToken
        self.secretStored = secretStored
        self.createdAtMs = createdAtMs
        self.testSeenAtMs = testSeenAtMs
        self.lastNotificationAtMs = lastNotificationAtMs
        self.accepted = accepted
        self.rejected = rejected
    }
}
