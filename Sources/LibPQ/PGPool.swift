import Foundation
import Synchronization

/// A bounded pool of PostgreSQL connections, each owned by its own worker thread.
///
/// libpq blocks the calling thread for every round trip, so no libpq call may run on an event loop or in Swift's
/// cooperative thread pool (a few slow queries would starve every task in the process). Instead each of the
/// `size` connections lives on a dedicated `Thread`; `withConnection` puts a job on a shared queue, a free
/// worker runs it with its connection, and the result comes back through a continuation.
///
/// - Bounded: at most `maxWaiting` jobs wait; more are rejected with `.poolExhausted` so memory stays flat under
///   overload.
/// - Cancellation: a job whose task is cancelled before a worker picks it up never runs and throws
///   `CancellationError`; once running, it runs to the end (libpq calls can't be abandoned safely).
/// - Recovery: connections open lazily. Before each job the worker checks its connection
///   (`PGConnection.checkAlive`) and reconnects if the server dropped it while idle; a connection that breaks
///   during a job makes that job fail with a connection error (never retried: a write's outcome is unknown),
///   and the next job reconnects. A database that is down makes jobs fail fast with `.connectionFailed`
///   until it is back.
public final class PGPool: Sendable {
    /// Pool settings; every property has a default except the connection string.
    public struct Configuration: Sendable {
        /// libpq connection string or URI.
        public var conninfo: String
        /// The number of connections (and worker threads).
        public var size: Int
        /// libpq `connect_timeout` for each connection attempt.
        public var connectTimeout: Duration
        /// The most jobs that may wait for a connection before new ones are rejected.
        public var maxWaiting: Int
        /// `application_name` shown in `pg_stat_activity`.
        public var applicationName: String

        public init(
            conninfo: String,
            size: Int = 8,
            connectTimeout: Duration = .seconds(10),
            maxWaiting: Int = 10_000,
            applicationName: String = "cbingest"
        ) {
            self.conninfo = conninfo
            self.size = size
            self.connectTimeout = connectTimeout
            self.maxWaiting = maxWaiting
            self.applicationName = applicationName
        }
    }

    /// A snapshot for metrics.
    public struct Stats: Sendable, Equatable {
        /// Configured number of connections.
        public var size: Int
        /// Jobs running right now.
        public var busy: Int
        /// Jobs waiting for a connection.
        public var waiting: Int
        /// Connections currently open.
        public var connected: Int
    }

    public let configuration: Configuration
    private let queue: PGJobQueue

    /// Starts `size` worker threads; connections open on first use.
    public convenience init(
        conninfo: String,
        size: Int = 8,
        connectTimeout: Duration = .seconds(10),
        maxWaiting: Int = 10_000
    ) {
        self.init(
            configuration: Configuration(
                conninfo: conninfo,
                size: size,
                connectTimeout: connectTimeout,
                maxWaiting: maxWaiting
            )
        )
    }

    /// Starts `configuration.size` worker threads; connections open on first use.
    public init(configuration: Configuration) {
        precondition(configuration.size > 0, "a pool needs at least one connection")
        precondition(configuration.maxWaiting >= 0, "maxWaiting cannot be negative")
        self.configuration = configuration
        self.queue = PGJobQueue(size: configuration.size, maxWaiting: configuration.maxWaiting)
        for index in 0..<configuration.size {
            let worker = PGPoolWorker(configuration: configuration, queue: self.queue)
            let thread = Thread { worker.run() }
            thread.name = "pgpool-\(index)"
            thread.start()
        }
    }

    deinit {
        // Lets the workers finish queued work and exit; they hold the queue, not the pool.
        self.queue.close()
    }

