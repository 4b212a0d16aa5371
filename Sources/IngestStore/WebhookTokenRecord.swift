/// An account's current webhook token and, during a rotation's grace period, the newest previous one.
public struct WebhookTokenRecord: Sendable, Hashable {
    public var current: SealedToken
    /// The newest replaced token that is still accepted, if any.
    public var previous: SealedToken?

    public init(current: SealedToken, previous: SealedToken? = nil) {
        self.current = current
        self.previous = previous
    }
}
