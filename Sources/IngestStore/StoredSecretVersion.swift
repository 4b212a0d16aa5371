/// The outcome of `IngestStore.storeSecret`: the new version and what happened to the one it replaced.
public struct StoredSecretVersion: Sendable, Hashable {
    /// The version just stored (1 for an account's first secret).
    public var version: Int
    /// The version that was current before, if there was one.
    public var previousVersion: Int?
    /// When the previous version stops being accepted, in Unix milliseconds.
    public var previousValidUntilMs: Int64?

    public init(version: Int, previousVersion: Int? = nil, previousValidUntilMs: Int64? = nil) {
        self.version = version
        self.previousVersion = previousVersion
        self.previousValidUntilMs = previousValidUntilMs
    }
}
