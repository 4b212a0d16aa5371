/// The outcome of `IngestStore.createToken`.
public struct WebhookTokenCreation: Sendable, Hashable {
    /// The account's token after the call: the caller's new one, or the one a concurrent call stored first.
    public var record: WebhookTokenRecord
    /// `true` if the caller's token was stored; `false` if an existing current token won (create-if-none).
    public var created: Bool

    public init(record: WebhookTokenRecord, created: Bool) {
        self.record = record
        self.created = created
    }
}
