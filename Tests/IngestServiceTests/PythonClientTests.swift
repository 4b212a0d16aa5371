import Foundation
import IngestClient
import Testing

/// The real server called by an independent protobuf-c-rpc client (Python, standard library only,
/// adapted from ../shared/tools/pcrpc_client.py) that behaves exactly like the stock C client: no
/// Hello, raw messages, and a protocol violation (body after non-zero status, unknown request id,
/// second reply) is an error.
@Suite(.requiresDatabase, .timeLimit(.minutes(2)))
struct PythonClientTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("e2e/pcrpc_ingest.py").path

    struct Outcome {
        var exitCode: Int32
        var replies: [[String: Any]]
        var stderr: String
    }

    static func run(_ arguments: [String]) async throws -> Outcome {
        let (status, stdout, stderr) = try await runProgram("/usr/bin/env", ["python3", Self.script] + arguments)
        let replies = String(decoding: stdout, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        return Outcome(exitCode: status, replies: replies, stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func stockClientStoresASecretAndReadsTheWebhookURL() async throws {
        try await withService { service in
            let tenant = ServiceTestDatabase.uniqueTenant()
            let port = "\(service.port)"
            let stored = try await Self.run(["127.0.0.1", port, "store-secret", tenant, "acme", "S3CR3TKEY"])
            #expect(stored.exitCode == 0, "\(stored.stderr)")
            #expect(stored.replies.first?["stored"] as? Bool == true)
            #expect(stored.replies.first?["key_version"] as? Int == 1)

            let url = try await Self.run(["127.0.0.1", port, "webhook-url", tenant, "acme"])
            #expect(url.exitCode == 0, "\(url.stderr)")
            let stockURL = try #require(url.replies.first?["url"] as? String)
            #expect(url.replies.first?["secret_stored"] as? Bool == true)
            // The Swift client sees the same endpoint.
            #expect(try await service.client.getWebhookURL(tenantID: tenant, account: "acme").url == stockURL)
        }
    }

    @Test func stockClientReadsTheReasonForAFailedCall() async throws {
        try await withService { service in
            let outcome = try await Self.run(["127.0.0.1", "\(service.port)", "store-secret", ServiceTestDatabase.uniqueTenant(), "acme", "s3cr3t"])
            #expect(outcome.exitCode == 1, "a failed call, not a protocol violation: \(outcome.stderr)")
            let error = try #require(outcome.replies.first?["error"] as? [String: Any])
            #expect(error["code"] as? Int == 3)
            #expect((error["message"] as? String)?.contains("A-Z or 0-9") == true)
        }
    }

    @Test func stockClientPipelinesTwoCallsInOneSegment() async throws {
        try await withService { service in
            let outcome = try await Self.run(["127.0.0.1", "\(service.port)", "pipeline", ServiceTestDatabase.uniqueTenant(), "acme", "PIPE1"])
            #expect(outcome.exitCode == 0, "\(outcome.stderr)")
            #expect(Set(outcome.replies.compactMap { $0["request_id"] as? Int }) == [1, 2])
        }
    }

    @Test func stockClientHealthCheck() async throws {
        try await withService { service in
            let outcome = try await Self.run(["127.0.0.1", "\(service.port)", "check", "database"])
            #expect(outcome.exitCode == 0, "\(outcome.stderr)")
            #expect(outcome.replies.first?["status"] as? Int == 1)
        }
    }
}
