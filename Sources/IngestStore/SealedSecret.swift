/// One stored version of an account's ClickBank secret key, still sealed: the store never sees plaintext.
public struct SealedSecret: Sendable, Hashable {
    public var version: Int
    /// Which master key sealed it, so the service can unseal it after a master key rotation.
    public var masterKeyID: String
    /// The sealed (encrypted and authenticated) secret, opaque to the store.
    public var sealed: [UInt8]
    /// `nil` for the current version; otherwise the end of its grace period in Unix milliseconds.
    public var validUntilMs: Int64?

    public init(version: Int, masterKeyID: String, sealed: [UInt8], validUntilMs: Int64? = nil) {
        self.version = version
        self.masterKeyID = masterKeyID
        self.sealed = sealed
        self.validUntilMs = validUntilMs
    }

    /// `true` for the current version (no end of validity).
    public var isCurrent: Bool {
        self.validUntilMs == nil
    }
}