    /// Runs `body` with a pooled connection on a pool thread and returns its result.
    ///
    /// `body` runs on a worker thread and may block; keep it to database work. It must not keep the connection
    /// beyond its return. Throws `CancellationError` if the task is cancelled before the job starts,
    /// `PGError` `.poolExhausted`/`.poolShutdown` if the job can't be queued, `.connectionFailed` if no
    /// connection could be opened, and whatever `body` throws.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (PGConnection) throws -> T
    ) async throws -> T {
        try Task.checkCancellation()
        let job = PGPoolJob<T>(body: body)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                guard job.install(continuation) else {
                    // Cancelled between the check above and here.
                    continuation.resume(throwing: CancellationError())
                    return
                }
                if let rejection = self.queue.enqueue(job) {
                    job.fail(rejection)
                }
            }
        } onCancel: {
            job.cancel()
        }
    }

    /// Runs `body` on a pool thread with a pooled connection, for a caller that doesn't await it: work
    /// that hands its results on by itself (group commit, `StoreBatcher`). That saves the two thread
    /// hand-offs of an awaited job (to a task that waits for the job, and back). `body` is called
    /// exactly once: with the connection, or with the error that kept the job from running
    /// (`PGError` `.poolExhausted`/`.poolShutdown`, `.connectionFailed`). It may block; it must not
    /// keep the connection beyond its return.
    public func submit(_ body: @escaping @Sendable (Result<PGConnection, any Error>) -> Void) {
        let job = PGPoolCallbackJob(body: body)
        if let rejection = self.queue.enqueue(job) {
            job.fail(rejection)
        }
    }

    /// Opens every connection now and throws the first failure: for a clear error at startup when the database
    /// is unreachable, instead of on the first request.
    ///
    /// Sends one job per worker; each holds its worker (up to a few seconds) until all have started, so that
    /// no worker takes two of them and every connection really gets opened.
    public func warmUp() async throws {
        let barrier = PGBarrier(count: self.configuration.size)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<self.configuration.size {
                group.addTask {
                    try await self.withConnection { connection in
                        try connection.execute("SELECT 1")
                        barrier.arriveAndWait(timeout: 5)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Size, running jobs, waiting jobs and open connections.
    public var stats: Stats {
        self.queue.stats
    }

    /// Stops accepting work, lets the workers finish every queued job, closes the connections and returns when
    /// all worker threads have exited.
    public func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.queue.close(whenDrained: { continuation.resume() })
        }
    }
}

/// A unit of work for a worker thread.
protocol PGPoolJobProtocol: AnyObject, Sendable {
    /// Moves the job to "running"; `false` if it was cancelled or already finished, so it must not run.
    func begin() -> Bool
    /// Runs the job with an open connection and returns the step that hands the result to the caller, which the
    /// worker calls once its own bookkeeping is done (so `stats` never counts a finished call as busy).
    func run(_ connection: PGConnection) -> () -> Void
    /// Finishes the job with an error instead of running it.
    func fail(_ error: any Error)
}

/// One `submit` call: runs once, with the connection or with the error that kept it from running.
final class PGPoolCallbackJob: PGPoolJobProtocol {
    private let body: @Sendable (Result<PGConnection, any Error>) -> Void

    init(body: @escaping @Sendable (Result<PGConnection, any Error>) -> Void) {
        self.body = body
    }

    /// Nothing awaits the job, so nothing can cancel it; the worker begins each job once.
    func begin() -> Bool {
        true
    }

    func run(_ connection: PGConnection) -> () -> Void {
        self.body(.success(connection))
        return {}
    }

    func fail(_ error: any Error) {
        self.body(.failure(error))
    }
}

/// One `withConnection` call: its body and continuation, and a state machine so that cancellation, rejection
/// and completion each resume the continuation exactly once.
final class PGPoolJob<T: Sendable>: PGPoolJobProtocol {
    private enum State {
        case created
        case waiting(CheckedContinuation<T, any Error>)
        case running(CheckedContinuation<T, any Error>)
        case done
    }

    private let body: @Sendable (PGConnection) throws -> T
    private let state = Mutex<State>(.created)

    init(body: @escaping @Sendable (PGConnection) throws -> T) {
        self.body = body
    }

    /// Stores the continuation; `false` if the job was cancelled before.
    func install(_ continuation: CheckedContinuation<T, any Error>) -> Bool {
        self.state.withLock { state in
            guard case .created = state else {
                return false
            }
            state = .waiting(continuation)
            return true
        }
    }

    func cancel() {
        let continuation: CheckedContinuation<T, any Error>? = self.state.withLock { state in
            switch state {
            case .created:
                state = .done
                return nil
            case .waiting(let continuation):
                state = .done
                return continuation
            case .running, .done:
                return nil
            }
        }
        continuation?.resume(throwing: CancellationError())
    }

    func begin() -> Bool {
        self.state.withLock { state in
            guard case .waiting(let continuation) = state else {
                return false
            }
            state = .running(continuation)
            return true
        }
    }

    func run(_ connection: PGConnection) -> () -> Void {
        let result = Result { () throws -> T in try self.body(connection) }
        return { self.finish(result) }
    }

    func fail(_ error: any Error) {
        self.finish(.failure(error))
    }

    private func finish(_ result: Result<T, any Error>) {
        let continuation: CheckedContinuation<T, any Error>? = self.state.withLock { state in
            switch state {
            case .waiting(let continuation), .running(let continuation):
                state = .done
                return continuation
            case .created, .done:
                state = .done
                return nil
            }
        }
        continuation?.resume(with: result)
    }
}
