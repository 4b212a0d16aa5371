import IngestMessages
import Testing

@Suite("Bytes on the wire")
struct WireFormatTests {
    // Golden bytes from ../shared/spec/protobuf-c-rpc.md, captured from the stock protobuf-c-rpc client and server.
    @Test func storeSecretRequestGolden() throws {
        let golden: [UInt8] = [
            0x0A, 0x05, 0x74, 0x2D, 0x31, 0x30, 0x30, 0x12, 0x04, 0x61, 0x63, 0x6D, 0x65, 0x1A, 0x06, 0x73, 0x33, 0x63,
            0x72, 0x33, 0x74,
        ]
        let request = StoreSecretRequest(tenantId: "t-100", account: "acme", secretKey: "s3cr3t")
        #expect(request.serializedBytes() == golden)
        #expect(try StoreSecretRequest(serializedBytes: golden) == request)
    }

    @Test func storeSecretResponseGolden() throws {
        #expect(StoreSecretResponse(stored: true).serializedBytes() == [0x08, 0x01])
        #expect(try StoreSecretResponse(serializedBytes: [0x08, 0x01]) == StoreSecretResponse(stored: true))
    }

    @Test func getWebhookURLRequestGolden() throws {
        let golden: [UInt8] = [0x0A, 0x05, 0x74, 0x2D, 0x31, 0x30, 0x30, 0x12, 0x04, 0x61, 0x63, 0x6D, 0x65]
        let request = GetWebhookURLRequest(tenantId: "t-100", account: "acme")
        #expect(request.serializedBytes() == golden)
        #expect(try GetWebhookURLRequest(serializedBytes: golden) == request)
    }

    @Test func errorIsField15() throws {
        let response = HealthCheckResponse(status: .serving, error: CallError(code: 5, message: "x"))
        let bytes: [UInt8] = [0x08, 0x01, 0x7A, 0x05, 0x08, 0x05, 0x12, 0x01, 0x78]
        #expect(response.serializedBytes() == bytes)
        #expect(try HealthCheckResponse(serializedBytes: bytes) == response)
    }

    @Test func healthCheckResponseServing() {
        #expect(HealthCheckResponse(status: .serving).serializedBytes() == [0x08, 0x01])
        #expect(HealthCheckResponse().serializedBytes() == [])
    }

    @Test func emptyInputDecodesToTheDefaultMessage() throws {
        #expect(try CallError(serializedBytes: []) == CallError())
        #expect(try StoreSecretRequest(serializedBytes: []) == StoreSecretRequest())
        #expect(try StoreSecretResponse(serializedBytes: []) == StoreSecretResponse())
        #expect(try GetWebhookURLRequest(serializedBytes: []) == GetWebhookURLRequest())
        #expect(try GetWebhookURLResponse(serializedBytes: []) == GetWebhookURLResponse())
        #expect(try KeyValue(serializedBytes: []) == KeyValue())
        #expect(try Address(serializedBytes: []) == Address())
        #expect(try Contact(serializedBytes: []) == Contact())
        #expect(try PaymentPlan(serializedBytes: []) == PaymentPlan())
        #expect(try LineItem(serializedBytes: []) == LineItem())
        #expect(try Upsell(serializedBytes: []) == Upsell())
        #expect(try Notification(serializedBytes: []) == Notification())
        #expect(try VerifyIPNRequest(serializedBytes: []) == VerifyIPNRequest())
        #expect(try VerifyIPNResponse(serializedBytes: []) == VerifyIPNResponse())
        #expect(try ImportCSVRequest(serializedBytes: []) == ImportCSVRequest())
        #expect(try RejectedRow(serializedBytes: []) == RejectedRow())
        #expect(try FileSummary(serializedBytes: []) == FileSummary())
        #expect(try ImportCSVResponse(serializedBytes: []) == ImportCSVResponse())
        #expect(try HealthCheckRequest(serializedBytes: []) == HealthCheckRequest())
        #expect(try HealthCheckResponse(serializedBytes: []) == HealthCheckResponse())
        #expect(try Hello(serializedBytes: []) == Hello())
        #expect(try HelloReply(serializedBytes: []) == HelloReply())
        #expect(try RequestEnvelope(serializedBytes: []) == RequestEnvelope())
        #expect(try ReplyEnvelope(serializedBytes: []) == ReplyEnvelope())
        #expect(try HealthCheckRequest(serializedBytes: UnsafeRawBufferPointer(start: nil, count: 0)) == .init())
        #expect(Notification().serializedBytes() == [])
    }

