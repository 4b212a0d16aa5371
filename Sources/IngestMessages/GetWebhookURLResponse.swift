internal import IngestProtoC

public struct GetWebhookURLResponse: WireMessage {
    public static let protoName = "clickbank.ingest.v1.GetWebhookURLResponse"

    /// The exact URL to paste into ClickBank's "Instant Notification URL".
    public var url: String = ""
    public var secretStored: Bool = false
    public var testSeen: Bool = false
    public var testSeenAtMs: Int64 = 0
    public var lastNotificationAtMs: Int64 = 0
    public var acceptedNotifications: UInt64 = 0
    public var rejectedNotifications: UInt64 = 0
    /// Set after a rotation: the previous URL keeps working until then (Unix ms).
    public var previousUrlValidUntilMs: Int64 = 0
    public var previousUrl: String = ""
    public var error: CallError?

    public init() {}

    public init(
        url: String = "", secretStored: Bool = false, testSeen: Bool = false, testSeenAtMs: Int64 = 0,
        lastNotificationAtMs: Int64 = 0, acceptedNotifications: UInt64 = 0, rejectedNotifications: UInt64 = 0,
        previousUrlValidUntilMs: Int64 = 0, previousUrl: String = "", error: CallError? = nil
    ) {
        self.url = url
        self.secretStored = secretStored
        self.testSeen = testSeen
        self.testSeenAtMs = testSeenAtMs
        self.lastNotificationAtMs = lastNotificationAtMs
        self.acceptedNotifications = acceptedNotifications
        self.rejectedNotifications = rejectedNotifications
        self.previousUrlValidUntilMs = previousUrlValidUntilMs
        self.previousUrl = previousUrl
        self.error = error
    }
}

extension GetWebhookURLResponse: CBackedMessage {
    typealias CMessage = Clickbank__Ingest__V1__GetWebhookURLResponse

    static func cInit(_ message: UnsafeMutablePointer<CMessage>) {
        clickbank__ingest__v1__get_webhook_urlresponse__init(message)
    }

    static func cUnpack(_ count: Int, _ bytes: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CMessage>? {
        clickbank__ingest__v1__get_webhook_urlresponse__unpack(nil, count, bytes)
    }

    init(c message: CMessage) {
        self.url = swiftString(message.url)
        self.secretStored = message.secret_stored != 0
        self.testSeen = message.test_seen != 0
        self.testSeenAtMs = message.test_seen_at_ms
        self.lastNotificationAtMs = message.last_notification_at_ms
        self.acceptedNotifications = message.accepted_notifications
        self.rejectedNotifications = message.rejected_notifications
        self.previousUrlValidUntilMs = message.previous_url_valid_until_ms
        self.previousUrl = swiftString(message.previous_url)
        self.error = swiftMessage(message.error)
    }

    func fill(_ message: inout CMessage, _ arena: inout Arena) {
        message.url = arena.string(self.url)
        message.secret_stored = cBool(self.secretStored)
        message.test_seen = cBool(self.testSeen)
        message.test_seen_at_ms = self.testSeenAtMs
        message.last_notification_at_ms = self.lastNotificationAtMs
        message.accepted_notifications = self.acceptedNotifications
        message.rejected_notifications = self.rejectedNotifications
        message.previous_url_valid_until_ms = self.previousUrlValidUntilMs
        message.previous_url = arena.string(self.previousUrl)
        message.error = arena.message(self.error)
    }
}
