import IngestClient
import NIOConcurrencyHelpers
import NIOHTTP1

/// Counters the gateway exposes on /metrics in Prometheus text format. Labels are bounded sets
/// (status codes), never per-request values.
final class GatewayMetrics: Sendable {
    private struct Counts {
        var responses: [UInt: Int] = [:]
        var rpcFailures: [String: Int] = [:]
        var openConnections = 0
    }

    private let counts = NIOLockedValueBox(Counts())

    func count(_ status: HTTPResponseStatus) {
        self.counts.withLockedValue { $0.responses[status.code, default: 0] += 1 }
    }

    func countFailure(_ code: RPCStatusCode) {
        self.counts.withLockedValue { $0.rpcFailures[code.name, default: 0] += 1 }
    }

    func connectionOpened() -> Bool {
        self.counts.withLockedValue { $0.openConnections += 1; return true }
    }

    func connectionClosed() {
        self.counts.withLockedValue { $0.openConnections -= 1 }
    }

    var openConnections: Int { self.counts.withLockedValue { $0.openConnections } }

    func render() -> String {
        let counts = self.counts.withLockedValue { $0 }
        var text = "# HELP cbingest_gateway_responses_total HTTP responses by status code.\n"
        text += "# TYPE cbingest_gateway_responses_total counter\n"
        for (code, count) in counts.responses.sorted(by: { $0.key < $1.key }) {
            text += "cbingest_gateway_responses_total{code=\"\(code)\"} \(count)\n"
        }
        text += "# HELP cbingest_gateway_rpc_failures_total VerifyIPN calls that failed, by status.\n"
        text += "# TYPE cbingest_gateway_rpc_failures_total counter\n"
        for (code, count) in counts.rpcFailures.sorted(by: { $0.key < $1.key }) {
            text += "cbingest_gateway_rpc_failures_total{code=\"\(code)\"} \(count)\n"
        }
        text += "# HELP cbingest_gateway_open_connections HTTP connections open now.\n"
        text += "# TYPE cbingest_gateway_open_connections gauge\n"
        text += "cbingest_gateway_open_connections \(counts.openConnections)\n"
        return text
    }
}
