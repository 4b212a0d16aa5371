import CoreMetrics
import IngestClient
import Metrics
import NIOConcurrencyHelpers
import NIOHTTP1

/// The gateway's metrics (swift-metrics) and its connection count. Dimensions are bounded sets
/// (HTTP status codes, RPC status names), never per-request values.
final class GatewayMetrics: Sendable {
    private let responses = NIOLockedValueBox<[UInt: Counter]>([:])
    private let failures = NIOLockedValueBox<[String: Counter]>([:])
    private let connections = NIOLockedValueBox(0)
    private let openConnectionsGauge = Gauge(label: "cbingest_gateway_open_connections")

    func count(_ status: HTTPResponseStatus) {
        let counter = self.responses.withLockedValue { counters in
            if let counter = counters[status.code] { return counter }
            let counter = Counter(label: "cbingest_gateway_responses_total", dimensions: [("code", "\(status.code)")])
            counters[status.code] = counter
            return counter
        }
        counter.increment()
    }

    func countFailure(_ code: RPCStatusCode) {
        let counter = self.failures.withLockedValue { counters in
            if let counter = counters[code.name] { return counter }
            let counter = Counter(label: "cbingest_gateway_rpc_failures_total", dimensions: [("code", code.name)])
            counters[code.name] = counter
            return counter
        }
        counter.increment()
    }

    /// Admits a connection unless `limit` are open.
    func connectionOpened(limit: Int) -> Bool {
        let open: Int? = self.connections.withLockedValue { count in
            guard count < limit else { return nil }
            count += 1
            return count
        }
        guard let open else { return false }
        self.openConnectionsGauge.record(open)
        return true
    }

    func connectionClosed() {
        self.openConnectionsGauge.record(self.connections.withLockedValue { count in
            count -= 1
            return count
        })
    }
}
