import CoreMetrics
import IngestStore
import Metrics
import NIOConcurrencyHelpers

/// Business metrics of the service (swift-metrics; the executable picks the backend). Dimensions
/// are bounded sets: outcomes and failure codes, never tenants or receipts.
final class ServiceMetrics: Sendable {
    private let notifications = NIOLockedValueBox<[String: Counter]>([:])
    private let importRows = NIOLockedValueBox<[String: Counter]>([:])
    private let poolSize = Gauge(label: "cbingest_db_pool_connections")
    private let poolBusy = Gauge(label: "cbingest_db_pool_busy")
    private let poolWaiting = Gauge(label: "cbingest_db_pool_waiting")

    /// outcome: new, duplicate, test, or failed (with the failure code).
    func countNotification(outcome: String, failure: String = "") {
        let key = outcome + "/" + failure
        let counter = self.notifications.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(
                label: "cbingest_notifications_total", dimensions: [("outcome", outcome), ("failure", failure)]
            )
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// Rows of one applied CSV chunk by outcome.
    func countImportRows(current: CSVFileProgress, previous: CSVFileProgress?) {
        let outcomes: [(String, Int64, Int64)] = [
            ("inserted", current.inserted, previous?.inserted ?? 0),
            ("duplicate_in_import", current.duplicatesInImport, previous?.duplicatesInImport ?? 0),
            ("already_present", current.alreadyPresent, previous?.alreadyPresent ?? 0),
            ("already_from_webhook", current.alreadyFromWebhook, previous?.alreadyFromWebhook ?? 0),
            ("rejected", current.rejected, previous?.rejected ?? 0),
        ]
        for (outcome, now, before) in outcomes where now > before {
            let counter = self.importRows.withLockedValue { counters in
                if let counter = counters[outcome] { return counter }
                let counter = Counter(label: "cbingest_import_rows_total", dimensions: [("outcome", outcome)])
                counters[outcome] = counter
                return counter
            }
            counter.increment(by: now - before)
        }
    }

    func recordPool(_ stats: IngestStore.PoolStats) {
        self.poolSize.record(stats.size)
        self.poolBusy.record(stats.busy)
        self.poolWaiting.record(stats.waiting)
    }
}
