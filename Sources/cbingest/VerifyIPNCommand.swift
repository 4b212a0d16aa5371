import ArgumentParser
import Foundation
import IngestClient
import IngestMessages

struct VerifyIPNCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-ipn",
        abstract: "Verify and record one ClickBank notification body read from standard input.",
        discussion: """
            Reads the exact HTTP body ClickBank posted (JSON for v6/v7, form fields for legacy \
            versions) and prints the verdict and the normalised notification as JSON. It is \
            recorded like a real delivery (once, whatever the retries). Exit 0 when it verified, \
            1 when it was stored but failed verification.
            """
    )

    @Option(help: "The token at the end of the webhook URL.")
    var token: String?

    @Option(help: "Instead of --token: your tenant id.")
    var tenant: String?

    @Option(help: "Instead of --token: the ClickBank account nickname.")
    var account: String?

    @Option(help: "The Content-Type ClickBank sent.")
    var contentType: String = "application/json"

    @OptionGroup var client: ClientOptions

    func validate() throws {
        if self.token == nil && (self.tenant == nil || self.account == nil) {
            throw ValidationError("give --token, or --tenant and --account")
        }
    }

    func run() async throws {
        let body = FileHandle.standardInput.readDataToEndOfFile()
        guard !body.isEmpty else { throw ValidationError("no notification body on standard input") }
        let client = try self.client.makeClient()
        defer { Task { await client.close() } }
        try await runClientCall {
            var request = VerifyIPNRequest()
            request.token = self.token ?? ""
            request.tenantId = self.tenant ?? ""
            request.account = self.account ?? ""
            request.body = Array(body)
            request.contentType = self.contentType
            let response = try await client.verifyIPN(request)
            var output: [String: Any] = [
                "verified": response.verified,
                "duplicate": response.duplicate,
                "test": response.test,
                "delivery_id": response.deliveryId,
            ]
            if response.verified {
                output["key_version"] = response.keyVersion
            } else {
                output["failure"] = "\(response.failure)"
                output["failure_detail"] = response.failureDetail
            }
            if let notification = response.notification {
                output["notification"] = NotificationJSON.object(notification)
            }
            printJSON(output)
            if !response.verified { throw ExitCode(1) }
        }
    }
}

/// The normalised notification as plain JSON for people and scripts.
enum NotificationJSON {
    static func object(_ n: IngestMessages.Notification) -> [String: Any] {
        var object: [String: Any] = [
            "receipt": n.receipt,
            "transaction_type": n.transactionType,
            "kind": "\(n.kind)",
            "vendor": n.vendor,
            "role": n.role,
            "transaction_time": n.transactionTimeText,
            "transaction_time_ms": n.transactionTimeMs,
            "utc_offset_minutes": n.utcOffsetMinutes,
            "currency": n.currency,
            "total_account_amount": n.totalAccountAmount,
            "total_order_amount": n.totalOrderAmount,
            "payment_method": n.paymentMethod,
            "attempt_count": n.attemptCount,
            "version": n.version,
            "line_items": n.lineItems.map { item in
                [
                    "item_no": item.itemNo, "product_title": item.productTitle, "quantity": item.quantity,
                    "account_amount": item.accountAmount, "line_item_type": item.lineItemType, "recurring": item.recurring,
                ] as [String: Any]
            },
            "tracking_codes": n.trackingCodes,
        ]
        if !n.affiliate.isEmpty { object["affiliate"] = n.affiliate }
        if !n.totalTaxAmount.isEmpty { object["total_tax_amount"] = n.totalTaxAmount }
        if !n.totalShippingAmount.isEmpty { object["total_shipping_amount"] = n.totalShippingAmount }
        if let upsell = n.upsell, !upsell.originalReceipt.isEmpty { object["upsell_original_receipt"] = upsell.originalReceipt }
        if !n.vendorVariables.isEmpty {
            object["vendor_variables"] = Dictionary(n.vendorVariables.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        }
        if let billing = n.billing {
            object["billing"] = ["full_name": billing.fullName, "email": billing.email, "country": billing.address?.country ?? ""]
        }
        return object
    }
}