    @Test(arguments: [
        [0xFF, 0xFF, 0xFF, 0xFF],
        [0x0A, 0x05, 0x74, 0x2D],  // a length-delimited field cut short
        [0x0A],  // a tag without its value
        [0x08],  // a varint tag without its value
        [0x08, 0x80],  // an unterminated varint
        [0x0A, 0x80, 0x80, 0x80, 0x80, 0x10],  // a length far beyond the input
        [0x08, 0x01],  // field 1 (a string) sent as a varint
        [0x00, 0x00],  // field number 0
        [0x0B, 0x0C],  // group wire types
    ] as [[UInt8]])
    func malformedInputThrows(bytes: [UInt8]) {
        #expect(throws: MessageDecodingError.self) { try StoreSecretRequest(serializedBytes: bytes) }
        #expect(throws: MessageDecodingError.self) {
            try bytes.withUnsafeBytes { try StoreSecretRequest(serializedBytes: $0) }
        }
    }

    @Test func malformedNestedMessageThrows() {
        // VerifyIPNResponse.notification (field 5) holding garbage.
        #expect(throws: MessageDecodingError.self) {
            try VerifyIPNResponse(serializedBytes: [0x2A, 0x04, 0xFF, 0xFF, 0xFF, 0xFF])
        }
    }

    @Test func errorNamesTheMessageButNotTheBytes() {
        let secret = Array("s3cr3t-payload".utf8)
        do {
            _ = try HealthCheckResponse(serializedBytes: [0x0A, 0x7F] + secret)
            Issue.record("decoded garbage")
        } catch {
            let expected = MessageDecodingError(messageName: "clickbank.ingest.v1.HealthCheckResponse", byteCount: 16)
            #expect(error == expected)
            #expect(error.description.contains("clickbank.ingest.v1.HealthCheckResponse"))
            #expect(!error.description.contains("s3cr3t"))
        }
    }

    @Test func unknownFieldsAreSkipped() throws {
        let golden: [UInt8] = [0x0A, 0x05, 0x74, 0x2D, 0x31, 0x30, 0x30, 0x12, 0x04, 0x61, 0x63, 0x6D, 0x65]
        // Field 99 varint, field 100 length-delimited, field 101 fixed32, field 102 fixed64, around the known ones.
        let unknown: [UInt8] = [0x98, 0x06, 0x2A, 0xA2, 0x06, 0x02, 0x68, 0x69]
        let fixed: [UInt8] = [0xAD, 0x06, 1, 2, 3, 4, 0xB1, 0x06, 1, 2, 3, 4, 5, 6, 7, 8]
        let decoded = try GetWebhookURLRequest(serializedBytes: unknown + golden + fixed)
        #expect(decoded == GetWebhookURLRequest(tenantId: "t-100", account: "acme"))
        // A newer field the peer knows and we do not; it is not kept when re-encoding.
        #expect(decoded.serializedBytes() == golden)
    }

    @Test func lastValueWinsForARepeatedScalarField() throws {
        #expect(try StoreSecretResponse(serializedBytes: [0x28, 0x01, 0x28, 0x02]).keyVersion == 2)
    }

    @Test func unknownEnumValuesSurvive() throws {
        let status = try HealthCheckResponse(serializedBytes: [0x08, 0x07])
        #expect(status.status == .unrecognized(7))
        #expect(status.serializedBytes() == [0x08, 0x07])

        let negative: [UInt8] = [0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        let failure = try VerifyIPNResponse(serializedBytes: negative)
        #expect(failure.failure == .unrecognized(-1))
        #expect(failure.serializedBytes() == negative)

        let kind = Notification(kind: .unrecognized(1234))
        let decoded = try Notification(serializedBytes: kind.serializedBytes())
        #expect(decoded.kind.rawValue == 1234)
        #expect(decoded.kind == .unrecognized(1234))
    }

    @Test func enumsCompareByWireValue() {
        #expect(TransactionKind.unrecognized(1) == .sale)
        #expect(TransactionKind(rawValue: 1) == .sale)
        #expect(Set([VerifyFailure.unrecognized(11), .vendorMismatch]).count == 1)
        for (index, kind) in TransactionKind.allCases.enumerated() {
            #expect(kind.rawValue == Int32(index))
            #expect(TransactionKind(rawValue: kind.rawValue) == kind)
        }
        for (index, failure) in VerifyFailure.allCases.enumerated() {
            #expect(failure.rawValue == Int32(index))
        }
        #expect(HealthCheckResponse.ServingStatus.allCases.map(\.rawValue) == [0, 1, 2])
    }

    @Test func everyKnownEnumValueRoundTrips() throws {
        for kind in TransactionKind.allCases {
            #expect(try Notification(serializedBytes: Notification(kind: kind).serializedBytes()).kind == kind)
        }
        for failure in VerifyFailure.allCases {
            let response = VerifyIPNResponse(failure: failure)
            #expect(try VerifyIPNResponse(serializedBytes: response.serializedBytes()).failure == failure)
        }
    }

    @Test func protoNames() {
        #expect(StoreSecretRequest.protoName == "clickbank.ingest.v1.StoreSecretRequest")
        #expect(HealthCheckResponse.protoName == "clickbank.ingest.v1.HealthCheckResponse")
        #expect(Notification.protoName == "clickbank.ingest.v1.Notification")
        #expect(Hello.protoName == "clickbank.rpc.v1.Hello")
        #expect(ReplyEnvelope.protoName == "clickbank.rpc.v1.ReplyEnvelope")
    }

    @Test func secretsAreNotPrinted() {
        let request = StoreSecretRequest(tenantId: "t-100", account: "acme", secretKey: "S3CR3T")
        #expect(!"\(request)".contains("S3CR3T"))
        #expect(!String(reflecting: request).contains("S3CR3T"))
        #expect("\(request)".contains("acme"))
        let hello = Hello(protocolVersion: 1, authToken: "tok-123", clientName: "c")
        #expect(!"\(hello)".contains("tok-123"))
    }

    @Test func invalidUTF8InAStringIsRepaired() throws {
        // protobuf-c does not check UTF-8; Swift's String replaces invalid sequences with U+FFFD.
        let request = try HealthCheckRequest(serializedBytes: [0x0A, 0x04, 0x61, 0xFF, 0xFE, 0x62])
        #expect(request.service == "a\u{FFFD}\u{FFFD}b")
    }

    @Test func embeddedNULCutsAString() throws {
        // protobuf-c strings are C strings; documented on WireMessage.
        let request = HealthCheckRequest(service: "data\u{0}base")
        #expect(try HealthCheckRequest(serializedBytes: request.serializedBytes()).service == "data")
    }
}
