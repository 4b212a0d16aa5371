import Foundation
import IngestClient
import IngestGateway
import IngestService
import LibPQ
import Logging
import NIOCore
import TestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The HTTP gateway end to end: ClickBank's POST -> gateway -> IngestClient -> RPC -> store.
@Suite(.requiresDatabase, .timeLimit(.minutes(3)))
struct GatewayTests {
    struct Running {
        let service: RunningService
        let gateway: Gateway
        let gatewayClient: IngestClient
        var base: String { "http://127.0.0.1:\(self.gateway.localAddress!.port!)" }
    }

    static func withGateway(
        _ configure: (inout GatewayConfiguration) -> Void = { _ in },
        _ body: (Running) async throws -> Void
    ) async throws {
        try await withService { service in
            let client = IngestClient(configuration: RPCClientConfiguration(host: "127.0.0.1", port: service.port))
            var configuration = GatewayConfiguration()
            configuration.port = 0
            configure(&configuration)
            let gateway = try await Gateway.start(configuration: configuration, client: client, logger: service.logs.makeLogger())
            let running = Running(service: service, gateway: gateway, gatewayClient: client)
            do {
                try await body(running)
            } catch {
                await gateway.shutdown()
                await client.close()
                throw error
            }
            await gateway.shutdown()
            await client.close()
        }
    }

    static func send(_ method: String, _ url: String, body: [UInt8] = [], contentType: String? = nil) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if !body.isEmpty || method == "POST" { request.httpBody = Data(body) }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    @Test(arguments: IPNVector.all)
    func everyVectorOfAKnownEndpointIsAcknowledgedOnceStored(_ vector: IPNVector) async throws {
        try await Self.withGateway { running in
            let (tenant, token) = try await VerifyIPNTests.endpoint(running.service, account: vector.account, secret: vector.secretKey)
            let (status, text) = try await Self.send(
                "POST", "\(running.base)/clickbank/ipn/\(token)", body: vector.body, contentType: vector.contentType
            )
            // 200 whether or not it verified: it is stored, and ClickBank must not retry it forever.
            #expect(status == 200, "\(text)")
            #expect(!text.lowercased().contains("padding"), "the answer never says why verification failed")
            let connection = try ServiceTestDatabase.connect()
            let rows = try connection.execute(
                "SELECT status FROM ipn_deliveries WHERE tenant_id = $1", [.text(tenant)]
            )
            #expect(rows.rowCount == 1)
            #expect(rows[0, 0] == (vector.isPositive ? "verified" : "failed"))
        }
    }

    @Test func httpErrorsForUnknownTokenWrongMethodAndOversizedBody() async throws {
        try await Self.withGateway { $0.maxBodyBytes = 8192 } _: { running in
            let (_, token) = try await VerifyIPNTests.endpoint(running.service, account: "synthvend", secret: "SYNTHKEY0000TEST")
            let body = try IPNVector.named("v7_sale_vendor").body
            #expect(try await Self.send("POST", "\(running.base)/clickbank/ipn/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", body: body).0 == 404)
            #expect(try await Self.send("GET", "\(running.base)/clickbank/ipn/\(token)").0 == 405)
            #expect(try await Self.send("POST", "\(running.base)/elsewhere", body: body).0 == 404)
            let big = Array(repeating: UInt8(ascii: "x"), count: 8193)
            #expect(try await Self.send("POST", "\(running.base)/clickbank/ipn/\(token)", body: big).0 == 413)
            #expect(try await Self.send("GET", "\(running.base)/healthz").0 == 200)
            #expect(try await Self.send("GET", "\(running.base)/readyz").0 == 200)
            // Nothing of the refused requests was stored.
            let state = try await running.service.client.getWebhookURL(
                tenantID: "unused-\(UUID().uuidString.prefix(8))", account: "synthvend"
            )
            #expect(state.acceptedNotifications == 0)
        }
    }

    @Test func serviceUnavailableAnswers503SoClickBankRetries() async throws {
        try await Self.withGateway { running in
            let (_, token) = try await VerifyIPNTests.endpoint(running.service, account: "synthvend", secret: "SYNTHKEY0000TEST")
            await running.service.application.shutdown()  // the RPC service goes away
            let (status, _) = try await Self.send(
                "POST", "\(running.base)/clickbank/ipn/\(token)", body: try IPNVector.named("v7_sale_vendor").body,
                contentType: "application/json"
            )
            #expect(status == 503)
            #expect(try await Self.send("GET", "\(running.base)/readyz").0 == 503)
        }
    }
}

@Suite(.requiresDatabase, .timeLimit(.minutes(1)))
struct GatewaySlowClientTests {
    @Test func halfSentAndSilentConnectionsAreCutOffWhileOthersAreServed() async throws {
        try await GatewayTests.withGateway({ $0.requestTimeout = .milliseconds(300) }) { running in
            let port = running.gateway.localAddress!.port!
            // One connection sends half a request head, another nothing at all.
            let halfSent = try await runProgram("/usr/bin/env", [
                "python3", "-c",
                """
                import socket, sys, time
                s = socket.create_connection(("127.0.0.1", \(port)))
                s.sendall(b"POST /clickbank/ipn/x HTTP/1.1\\r\\nHost: a\\r\\n")
                silent = socket.create_connection(("127.0.0.1", \(port)))
                s.settimeout(10); silent.settimeout(10)
                start = time.time()
                a = s.recv(100); b = silent.recv(100)
                print(round(time.time() - start, 1), len(a), len(b))
                """,
            ])
            let output = String(decoding: halfSent.stdout, as: UTF8.self).split(separator: " ")
            #expect(halfSent.status == 0, "\(String(decoding: halfSent.stderr, as: UTF8.self))")
            // Both were closed by the server (EOF: zero bytes), well before the client's 10 s.
            #expect(output.count == 3)
            #expect((Double(output.first ?? "99") ?? 99) < 5)
            #expect(output.dropFirst().allSatisfy { $0.trimmingCharacters(in: .whitespacesAndNewlines) == "0" })
            #expect(try await GatewayTests.send("GET", "\(running.base)/healthz").0 == 200)
        }
    }
}
