import CoreMetrics
import Metrics
import NIOConcurrencyHelpers

/// The RPC server's metrics (swift-metrics; the executable chooses the backend). Dimensions are
/// bounded sets (method names, status code names), never per-request values.
final class RPCMetrics: Sendable {
    private struct Key: Hashable {
        var method: String
        var code: String
    }

    private let calls = NIOLockedValueBox<[Key: Counter]>([:])
    private let durations = NIOLockedValueBox<[String: Metrics.Timer]>([:])
    let openConnections = Gauge(label: "cbingest_rpc_open_connections")

    /// One finished call: counted by method and status, its latency recorded by method.
    func record(method: String, code: RPCStatusCode, started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let key = Key(method: method, code: code.name)
        let counter = self.calls.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "cbingest_rpc_calls_total", dimensions: [("method", method), ("code", code.name)])
            counters[key] = counter
            return counter
        }
        counter.increment()
        let timer = self.durations.withLockedValue { timers in
            if let timer = timers[method] { return timer }
            let timer = Metrics.Timer(label: "cbingest_rpc_duration_seconds", dimensions: [("method", method)])
            timers[method] = timer
            return timer
        }
        timer.recordNanoseconds(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }
}
