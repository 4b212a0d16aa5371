import IngestMessages
import NIOConcurrencyHelpers
import NIOCore
import RPCCore
import Testing

/// The extended protocol through the Swift client channel: status codes, deadlines, cancellation,
/// streaming, concurrency, shutdown.
@Suite(.timeLimit(.minutes(2))) struct ExtendedModeTests {
    func client(_ server: RPCServer, token: String? = nil, timeout: Duration? = .seconds(20)) -> RPCClientChannel {
        var configuration = RPCClientConfiguration(host: "127.0.0.1", port: server.port)
        configuration.authToken = token
        configuration.defaultCallTimeout = timeout
        return RPCClientChannel(configuration: configuration)
    }

    func echo(_ client: RPCClientChannel, _ value: UInt32, _ text: String) async throws -> CallError {
        let reply = try await client.unary(methodIndex: TestMethods.echo, request: TestMethods.message(value, text).serializedBytes())
        return try CallError(serializedBytes: reply)
    }

    @Test func errorsCarryStatusCodeAndMessage() async throws {
        let server = try await startTestServer()
        let client = self.client(server)
        await #expect(throws: RPCError(.notFound, "nothing here")) {
            _ = try await client.unary(methodIndex: TestMethods.fail, request: [])
        }
        await #expect(throws: RPCError(.unimplemented, "this server has no method with index 77")) {
            _ = try await client.unary(methodIndex: 77, request: [])
        }
        // The connection is still good after failures.
        #expect(try await self.echo(client, 5, "ok") == TestMethods.message(5, "ok"))
        await client.close()
        await server.shutdown()
    }

    /// `callers` concurrent callers each make `calls` echo calls; returns how many replies didn't match.
    func concurrentEchoMismatches(_ client: RPCClientChannel, callers: Int, calls: Int) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    var wrong = 0
                    for call in 0..<calls {
                        let value = UInt32(caller * 1000 + call)
                        let reply = try await self.echo(client, value, "c\(caller)-\(call)")
                        if reply != TestMethods.message(value, "c\(caller)-\(call)") { wrong += 1 }
                    }
                    return wrong
                }
            }
            return try await group.reduce(0, +)
        }
    }

    @Test func sixtyFourConcurrentCallersTimesFiveHundredCallsAllMatch() async throws {
        let server = try await startTestServer()
        let client = self.client(server)
        let mismatches = try await self.concurrentEchoMismatches(client, callers: 64, calls: 500)
        #expect(mismatches == 0)
        await client.close()
        await server.shutdown()
    }

    @Test func serverEnforcesTheCallersDeadlineAndCancelsTheHandler() async throws {
        let probe = CancellationProbe()
        let server = try await startTestServer(probe: probe)
        let peer = try await RawPeer.connect(port: server.port)
        try await peer.send(method: WireProtocol.helloMethodIndex, id: 0, body: hello())
        _ = try await peer.read(1)
        try await peer.send(method: TestMethods.sleep, id: 7, body: extendedRequest(TestMethods.message(5000), timeoutMs: 50))
        let reply = try #require(try await peer.read(1).first)
        #expect(reply.status == RPCStatusCode.deadlineExceeded.rawValue)
        #expect(reply.requestID == 7)
        let envelope = try ReplyEnvelope(serializedBytes: Array(reply.body.readableBytesView))
        #expect(envelope.flags & WireProtocol.flagEndStream != 0)
        for _ in 0..<500 where probe.cancelled.withLockedValue({ $0 }) == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(probe.cancelled.withLockedValue { $0 } == 1)
        await peer.close()
        await server.shutdown()
    }

    @Test func clientDeadlineFailsTheCallLocally() async throws {
        let server = try await startTestServer()
        let client = self.client(server)
        let started = ContinuousClock.now
        await #expect {
            _ = try await client.unary(methodIndex: TestMethods.sleep, request: TestMethods.message(60_000).serializedBytes(), timeout: .milliseconds(100))
        } throws: { error in
            (error as? RPCError)?.code == .deadlineExceeded
        }
        // The deadline ended the call, not the handler's minute-long sleep.
        #expect(ContinuousClock.now - started < .seconds(30))
        #expect(try await self.echo(client, 1, "after") == TestMethods.message(1, "after"))
        await client.close()
        await server.shutdown()
    }

    @Test func cancellingTheTaskCancelsTheServerHandler() async throws {
        let probe = CancellationProbe()
        let server = try await startTestServer(probe: probe)
        let client = self.client(server)
        let task = Task {
            try await client.unary(methodIndex: TestMethods.sleep, request: TestMethods.message(10_000).serializedBytes())
        }
        while probe.started.withLockedValue({ $0 }) < 1 {
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        await #expect {
            _ = try await task.value
        } throws: { error in
            (error as? RPCError)?.code == .cancelled
        }
        // The CANCEL frame reaches the server and cancels the handler's task.
        for _ in 0..<500 where probe.cancelled.withLockedValue({ $0 }) == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(probe.cancelled.withLockedValue { $0 } == 1)
        await client.close()
        await server.shutdown()
    }

    @Test func clientStreamingHonoursCreditsAndDeliversProgress() async throws {
        let server = try await startTestServer { $0.streamWindow = 4 }
        let client = self.client(server)
        let progress = NIOLockedValueBox<[UInt32]>([])
        let stream = try await client.clientStreaming(methodIndex: TestMethods.sum) { bytes in
            if let message = try? CallError(serializedBytes: bytes) {
                progress.withLockedValue { $0.append(message.code) }
            }
        }
        for value in UInt32(1)...100 {
            try await stream.send(TestMethods.message(value).serializedBytes())
        }
        let reply = try CallError(serializedBytes: try await stream.finish(lastMessage: TestMethods.message(0).serializedBytes()))
        #expect(reply == TestMethods.message(5050, "sum"))
        // Progress arrives in order; it may trail the final reply by nothing (same connection, in order).
        #expect(progress.withLockedValue { $0 } == Array(1...101))
        await client.close()
        await server.shutdown()
    }

    @Test func stockClientCanCallAStreamingMethodOneMessageAtATime() async throws {
        let server = try await startTestServer()
        let peer = try await RawPeer.connect(port: server.port)
        try await peer.send(method: TestMethods.sum, id: 1, body: TestMethods.message(41).serializedBytes())
        let reply = try #require(try await peer.read(1).first)
        #expect(reply.status == 0)
        #expect(try CallError(serializedBytes: Array(reply.body.readableBytesView)) == TestMethods.message(41, "sum"))
        await peer.close()
        await server.shutdown()
    }

    @Test func authTokenIsCheckedInHello() async throws {
        let token = "0123456789abcdef-token"
        let server = try await startTestServer { $0.authToken = token }
        let wrong = self.client(server, token: "wrong-token-wrong-token")
        await #expect {
            try await wrong.connect()
        } throws: { error in
            (error as? RPCError)?.code == .unauthenticated
        }
        let right = self.client(server, token: token)
        #expect(try await self.echo(right, 3, "authed") == TestMethods.message(3, "authed"))
        await wrong.close()
        await right.close()
        await server.shutdown()
    }

    @Test func gracefulShutdownFinishesInFlightCallsAndRefusesNewOnes() async throws {
        let probe = CancellationProbe()
        let server = try await startTestServer(probe: probe)
        let client = self.client(server)
        try await client.connect()
        let inFlight = (0..<5).map { index in
            Task {
                try await client.unary(methodIndex: TestMethods.sleep, request: TestMethods.message(400, "\(index)").serializedBytes())
            }
        }
        while probe.started.withLockedValue({ $0 }) < 5 {
            try await Task.sleep(for: .milliseconds(10))
        }
        await server.shutdown()
        for (index, task) in inFlight.enumerated() {
            let reply = try CallError(serializedBytes: try await task.value)
            #expect(reply.message == "\(index)")
        }
        let late = self.client(server)
        await #expect {
            _ = try await late.unary(methodIndex: TestMethods.echo, request: [])
        } throws: { error in
            (error as? RPCError)?.code == .unavailable
        }
        await client.close()
    }

    @Test func clientReconnectsAfterTheConnectionDrops() async throws {
        // An idle timeout long enough that a busy machine still gets a call through a new
        // connection before it expires again.
        let server = try await startTestServer { $0.idleTimeout = .seconds(1) }
        let client = self.client(server)
        #expect(try await self.echo(client, 1, "a") == TestMethods.message(1, "a"))
        try await Task.sleep(for: .milliseconds(2500))  // the server closes the idle connection
        #expect(try await self.echo(client, 2, "b") == TestMethods.message(2, "b"))
        await client.close()
        await server.shutdown()
    }

    @Test("an in-process client reaches its server through a socket pair, with the same handshake and limits")
    func inProcessClientUsesASocketPair() async throws {
        let token = "0123456789abcdef-token"
        let server = try await startTestServer {
            $0.authToken = token
            $0.idleTimeout = .seconds(1)
        }
        // Port 1: nothing listens there, so only the socket pair can carry these calls.
        var base = RPCClientConfiguration(host: "127.0.0.1", port: 1)
        base.authToken = token
        let client = RPCClientChannel(configuration: server.inProcessClientConfiguration(base))
        let mismatches = try await self.concurrentEchoMismatches(client, callers: 16, calls: 50)
        #expect(mismatches == 0)
        #expect(server.openConnections == 1)
        await #expect(throws: RPCError(.notFound, "nothing here")) {
            _ = try await client.unary(methodIndex: TestMethods.fail, request: [])
        }
        // The handshake is checked as on TCP.
        var wrongToken = base
        wrongToken.authToken = "wrong-token-wrong-token"
        let refused = RPCClientChannel(configuration: server.inProcessClientConfiguration(wrongToken))
        await #expect {
            try await refused.connect()
        } throws: { error in
            (error as? RPCError)?.code == .unauthenticated
        }
        // The server's idle timeout closes the pair; the next call makes a new one.
        try await Task.sleep(for: .milliseconds(2500))
        #expect(server.openConnections == 0)
        #expect(try await self.echo(client, 7, "again") == TestMethods.message(7, "again"))
        await client.close()
        await refused.close()
        await server.shutdown()
        // A server that shut down admits no new pair.
        let late = RPCClientChannel(configuration: server.inProcessClientConfiguration(base))
        await #expect {
            _ = try await late.unary(methodIndex: TestMethods.echo, request: [])
        } throws: { error in
            (error as? RPCError)?.code == .unavailable
        }
        await late.close()
    }
}
