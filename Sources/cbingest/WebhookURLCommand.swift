import ArgumentParser
import Foundation
import IngestClient

struct WebhookURLCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-url",
        abstract: "Show the URL to paste into ClickBank's \"Instant Notification URL\", and its state.",
        discussion: """
            The URL is stable: ask as often as you like. --rotate issues a new one; the old one keeps \
            working for the grace period (default 72 h) while you update ClickBank.
            """
    )

    @Option(help: "Your tenant id.")
    var tenant: String

    @Option(help: "The ClickBank account nickname.")
    var account: String

    @Flag(help: "Issue a new URL (the old one keeps working for the grace period).")
    var rotate = false

    @Flag(help: "Print JSON instead of text.")
    var json = false

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let client = try self.client.makeClient()
        defer { Task { await client.close() } }
        try await runClientCall {
            let state = try await client.getWebhookURL(tenantID: self.tenant, account: self.account, rotateToken: self.rotate)
            if self.json {
                printJSON([
                    "url": state.url,
                    "secret_stored": state.secretStored,
                    "test_seen": state.testSeen,
                    "test_seen_at_ms": state.testSeenAtMs,
                    "last_notification_at_ms": state.lastNotificationAtMs,
                    "accepted_notifications": state.acceptedNotifications,
                    "rejected_notifications": state.rejectedNotifications,
                    "previous_url": state.previousUrl,
                    "previous_url_valid_until_ms": state.previousUrlValidUntilMs,
                ])
                return
            }
            print(state.url)
            print("  secret key stored:   \(state.secretStored ? "yes" : "no (run: cbingest secret set)")")
            print("  test IPN seen:       \(state.testSeen ? formatTime(milliseconds: state.testSeenAtMs) : "not yet (press \"Test IPN\" in ClickBank)")")
            print("  last notification:   \(formatTime(milliseconds: state.lastNotificationAtMs))")
            print("  accepted / rejected: \(state.acceptedNotifications) / \(state.rejectedNotifications)")
            if !state.previousUrl.isEmpty {
                print("  previous URL valid until \(formatTime(milliseconds: state.previousUrlValidUntilMs)): \(state.previousUrl)")
            }
        }
    }
}
