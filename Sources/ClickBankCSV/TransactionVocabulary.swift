/// Translates the display forms an export may use for transaction types and roles into ClickBank's codes,
/// so that rows and notifications of the same event agree ("Refund" is RFND, "Vendor" is VENDOR).
enum TransactionVocabulary {
    /// Upper-case letters and digits only, the key of both tables.
    private static func squash(_ text: String) -> String {
        String(String.UnicodeScalarView(text.uppercased().unicodeScalars.filter {
            $0.properties.isAlphabetic || $0.properties.numericType != nil
        }))
    }

    private static let typeCodes: [String: String] = [
        "SALE": "SALE", "BILL": "BILL", "REBILL": "BILL", "RECURRING": "BILL", "RECURRINGBILL": "BILL",
        "RFND": "RFND", "REFUND": "RFND", "CGBK": "CGBK", "CHARGEBACK": "CGBK", "INSF": "INSF",
        "INSUFFICIENTFUNDS": "INSF", "NSF": "INSF", "CANCELREBILL": "CANCEL-REBILL", "REBILLCANCEL": "CANCEL-REBILL",
        "UNCANCELREBILL": "UNCANCEL-REBILL", "TEST": "TEST", "TESTSALE": "TEST_SALE", "TESTBILL": "TEST_BILL",
        "TESTREBILL": "TEST_BILL", "TESTRFND": "TEST_RFND", "TESTREFUND": "TEST_RFND",
        "CANCELTESTREBILL": "CANCEL-TEST-REBILL", "UNCANCELTESTREBILL": "UNCANCEL-TEST-REBILL",
        "SUBSCRIPTIONCHG": "SUBSCRIPTION-CHG", "SUBSCRIPTIONCHANGE": "SUBSCRIPTION-CHG",
        "ABANDONEDORDER": "ABANDONED_ORDER",
    ]

    private static let roles: [String: String] = [
        "VENDOR": "VENDOR", "AFFILIATE": "AFFILIATE", "JVUPSELL": "JV_UPSELL", "JV": "JV_UPSELL",
        "JVPARTNER": "JV_UPSELL", "JOINTVENTURE": "JV_UPSELL", "JOINTVENTUREPARTNER": "JV_UPSELL",
    ]

    /// ClickBank's code for a written transaction type; an unknown one upper-cased, spaces as underscores.
    static func typeCode(for written: String) -> String {
        self.typeCodes[self.squash(written)] ?? self.upperSnake(written)
    }

    /// VENDOR, AFFILIATE or JV_UPSELL for their display forms; an unknown role upper-cased, spaces as
    /// underscores.
    static func role(for written: String) -> String {
        self.roles[self.squash(written)] ?? self.upperSnake(written)
    }

    private static func upperSnake(_ text: String) -> String {
        text.uppercased().split(separator: " ", omittingEmptySubsequences: true).joined(separator: "_")
    }
}
