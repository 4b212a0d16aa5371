import Foundation
import IngestClient
import IngestGateway
import IngestService
import LibPQ
import NIOCore
import TestSupport
import Testing

/// The database goes down mid-run: ClickBank gets 503 (so it retries) and, once the database is
/// back, the retry is accepted and stored; nothing accepted earlier is lost. Uses a PostgreSQL of
/// its own (scripts/pg.sh), since stopping the shared one would disturb other tests.
@Suite(.requiresDatabase, .serialized, .timeLimit(.minutes(3)))
struct DatabaseOutageTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs scripts/pg.sh (its output is not captured: the server it starts would hold a pipe open).
    static func pg(_ arguments: [String]) async throws {
        let result = try await runProgram(
            Self.repository.appendingPathComponent("scripts/pg.sh").path, arguments, captureOutput: false
        )
        guard result.status == 0 else { throw CocoaError(.executableLoad) }
    }

    static func freePort() async throws -> Int {
        let result = try await runProgram(Self.repository.appendingPathComponent("scripts/free-port.sh").path, [])
        return Int(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    @Test func outageGives503AndTheRetryIsAcceptedOnceTheDatabaseIsBack() async throws {
        let directory = Self.repository.appendingPathComponent(".run/pg-outage-\(UUID().uuidString.prefix(8))").path
        let port = "\(try await Self.freePort())"
        try await Self.pg(["start", directory, port])
        let conninfo = "host=127.0.0.1 port=\(port) user=postgres dbname=cbingest"
        do {
            try await self.exercise(conninfo: conninfo, directory: directory, port: port)
        } catch {
            try? await Self.pg(["stop", directory])
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        try? await Self.pg(["stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }

    func exercise(conninfo: String, directory: String, port: String) async throws {
        try await withService({ $0.databaseURL = conninfo }) { service in
            var configuration = GatewayConfiguration()
            configuration.port = 0
            // The gateway as `cbingest serve` starts it: with a client of its own per event loop.
            let gateway = try await Gateway.start(
                configuration: configuration, rpc: RPCClientConfiguration(host: "127.0.0.1", port: service.port),
                logger: service.logs.makeLogger()
            )
            let base = "http://127.0.0.1:\(gateway.localAddress!.port!)"
            let (tenant, token) = try await VerifyIPNTests.endpoint(service, account: "synthvend", secret: "SYNTHKEY0000TEST")
            let url = "\(base)/clickbank/ipn/\(token)"

            let before = try await GatewayTests.send("POST", url, body: try IPNVector.named("v7_sale_vendor").body, contentType: "application/json")
            #expect(before.0 == 200)

            try await Self.pg(["stop", directory])
            let during = try await GatewayTests.send("POST", url, body: try IPNVector.named("v7_upsell").body, contentType: "application/json")
            #expect(during.0 == 503, "nothing could be stored, so ClickBank must retry")
            #expect(try await GatewayTests.send("GET", "\(base)/readyz").0 == 503)

            try await Self.pg(["start", directory, port])
            // ClickBank's retry; the pool reconnects by itself (allow one failed attempt per stale connection).
            var status = 0
            for _ in 0..<10 where status != 200 {
                status = try await GatewayTests.send("POST", url, body: try IPNVector.named("v7_upsell").body, contentType: "application/json").0
            }
            #expect(status == 200)
            let state = try await service.client.getWebhookURL(tenantID: tenant, account: "synthvend")
            #expect(state.acceptedNotifications == 2, "the sale from before and the retried upsell")
            await gateway.shutdown()
        }
    }
}
