/// One webhook URL token as stored: its hash (the lookup key) and the token itself, sealed.
public struct SealedToken: Sendable, Hashable {
    /// The hash the service computes from a token in an incoming URL; primary key of the token table.
    public var tokenHash: [UInt8]
    /// Which master key sealed the token.
    public var masterKeyID: String
    /// The sealed token, so the service can show the URL again; opaque to the store.
    public var sealed: [UInt8]
    public var createdAtMs: Int64
    /// `nil` for the current token; otherwise the end of its grace period in Unix milliseconds.
    public var validUntilMs: Int64?

    public init(tokenHash: [UInt8], masterKeyID: String, sealed: [UInt8], createdAtMs: Int64, validUntilMs: Int64?) {
        self.tokenHash = tokenHash
        self.masterKeyID = masterKeyID
        self.sealed = sealed
        self.createdAtMs = createdAtMs
        self.validUntilMs = validUntilMs
    }

    public var isCurrent: Bool {
        self.validUntilMs == nil
    }
}
