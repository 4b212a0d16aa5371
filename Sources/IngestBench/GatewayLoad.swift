import ArgumentParser
import ClickBank
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// Closed-loop HTTP load on the gateway: keep-alive connections POSTing real encrypted v7 bodies
/// with distinct receipts, plus a share of redeliveries of earlier ones.
struct GatewayLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gateway", abstract: "POST notifications to the HTTP gateway.")

    @Option var port: Int
    @Option var path: String
    @Option var secretKey: String = "SYNTHKEY0000TEST"
    @Option(help: "Decrypted v7 notification document to vary (its receipt and transaction time are replaced).") var template: String
    @Option(parsing: .upToNextOption) var connections: [Int] = [16, 64]
    @Option var seconds: Double = 10
    @Option(help: "Share of requests that redeliver an earlier body.") var redeliveryShare: Double = 0.1
    @Option var serverPid: Int32?

    func run() async throws {
        let document = try String(contentsOfFile: self.template, encoding: .utf8)
        let run = UInt32.random(in: 0...UInt32.max)
        for connections in self.connections {
            let bodies = try BodySource(
                document: document, secretKey: self.secretKey,
                prefix: String(format: "B%06X%02X", run & 0xFFFFFF, connections), redeliveryShare: self.redeliveryShare
            )
            // Encrypted before the clock starts (enough for 10,000/s, at most 100,000 bodies, about
            // 230 MB; more are made on demand), so that the load generator's own encryption doesn't
            // take CPU from the server and database it shares the machine with.
            bodies.prepare(count: min(100_000, Int(self.seconds * 10_000)))
            let result = try await HTTPClosedLoop.run(
                port: self.port, path: self.path, connections: connections, seconds: self.seconds, bodies: bodies
            )
            let rss = self.serverPid.map { ProcessStats.rssMegabytes(pid: $0) } ?? 0
            print(String(
                format: "| gateway POST | %d | %.0f | %.2f | %.2f | %.1f | %d |",
                connections, Double(result.ok) / result.seconds, result.percentile(0.50), result.percentile(0.99),
                rss, result.failures
            ))
        }
    }
}

/// Makes request bodies: new receipts at the current time, encrypted like ClickBank does, or a
/// redelivery of a recent one.
final class BodySource: Sendable {
    private let document: String
    private let receiptRange: Range<String.Index>
    private let transactionTimeRange: Range<String.Index>?
    private let secretKey: String
    private let prefix: String
    private let redeliveryShare: Double
    private let state = NIOLockedValueBox<(next: Int, recent: [[UInt8]])>((0, []))
    private let prepared = NIOLockedValueBox<(bodies: [[UInt8]], taken: Int)>(([], 0))

    /// ClickBank's v7 form of an instant (`20220810T162015-0700`), with the Pacific offset its times
    /// carry (always -0800 here, which is enough for a load generator).
    private static let transactionTimeStyle = Date.ISO8601FormatStyle(
        dateSeparator: .omitted, dateTimeSeparator: .standard, timeSeparator: .omitted, timeZoneSeparator: .omitted,
        includingFractionalSeconds: false, timeZone: TimeZone(secondsFromGMT: -8 * 3_600)!
    )

