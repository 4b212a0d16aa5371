public import IngestClient
import Testing

/// Expects `body` to fail with an `RPCError` of `code` whose message says why (and contains
/// `fragment`, when given).
///
/// do/catch rather than `#expect(throws:)` with an async closure: with Swift 6.3 that macro crashed
/// the integration suite now and then ("freed pointer was not the last allocation", a runtime
/// regression: swiftlang/swift#87481).
public func expectRPCError(
    _ code: RPCStatusCode, messageContains fragment: String = "", _ body: () async throws -> Void
) async {
    do {
        try await body()
        Issue.record("expected \(code.name), but the call succeeded")
    } catch let error as RPCError {
        #expect(error.code == code, "\(error)")
        #expect(fragment.isEmpty || error.message.contains(fragment), "\(error.message)")
        #expect(!error.message.isEmpty, "every error says why")
    } catch {
        Issue.record("expected RPCError \(code.name), got \(error)")
    }
}
