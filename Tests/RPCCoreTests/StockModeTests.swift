import IngestMessages
import NIOCore
import RPCCore
import Testing

/// The server as a stock protobuf-c-rpc client sees it: raw frames, no Hello.
@Suite(.timeLimit(.minutes(1))) struct StockModeTests {
    @Test func goldenStoreSecretCallGetsTheGoldenReply() async throws {
        let server = try await startTestServer()
        let peer = try await RawPeer.connect(port: server.port)
        try await peer.send([
            0x00, 0x00, 0x00, 0x00, 0x15, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
            0x0a, 0x05, 0x74, 0x2d, 0x31, 0x30, 0x30, 0x12, 0x04, 0x61, 0x63, 0x6d, 0x65,
            0x1a, 0x06, 0x73, 0x33, 0x63, 0x72, 0x33, 0x74,
        ])
        let replies = try await peer.read(1)
        var bytes = ByteBuffer()
        bytes.writeMultipleIntegers(replies[0].status, replies[0].methodIndex, UInt32(replies[0].body.readableBytes), replies[0].requestID, endianness: .little)
        bytes.writeImmutableBuffer(replies[0].body)
        #expect(Array(bytes.readableBytesView) == [0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0x08, 0x01])
        await peer.close()
        await server.shutdown()
    }

    @Test func failureIsStatusZeroWithTheErrorFieldOnly() async throws {
        let server = try await startTestServer()
        let peer = try await RawPeer.connect(port: server.port)
        try await peer.send(method: TestMethods.fail, id: 1, body: [])
        let reply = try #require(try await peer.read(1).first)
        #expect(reply.status == 0)
        let response = try StoreSecretResponse(serializedBytes: Array(reply.body.readableBytesView))
        #expect(response.stored == false)
        #expect(response.error?.code == RPCStatusCode.notFound.rawValue)
        #expect(response.error?.message == "nothing here")
        await peer.close()
        await server.shutdown()
    }

    @Test func unknownMethodAndBadBodyGetErrorsAndTheConnectionStaysUsable() async throws {
        let server = try await startTestServer()
        let peer = try await RawPeer.connect(port: server.port)
        try await peer.send(method: 999, id: 1, body: [])
        try await peer.send(method: TestMethods.echo, id: 2, body: [0xFF, 0xFF, 0xFF, 0xFF])
        try await peer.send(method: TestMethods.echo, id: 3, body: TestMethods.message(42, "still here").serializedBytes())
        let replies = try await peer.read(3)
        let byID = Dictionary(uniqueKeysWithValues: replies.map { ($0.requestID, $0) })
        let unknown = try CallErrorCarrier(byID[1]!)
        #expect(unknown.code == RPCStatusCode.unimplemented.rawValue)
        let undecodable = try CallErrorCarrier(byID[2]!)
        #expect(undecodable.code == RPCStatusCode.invalidArgument.rawValue)
        #expect(undecodable.message.contains("not a valid Echo request"))
        let echoed = try CallError(serializedBytes: Array(byID[3]!.body.readableBytesView))
        #expect(echoed == TestMethods.message(42, "still here"))
        await peer.close()
        await server.shutdown()
    }

    @Test func oversizedLengthIsRefusedWithoutReadingTheBodyAndOnlyThatConnectionCloses() async throws {
        let server = try await startTestServer { $0.maxMessageBytes = 1024 }
        let bystander = try await RawPeer.connect(port: server.port)
        let peer = try await RawPeer.connect(port: server.port)
        // The header alone announces 4 GiB - 1; no body follows.
        try await peer.send([0x0A, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x05, 0, 0, 0])
        let replies = try await peer.read(2)
        #expect(replies.count == 1)
        #expect(replies.first?.requestID == 5)
        let error = try CallErrorCarrier(try #require(replies.first))
        #expect(error.code == RPCStatusCode.resourceExhausted.rawValue)
        #expect(error.message.contains("limit of 1024 bytes"))
        #expect(await peer.isClosedByServer())

        try await bystander.send(method: TestMethods.echo, id: 1, body: TestMethods.message(1).serializedBytes())
        #expect(try await bystander.read(1).count == 1)
        await bystander.close()
        await peer.close()
        await server.shutdown()
    }

    @Test func truncatedFrameAndGarbageDoNotHurtOtherConnections() async throws {
        let server = try await startTestServer()
        let bystander = try await RawPeer.connect(port: server.port)

        let truncated = try await RawPeer.connect(port: server.port)
        try await truncated.send(Array(RawPeer.frame(method: TestMethods.echo, id: 1, body: [0x08, 0x01]).prefix(13)))
        await truncated.close()

        let garbage = try await RawPeer.connect(port: server.port)
        var generator = SystemRandomNumberGenerator()
        try await garbage.send((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        _ = try? await garbage.read(1000)  // whatever it answers, it must end by closing
        await garbage.close()

        try await bystander.send(method: TestMethods.echo, id: 9, body: TestMethods.message(9).serializedBytes())
        let reply = try #require(try await bystander.read(1).first)
        #expect(try CallError(serializedBytes: Array(reply.body.readableBytesView)).code == 9)
        await bystander.close()
        await server.shutdown()
    }

    @Test func pipelinedCallsAreAnsweredOutOfOrderAndMatchedByRequestID() async throws {
        let server = try await startTestServer()
        let peer = try await RawPeer.connect(port: server.port)
        // One write carries both; the slow one goes first.
        try await peer.send(
            RawPeer.frame(method: TestMethods.sleep, id: 1, body: TestMethods.message(300, "slow").serializedBytes())
                + RawPeer.frame(method: TestMethods.sleep, id: 2, body: TestMethods.message(1, "fast").serializedBytes())
        )
        let replies = try await peer.read(2)
        #expect(replies.map(\.requestID) == [2, 1])
        #expect(try CallError(serializedBytes: Array(replies[0].body.readableBytesView)).message == "fast")
        #expect(try CallError(serializedBytes: Array(replies[1].body.readableBytesView)).message == "slow")
        await peer.close()
        await server.shutdown()
    }

    @Test func sequentialCallsMayReuseTheRequestID() async throws {
        let server = try await startTestServer()
        let peer = try await RawPeer.connect(port: server.port)
        for value in UInt32(1)...3 {
            try await peer.send(method: TestMethods.echo, id: 1, body: TestMethods.message(value).serializedBytes())
            let reply = try #require(try await peer.read(1).first)
            #expect(reply.requestID == 1)
            #expect(try CallError(serializedBytes: Array(reply.body.readableBytesView)).code == value)
        }
        await peer.close()
        await server.shutdown()
    }

    @Test func inFlightLimitIsBackPressureNotAnError() async throws {
        let server = try await startTestServer { $0.maxInFlightCallsPerConnection = 2 }
        let peer = try await RawPeer.connect(port: server.port)
        var bytes: [UInt8] = []
        for id in UInt32(1)...20 {
            bytes += RawPeer.frame(method: TestMethods.sleep, id: id, body: TestMethods.message(10, "\(id)").serializedBytes())
        }
        try await peer.send(bytes)
        let replies = try await peer.read(20)
        #expect(Set(replies.map(\.requestID)) == Set(UInt32(1)...20))
        for reply in replies {
            #expect(try CallError(serializedBytes: Array(reply.body.readableBytesView)).message == "\(reply.requestID)")
        }
        await peer.close()
        await server.shutdown()
    }

    @Test func authRequiredRefusesStockCallsWithAReadableReason() async throws {
        let server = try await startTestServer { $0.authToken = "0123456789abcdef-token" }
        let peer = try await RawPeer.connect(port: server.port)
        try await peer.send(method: TestMethods.echo, id: 1, body: TestMethods.message(1).serializedBytes())
        let error = try CallErrorCarrier(try #require(try await peer.read(1).first))
        #expect(error.code == RPCStatusCode.unauthenticated.rawValue)
        await peer.close()
        await server.shutdown()
    }

    @Test func idleConnectionsAreClosed() async throws {
        let server = try await startTestServer { $0.idleTimeout = .milliseconds(200) }
        let peer = try await RawPeer.connect(port: server.port)
        #expect(await peer.isClosedByServer())
        await peer.close()
        await server.shutdown()
    }

    @Test func connectionsOverTheLimitAreClosed() async throws {
        let server = try await startTestServer { $0.maxConnections = 1 }
        let first = try await RawPeer.connect(port: server.port)
        try await first.send(method: TestMethods.echo, id: 1, body: [])
        #expect(try await first.read(1).count == 1)
        let second = try await RawPeer.connect(port: server.port)
        #expect(await second.isClosedByServer())
        await second.close()
        await first.close()
        await server.shutdown()
    }
}

/// Reads the `error` field (15) that every response message carries, through a response type.
struct CallErrorCarrier {
    var code: UInt32
    var message: String

    init(_ frame: ReplyFrame) throws {
        #expect(frame.status == 0, "stock clients must never see a non-zero status")
        let response = try HealthCheckResponse(serializedBytes: Array(frame.body.readableBytesView))
        let error = try #require(response.error)
        self.code = error.code
        self.message = error.message
    }
}
