import Foundation
import LibPQ
import Testing

@Suite(.requiresPostgreSQL, .timeLimit(.minutes(1)))
struct PGPoolTests {
    @Test func manyConcurrentTasksGetTheirOwnResults() async throws {
        let pool = PGPool(conninfo: TestDatabase.conninfo!, size: 8)
        try await pool.warmUp()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<64 {
                group.addTask {
                    for call in 0..<50 {
                        let value = task * 1000 + call
                        let result = try await pool.withConnection { connection in
                            try connection.execute(
                                cached: "SELECT $1::int8 * 2, $2::text",
                                [.init(value), .init("t\(value)")]
                            )
                        }
                        #expect(result.int(row: 0, column: 0) == value * 2)
                        #expect(result[0, 1] == "t\(value)")
                    }
                }
            }
            try await group.waitForAll()
        }
        let stats = pool.stats
        #expect(stats.size == 8)
        #expect(stats.busy == 0)
        #expect(stats.waiting == 0)
        #expect(stats.connected == 8)
        await pool.shutdown()
        #expect(pool.stats.connected == 0)
    }

    @Test func recoversAfterItsConnectionsAreTerminated() async throws {
        let name = TestDatabase.uniqueName("pooltest")
        let pool = PGPool(
            configuration: .init(conninfo: TestDatabase.conninfo!, size: 4, applicationName: name)
        )
        try await pool.warmUp()
        #expect(pool.stats.connected == 4)
        let killer = try TestDatabase.connect()
        let killed = try killer.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            [.text(name)]
        )
        #expect(killed.rowCount == 4)
        // Wait until the server has really ended them.
        for _ in 0..<100 {
            let left = try killer.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                [.text(name)]
            )
            if left.int(row: 0, column: 0) == 0 {
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Idle connections the server dropped are normally noticed before a job is sent. If the server's close
        // hasn't reached us yet, that connection's next call fails with a connection error (a call is never
        // retried behind the caller's back); the call after it reconnects.
        var failures = 0
        for _ in 0..<20 {
            do {
                let one = try await pool.withConnection { try $0.execute("SELECT 1").int(row: 0, column: 0) }
                #expect(one == 1)
            } catch let error as PGError {
                #expect(error.isConnectionError)
                failures += 1
            }
        }
        #expect(failures <= 4)
        for _ in 0..<20 {
            let one = try await pool.withConnection { try $0.execute("SELECT 1").int(row: 0, column: 0) }
            #expect(one == 1)
        }
        #expect(pool.stats.connected >= 1)
        await pool.shutdown()
    }

    @Test func connectionBrokenDuringAJobIsReportedThenRecovers() async throws {
        let pool = PGPool(conninfo: TestDatabase.conninfo!, size: 1)
        do {
            try await pool.withConnection { connection in
                let killer = try TestDatabase.connect()
                try killer.execute("SELECT pg_terminate_backend($1)", [.init(connection.backendPID)])
                try connection.execute("SELECT 1")
            }
            Issue.record("expected a connection error")
        } catch let error as PGError {
            #expect(error.isConnectionError)
        }
        let value = try await pool.withConnection { try $0.execute("SELECT 7").int(row: 0, column: 0) }
        #expect(value == 7)
        await pool.shutdown()
    }

    @Test func unreachableDatabaseFailsClearlyAndPoolKeepsWorking() async throws {
        let pool = PGPool(conninfo: "host=127.0.0.1 port=1 dbname=x connect_timeout=2", size: 2)
        await #expect {
            try await pool.warmUp()
        } throws: { error in
            (error as? PGError)?.kind == .connectionFailed
        }
        await #expect(throws: PGError.self) {
            try await pool.withConnection { _ in 1 }
        }
        await pool.shutdown()
    }

    @Test func boundedQueueRejectsOverflow() async throws {
        let pool = PGPool(configuration: .init(conninfo: TestDatabase.conninfo!, size: 1, maxWaiting: 2))
        let gate = Gate()
        let blocker = Task {
            try await pool.withConnection { connection in
                gate.wait()
                return try connection.execute("SELECT 1").rowCount
            }
        }
        while pool.stats.busy == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        let waiters = (0..<2).map { _ in
            Task { try await pool.withConnection { try $0.execute("SELECT 2").rowCount } }
        }
        while pool.stats.waiting < 2 {
            try await Task.sleep(for: .milliseconds(5))
        }
        await #expect {
            try await pool.withConnection { _ in 0 }
        } throws: { error in
            (error as? PGError)?.kind == .poolExhausted
        }
        gate.open()
        #expect(try await blocker.value == 1)
        for waiter in waiters {
            #expect(try await waiter.value == 1)
        }
        await pool.shutdown()
        await #expect {
            try await pool.withConnection { _ in 0 }
        } throws: { error in
            (error as? PGError)?.kind == .poolShutdown
        }
    }

    @Test func submittedJobsRunOnceWithAConnectionOrTheirRejection() async throws {
        let pool = PGPool(configuration: .init(conninfo: TestDatabase.conninfo!, size: 1, maxWaiting: 1))
        // Runs on a pool thread with a working connection, and is called once.
        let first = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Int?, any Error>) in
            pool.submit { connection in
                continuation.resume(with: Result { try connection.get().execute("SELECT 41 + 1").int(row: 0, column: 0) })
            }
        }
        #expect(first == 42)

        // With the only connection busy and the queue full, a job is called at once with the rejection.
        let gate = Gate()
        let started = Counter()
        let blocker = Task {
            try await pool.withConnection { _ in
                started.increment()
                gate.wait()
            }
        }
        while started.value == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        let queued = Counter()
        pool.submit { connection in
            if case .success = connection { queued.increment() }
        }
        #expect(pool.stats.waiting == 1)
        let rejection = await withCheckedContinuation { (continuation: CheckedContinuation<PGError?, Never>) in
            pool.submit { connection in
                guard case .failure(let error) = connection else { return continuation.resume(returning: nil) }
                continuation.resume(returning: error as? PGError)
            }
        }
        #expect(rejection?.kind == .poolExhausted)
        gate.open()
        try await blocker.value
        await pool.shutdown()
        #expect(queued.value == 1, "the queued job ran before shutdown finished")

        let afterShutdown = await withCheckedContinuation { (continuation: CheckedContinuation<PGError?, Never>) in
            pool.submit { connection in
                guard case .failure(let error) = connection else { return continuation.resume(returning: nil) }
                continuation.resume(returning: error as? PGError)
            }
        }
        #expect(afterShutdown?.kind == .poolShutdown)
    }

    @Test func cancelledBeforeStartNeverRuns() async throws {
        let pool = PGPool(conninfo: TestDatabase.conninfo!, size: 1)
        let gate = Gate()
        let ran = Counter()
        let blocker = Task { try await pool.withConnection { _ in gate.wait() } }
        while pool.stats.busy == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        let waiter = Task { try await pool.withConnection { _ in ran.increment() } }
        while pool.stats.waiting == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        gate.open()
        try await blocker.value
        await pool.shutdown()
        #expect(ran.value == 0)
    }

    @Test func shutdownFinishesQueuedWork() async throws {
        let pool = PGPool(conninfo: TestDatabase.conninfo!, size: 2)
        let tasks = (0..<20).map { n in
            Task {
                try await pool.withConnection { try $0.execute("SELECT $1::int", [.init(n)]).int(row: 0, column: 0) }
            }
        }
        await pool.shutdown()
        for (n, task) in tasks.enumerated() {
            // Each task was either queued before shutdown (and ran) or rejected cleanly.
            do {
                #expect(try await task.value == n)
            } catch let error as PGError {
                #expect(error.kind == .poolShutdown)
            }
        }
    }
}

/// A one-shot gate that blocks a pool thread (never a Swift task) until opened.
final class Gate: @unchecked Sendable {
    private let condition = NSCondition()
    private var isOpen = false

    func wait() {
        self.condition.lock()
        while !self.isOpen {
            self.condition.wait()
        }
        self.condition.unlock()
    }

    func open() {
        self.condition.lock()
        self.isOpen = true
        self.condition.broadcast()
        self.condition.unlock()
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        self.lock.withLock { self.count += 1 }
    }

    var value: Int {
        self.lock.withLock { self.count }
    }
}