    /// `document` is a decrypted v7 notification; its receipt, and its transaction time if it has one,
    /// are replaced in each new body.
    init(document: String, secretKey: String, prefix: String, redeliveryShare: Double) throws {
        guard let receiptRange = document.range(of: #""receipt":"[^"]*""#, options: .regularExpression) else {
            throw ValidationError("the template has no receipt")
        }
        self.document = document
        self.receiptRange = receiptRange
        self.transactionTimeRange = document.range(of: #""transactionTime":"[^"]*""#, options: .regularExpression)
        self.secretKey = secretKey
        self.prefix = prefix
        self.redeliveryShare = redeliveryShare
    }

    /// Makes `count` bodies now, in the order `next()` will hand them out.
    func prepare(count: Int) {
        let bodies = (0..<count).map { _ in self.make() }
        self.prepared.withLockedValue { $0 = (bodies, 0) }
    }

    /// The next prepared body, or a new one once they are used up.
    func next() -> [UInt8] {
        let prepared = self.prepared.withLockedValue { prepared -> [UInt8]? in
            guard prepared.taken < prepared.bodies.count else { return nil }
            defer { prepared.taken += 1 }
            return prepared.bodies[prepared.taken]
        }
        return prepared ?? self.make()
    }

    private func make() -> [UInt8] {
        let redeliver = Double.random(in: 0..<1) < self.redeliveryShare
        if redeliver, let body = self.state.withLockedValue({ $0.recent.randomElement() }) {
            return body
        }
        let number = self.state.withLockedValue { state -> Int in
            defer { state.next += 1 }
            return state.next
        }
        let receipt = "\(self.prefix)\(String(number, radix: 36))"
        // A new sale happens now, as in live traffic: events then arrive in time order, which is the
        // order their keys (time first) are laid out in the index, rather than all in the template's
        // one second.
        var fields = [(self.receiptRange, "\"receipt\":\"\(receipt)\"")]
        if let timeRange = self.transactionTimeRange {
            fields.append((timeRange, "\"transactionTime\":\"\(Self.transactionTimeStyle.format(Date()))\""))
        }
        var text = self.document
        // The later field first, so that the earlier one's range still points into unchanged text.
        for (range, value) in fields.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
            text.replaceSubrange(range, with: value)
        }
        let body = IPNVerifier.encryptedBody(plaintext: text, secretKey: self.secretKey)
        self.state.withLockedValue { state in
            if state.recent.count < 1000 { state.recent.append(body) } else { state.recent[number % 1000] = body }
        }
        return body
    }
}

enum HTTPClosedLoop {
    struct Result {
        var ok = 0
        var failures = 0
        var seconds = 0.0
        var latencies: [Int] = []

        func percentile(_ p: Double) -> Double {
            guard !self.latencies.isEmpty else { return 0 }
            let sorted = self.latencies.sorted()
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000
        }
    }

    final class Caller: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart

        let path: String
        let port: Int
        let deadline: NIODeadline
        let bodies: BodySource
        let finished: EventLoopPromise<Result>
        var result = Result()
        var sentAt = NIODeadline.now()
        var status: UInt = 0

        init(path: String, port: Int, deadline: NIODeadline, bodies: BodySource, finished: EventLoopPromise<Result>) {
            self.path = path
            self.port = port
            self.deadline = deadline
            self.bodies = bodies
            self.finished = finished
        }

        func channelActive(context: ChannelHandlerContext) {
            self.send(context: context)
        }

        func send(context: ChannelHandlerContext) {
            let body = self.bodies.next()
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: self.path)
            head.headers.add(name: "host", value: "127.0.0.1:\(self.port)")
            head.headers.add(name: "content-type", value: "application/json")
            head.headers.add(name: "content-length", value: "\(body.count)")
            self.sentAt = .now()
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head):
                self.status = head.status.code
            case .body:
                break
            case .end:
                let now = NIODeadline.now()
                self.result.latencies.append(Int((now - self.sentAt).nanoseconds / 1000))
                if self.status == 200 { self.result.ok += 1 } else { self.result.failures += 1 }
                if now < self.deadline {
                    self.send(context: context)
                } else {
                    self.finished.succeed(self.result)
                    context.close(promise: nil)
                }
            }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            self.finished.fail(error)
            context.close(promise: nil)
        }
    }

    static func run(port: Int, path: String, connections: Int, seconds: Double, bodies: BodySource) async throws -> Result {
        let group = MultiThreadedEventLoopGroup.singleton
        let deadline = NIODeadline.now() + .nanoseconds(Int64(seconds * 1e9))
        let started = NIODeadline.now()
        var futures: [EventLoopFuture<Result>] = []
        for _ in 0..<connections {
            let loop = group.next()
            let promise = loop.makePromise(of: Result.self)
            _ = try await ClientBootstrap(group: loop)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            Caller(path: path, port: port, deadline: deadline, bodies: bodies, finished: promise)
                        )
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
            futures.append(promise.futureResult)
        }
        var total = Result()
        for future in futures {
            let part = try await future.get()
            total.ok += part.ok
            total.failures += part.failures
            total.latencies += part.latencies
        }
        total.seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        return total
    }
}
