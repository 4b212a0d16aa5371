public import RPCCore

/// Everything the service needs to run; filled in from flags and environment in one place
/// (the `cbingest serve` command), defaults here.
public struct IngestServiceConfiguration: Sendable {
    public var rpc = RPCServerConfiguration()
    /// libpq connection string or URL.
    public var databaseURL: String = ""
    public var databasePoolSize: Int = 8
    /// The public base of the webhook URLs handed to merchants, for example https://ingest.example.com
    public var publicBaseURL: String = "http://127.0.0.1:8080"
    /// How long a replaced ClickBank secret keeps verifying notifications.
    public var secretGracePeriodSeconds: UInt32 = 72 * 3600
    /// How long a rotated webhook token keeps working.
    public var tokenGracePeriodSeconds: UInt32 = 72 * 3600

    /// Largest notification body VerifyIPN accepts (the gateway checks the same cap first).
    public var maxIPNBodyBytes: Int = 64 * 1024

    /// How often stored-but-unprocessed notifications are looked for, and how old they must be;
    /// nil turns the periodic sweep off.
    public var recoverySweepInterval: Duration? = .seconds(60)

    public init() {}
}
