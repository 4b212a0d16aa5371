import IngestClient
import RPCCore
import Logging
import NIOCore
import NIOHTTP1

/// Serves one HTTP/1.1 connection: ClickBank notification POSTs, /healthz and /readyz.
///
/// A notification gets 200 only once VerifyIPN has stored its raw body; 503 when the service or
/// database can't store it (ClickBank retries); 404 for an unknown token; 413 for a body over the
/// cap; 405 for any method but POST. A body that fails verification on a known endpoint still gets
/// 200 once stored: ClickBank would otherwise retry it forever, and the operator can see and replay
/// it. The answer never says why verification failed (no padding oracle).
final class GatewayHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let ipnPathPrefix = "/clickbank/ipn/"

    private enum Route {
        case notification(token: String, contentType: String)
        case health
        case ready
        case metrics
        case rejected(HTTPResponseStatus, String)
    }

    private let client: IngestClient
    private let configuration: GatewayConfiguration
    private let logger: Logger
    private let metrics: GatewayMetrics
    private let metricsText: (@Sendable () -> String)?

    private var route: Route?
    private var body: ByteBuffer?
    private var keepAlive = true
    private var requestDeadline: Scheduled<Void>?
    /// Armed while the connection waits for a request's head: a peer that opens a connection (or
    /// keeps one alive) and sends nothing, or dribbles a header, is cut off after `requestTimeout`.
    private var headDeadline: Scheduled<Void>?
    private var busy = false
    /// A request's RPC runs on this connection's event loop (`EventLoopTaskExecutor`).
    private var loopExecutor: EventLoopTaskExecutor?

    init(
        client: IngestClient, configuration: GatewayConfiguration, metrics: GatewayMetrics,
        metricsText: (@Sendable () -> String)?, logger: Logger
    ) {
        self.client = client
        self.configuration = configuration
        self.metrics = metrics
        self.metricsText = metricsText
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.loopExecutor = EventLoopTaskExecutor(context.eventLoop)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.armHeadDeadline(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.headDeadline?.cancel()
        self.requestDeadline?.cancel()
        context.fireChannelInactive()
    }

    private func armHeadDeadline(context: ChannelHandlerContext) {
        self.headDeadline?.cancel()
        let channel = context.channel
        self.headDeadline = context.eventLoop.scheduleTask(in: TimeAmount(self.configuration.requestTimeout)) {
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.headDeadline?.cancel()
            self.headDeadline = nil
            self.startRequest(head, context: context)
        case .body(var chunk):
            guard case .notification = self.route else { return }
            if (self.body?.readableBytes ?? 0) + chunk.readableBytes > self.configuration.maxBodyBytes {
                self.route = .rejected(.payloadTooLarge, "notification body over \(self.configuration.maxBodyBytes) bytes\n")
                self.body = nil
                self.keepAlive = false
                return
            }
            self.body?.writeBuffer(&chunk)
        case .end:
            self.requestDeadline?.cancel()
            self.requestDeadline = nil
            self.finishRequest(context: context)
        }
    }

    private func startRequest(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        self.keepAlive = head.isKeepAlive
        self.body = nil
        self.busy = true
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let contextBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.requestDeadline = context.eventLoop.scheduleTask(in: TimeAmount(self.configuration.requestTimeout)) {
            // A request that never finishes arriving must not hold the connection.
            loopBound.value.respond(.requestTimeout, "request not received in time\n", close: true, context: contextBound.value)
        }
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        if path.hasPrefix(Self.ipnPathPrefix) {
            let token = String(path.dropFirst(Self.ipnPathPrefix.count))
            guard head.method == .POST else {
                self.route = .rejected(.methodNotAllowed, "use POST\n")
                return
            }
            if let length = head.headers.first(name: "content-length").flatMap(Int.init),
                length > self.configuration.maxBodyBytes
            {
                // Refuse from the header alone; don't read a body we won't keep.
                self.route = .rejected(.payloadTooLarge, "notification body over \(self.configuration.maxBodyBytes) bytes\n")
                self.keepAlive = false
                return
            }
            self.route = .notification(token: token, contentType: head.headers.first(name: "content-type") ?? "")
            self.body = context.channel.allocator.buffer(capacity: 2048)
        } else if path == "/healthz" {
            self.route = head.method == .GET || head.method == .HEAD ? .health : .rejected(.methodNotAllowed, "use GET\n")
        } else if path == "/readyz" {
            self.route = head.method == .GET || head.method == .HEAD ? .ready : .rejected(.methodNotAllowed, "use GET\n")
        } else if path == "/metrics", self.metricsText != nil {
            self.route = head.method == .GET ? .metrics : .rejected(.methodNotAllowed, "use GET\n")
        } else {
            self.route = .rejected(.notFound, "not found\n")
        }
    }

    private func finishRequest(context: ChannelHandlerContext) {
        guard let route = self.route else { return }
        self.route = nil
        switch route {
        case .rejected(let status, let text):
            self.metrics.count(status)
            self.respond(status, text, close: !self.keepAlive, context: context)
        case .health:
            self.respond(.ok, "ok\n", close: !self.keepAlive, context: context)
        case .metrics:
            self.respond(.ok, self.metricsText?() ?? "", close: !self.keepAlive, context: context, contentType: "text/plain; version=0.0.4")
        case .ready:
            self.callService(context: context) { client in
                let response = try await client.check(service: "database", timeout: .seconds(2))
                return response.status == .serving ? (.ok, "ready\n") : (.serviceUnavailable, "database not reachable\n")
            }
        case .notification(let token, let contentType):
            let bytes = Array((self.body ?? ByteBuffer()).readableBytesView)
            self.body = nil
            let receivedAtMs = GatewayClock.unixMilliseconds()
            let timeout = self.configuration.verifyTimeout
            let metrics = self.metrics
            self.callService(context: context) { client in
                var request = VerifyIPNRequest()
                request.token = token
                request.body = bytes
                request.contentType = contentType
                request.receivedAtMs = receivedAtMs
                // The answer to ClickBank needs only the verdict.
                request.omitNotification = true
                _ = try await client.verifyIPN(request, timeout: timeout)
                return (.ok, "OK\n")
            } onError: { error in
                metrics.countFailure(error.code)
                switch error.code {
                case .notFound: return (.notFound, "unknown notification URL\n")
                case .resourceExhausted: return (.payloadTooLarge, "notification body too large\n")
                default: return (.serviceUnavailable, "temporarily unavailable, retry\n")
                }
            }
        }
    }

    /// Runs an RPC as a task on this connection's event loop and answers from there.
    private func callService(
        context: ChannelHandlerContext,
        _ body: @escaping @Sendable (IngestClient) async throws -> (HTTPResponseStatus, String),
        onError: @escaping @Sendable (RPCError) -> (HTTPResponseStatus, String) = { _ in (.serviceUnavailable, "unavailable\n") }
    ) {
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let contextBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let client = self.client
        let close = !self.keepAlive
        let logger = self.logger
        let metrics = self.metrics
        let eventLoop = context.eventLoop
        Task(executorPreference: self.loopExecutor) {
            let answer: (HTTPResponseStatus, String)
            do {
                answer = try await body(client)
            } catch let error as RPCError {
                if error.code != .notFound {
                    logger.warning("gateway call failed", metadata: ["code": "\(error.code.name)", "error": "\(error.message)"])
                }
                answer = onError(error)
            } catch {
                logger.error("gateway call failed", metadata: ["error": "\(error)"])
                answer = (.serviceUnavailable, "unavailable\n")
            }
            metrics.count(answer.0)
            eventLoop.execute {
                loopBound.value.respond(answer.0, answer.1, close: close, context: contextBound.value)
            }
        }
    }

    private func respond(
        _ status: HTTPResponseStatus, _ text: String, close: Bool, context: ChannelHandlerContext,
        contentType: String = "text/plain; charset=utf-8"
    ) {
        guard self.busy else { return }
        self.busy = false
        self.requestDeadline?.cancel()
        self.requestDeadline = nil
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        headers.add(name: "content-length", value: "\(text.utf8.count)")
        if status == .methodNotAllowed {
            headers.add(name: "allow", value: "POST, GET")
        }
        if close {
            headers.add(name: "connection", value: "close")
        }
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
        let written = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
        if close {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        } else {
            self.armHeadDeadline(context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Malformed HTTP: the pipeline's error handler has answered 400 where it could.
        self.logger.debug("gateway connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }
}
