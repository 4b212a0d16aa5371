/// The methods of `service Ingest`, numbered by their declaration order in
/// proto/clickbank/ingest/v1/ingest.proto. Only ever append.
public enum IngestMethod: UInt32, CaseIterable, Sendable {
    case storeSecret = 0
    case getWebhookURL = 1
    case verifyIPN = 2
    case importCSV = 3
    case check = 4

    public var name: String {
        switch self {
        case .storeSecret: "StoreSecret"
        case .getWebhookURL: "GetWebhookURL"
        case .verifyIPN: "VerifyIPN"
        case .importCSV: "ImportCSV"
        case .check: "Check"
        }
    }
}
