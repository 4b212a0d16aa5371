/// Whom a webhook token belongs to.
public struct WebhookTokenOwner: Sendable, Hashable {
    public var tenant: String
    public var account: String
    /// `false` while the token is a replaced one still within its grace period.
    public var isCurrent: Bool

    public init(tenant: String, account: String, isCurrent: Bool) {
        self.tenant = tenant
        self.account = account
        self.isCurrent = isCurrent
    }
}
