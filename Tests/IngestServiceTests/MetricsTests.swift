import Foundation
import IngestClient
import IngestGateway
import IngestService
import Metrics
import NIOCore
import Prometheus
import TestSupport
import Testing

/// One Prometheus registry for the test process (the metrics system is bootstrapped once).
enum TestMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

@Suite(.requiresDatabase, .timeLimit(.minutes(2)))
struct MetricsTests {
    @Test func gatewayServesPrometheusMetricsOfCallsNotificationsAndConnections() async throws {
        let registry = TestMetrics.registry
        try await withService { service in
            let client = IngestClient(configuration: RPCClientConfiguration(host: "127.0.0.1", port: service.port))
            var configuration = GatewayConfiguration()
            configuration.port = 0
            let gateway = try await Gateway.start(
                configuration: configuration, client: client, logger: service.logs.makeLogger(),
                metricsText: { registry.emitToString() }
            )
            let base = "http://127.0.0.1:\(gateway.localAddress!.port!)"
            let (_, token) = try await VerifyIPNTests.endpoint(service, account: "synthvend", secret: "SYNTHKEY0000TEST")
            _ = try await GatewayTests.send(
                "POST", "\(base)/clickbank/ipn/\(token)", body: try IPNVector.named("v7_sale_vendor").body, contentType: "application/json"
            )
            _ = try await GatewayTests.send(
                "POST", "\(base)/clickbank/ipn/\(token)", body: try IPNVector.named("neg_tampered_last_block").body, contentType: "application/json"
            )
            let csv = IPNVector.directory.deletingLastPathComponent().appendingPathComponent("csv/transactions_vendor_2024-03.csv")
            _ = try await service.client.importCSV(
                tenantID: ServiceTestDatabase.uniqueTenant(), account: "synthvend", files: [try .path(csv.path)]
            )
            let (status, text) = try await GatewayTests.send("GET", "\(base)/metrics")
            #expect(text.contains(#"cbingest_import_rows_total{outcome="inserted"}"#))
            #expect(status == 200)
            #expect(text.contains(#"cbingest_rpc_calls_total{method="VerifyIPN",code="OK"}"#), "\(text.prefix(2000))")
            #expect(text.contains(#"cbingest_rpc_duration_seconds_bucket{method="GetWebhookURL""#))
            #expect(text.contains(#"cbingest_notifications_total{outcome="new",failure=""}"#))
            #expect(text.contains(#"cbingest_notifications_total{outcome="failed",failure="bad_padding"}"#))
            #expect(text.contains(#"cbingest_gateway_responses_total{code="200"}"#))
            #expect(text.contains("cbingest_rpc_open_connections"))
            #expect(!text.contains(token), "no per-request values in metrics")
            await gateway.shutdown()
            await client.close()
        }
    }
}
