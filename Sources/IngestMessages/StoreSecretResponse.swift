internal import IngestProtoC

public struct StoreSecretResponse: WireMessage {
    public static let protoName = "clickbank.ingest.v1.StoreSecretResponse"

    public var stored: Bool = false
    /// Non-fatal remarks, for example a key longer than the 16 characters ClickBank issues today.
    public var warnings: [String] = []
    /// Set when a previous key was replaced: until then (Unix ms) it still verifies notifications.
    public var previousKeyValidUntilMs: Int64 = 0
    /// Notifications kept earlier that verified with this key when it was stored (automatic replay).
    public var replayedNotifications: UInt32 = 0
    /// Identifies this key version (not the key): VerifyIPN reports which version verified.
    public var keyVersion: UInt32 = 0
    public var error: CallError?

    public init() {}

    public init(
        stored: Bool = false, warnings: [String] = [], previousKeyValidUntilMs: Int64 = 0,
        replayedNotifications: UInt32 = 0, keyVersion: UInt32 = 0, error: CallError? = nil
    ) {
        self.stored = stored
        self.warnings = warnings
        self.previousKeyValidUntilMs = previousKeyValidUntilMs
        self.replayedNotifications = replayedNotifications
        self.keyVersion = keyVersion
        self.error = error
    }
}

extension StoreSecretResponse: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__StoreSecretResponse

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__store_secret_response__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__store_secret_response__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.stored = message.stored != 0
        self.warnings = swiftStrings(message.n_warnings, message.warnings)
        self.previousKeyValidUntilMs = message.previous_key_valid_until_ms
        self.replayedNotifications = message.replayed_notifications
        self.keyVersion = message.key_version
        self.error = swiftMessage(message.error)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.stored = cBool(self.stored)
        (message.n_warnings, message.warnings) = arena.strings(self.warnings)
        message.previous_key_valid_until_ms = self.previousKeyValidUntilMs
        message.replayed_notifications = self.replayedNotifications
        message.key_version = self.keyVersion
        message.error = arena.message(self.error)
    }
}
