import IngestMessages
import Testing

/// Encodes, decodes (from an array and from borrowed bytes) and compares.
func expectRoundTrip<M: WireMessage>(
    _ message: M, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let bytes = message.serializedBytes()
    #expect(!bytes.isEmpty, "\(M.self) with every field set encoded to nothing", sourceLocation: sourceLocation)
    let decoded = try M(serializedBytes: bytes)
    #expect(decoded == message, sourceLocation: sourceLocation)
    let fromBuffer = try bytes.withUnsafeBytes { try M(serializedBytes: $0) }
    #expect(fromBuffer == message, sourceLocation: sourceLocation)
    #expect(decoded.serializedBytes() == bytes, "re-encoding changed the bytes", sourceLocation: sourceLocation)
}

@Suite("Round trips with every field set")
struct RoundTripTests {
    @Test func callError() throws { try expectRoundTrip(Samples.callError) }
    @Test func storeSecretRequest() throws { try expectRoundTrip(Samples.storeSecretRequest) }
    @Test func storeSecretResponse() throws { try expectRoundTrip(Samples.storeSecretResponse) }
    @Test func getWebhookURLRequest() throws { try expectRoundTrip(Samples.getWebhookURLRequest) }
    @Test func getWebhookURLResponse() throws { try expectRoundTrip(Samples.getWebhookURLResponse) }
    @Test func keyValue() throws { try expectRoundTrip(Samples.keyValue) }
    @Test func address() throws { try expectRoundTrip(Samples.address) }
    @Test func contact() throws { try expectRoundTrip(Samples.contact) }
    @Test func paymentPlan() throws { try expectRoundTrip(Samples.paymentPlan) }
    @Test func lineItem() throws { try expectRoundTrip(Samples.lineItem) }
    @Test func upsell() throws { try expectRoundTrip(Samples.upsell) }
    @Test func notification() throws { try expectRoundTrip(Samples.notification) }
    @Test func verifyIPNRequest() throws { try expectRoundTrip(Samples.verifyIPNRequest) }
    @Test func verifyIPNResponse() throws { try expectRoundTrip(Samples.verifyIPNResponse) }
    @Test func importCSVRequest() throws { try expectRoundTrip(Samples.importCSVRequest) }
    @Test func rejectedRow() throws { try expectRoundTrip(Samples.rejectedRow) }
    @Test func fileSummary() throws { try expectRoundTrip(Samples.fileSummary) }
    @Test func importCSVResponse() throws { try expectRoundTrip(Samples.importCSVResponse) }
    @Test func healthCheckRequest() throws { try expectRoundTrip(Samples.healthCheckRequest) }
    @Test func healthCheckResponse() throws { try expectRoundTrip(Samples.healthCheckResponse) }
    @Test func hello() throws { try expectRoundTrip(Samples.hello) }
    @Test func helloReply() throws { try expectRoundTrip(Samples.helloReply) }
    @Test func requestEnvelope() throws { try expectRoundTrip(Samples.requestEnvelope) }
    @Test func replyEnvelope() throws { try expectRoundTrip(Samples.replyEnvelope) }

    @Test func envelopeCarriesAnInnerMessage() throws {
        let envelope = try RequestEnvelope(serializedBytes: Samples.requestEnvelope.serializedBytes())
        #expect(try StoreSecretRequest(serializedBytes: envelope.message) == Samples.storeSecretRequest)
    }

    @Test func fourMebibytePayloads() throws {
        let big = (0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 13) }
        let chunk = ImportCSVRequest(uploadId: "u", fileName: "big.csv", offset: 0, data: big, lastChunk: true)
        try expectRoundTrip(chunk)
        let chunkBytes = chunk.serializedBytes()
        let envelope = RequestEnvelope(message: chunkBytes, timeoutMs: 1, flags: 1)
        try expectRoundTrip(envelope)
        #expect(envelope.serializedBytes().count == 1 + 4 + chunkBytes.count + 2 + 2)
        try expectRoundTrip(VerifyIPNRequest(token: "t", body: big))
        try expectRoundTrip(ReplyEnvelope(message: big, flags: 1))
    }

    @Test func emptyAndZeroLengthValues() throws {
        // Empty strings, zero-length bytes and default numbers are not written (proto3), but repeated entries that
        // are empty are.
        #expect(StoreSecretRequest(tenantId: "", account: "", secretKey: "").serializedBytes() == [])
        #expect(RequestEnvelope(message: [], timeoutMs: 0, flags: 0).serializedBytes() == [])
        let repeatedEmpty = StoreSecretResponse(warnings: ["", ""])
        #expect(repeatedEmpty.serializedBytes() == [0x12, 0x00, 0x12, 0x00])
        try expectRoundTrip(repeatedEmpty)
        // A present but empty nested message is written (as a zero-length field) and stays present.
        let emptyError = HealthCheckResponse(status: .unknown, error: CallError())
        #expect(emptyError.serializedBytes() == [0x7A, 0x00])
        #expect(try HealthCheckResponse(serializedBytes: [0x7A, 0x00]).error == CallError())
        #expect(try HealthCheckResponse(serializedBytes: []).error == nil)
    }

    @Test func nonASCIIStrings() throws {
        let request = HealthCheckRequest(service: Samples.unicode)
        let bytes = request.serializedBytes()
        #expect(bytes == [0x0A, UInt8(Samples.unicode.utf8.count)] + Array(Samples.unicode.utf8))
        #expect(try HealthCheckRequest(serializedBytes: bytes).service == Samples.unicode)
    }

    @Test func manyRepeatedEntries() throws {
        let rows = (0..<5000).map { RejectedRow(fileName: "f\($0 % 7).csv", line: UInt64($0), reason: "reason \($0)") }
        try expectRoundTrip(ImportCSVResponse(rejections: rows, final: true))
        try expectRoundTrip(StoreSecretResponse(warnings: (0..<5000).map { "warning \($0) \(Samples.unicode)" }))
    }
}
