import Foundation

/// The pool's job queue: a FIFO guarded by a condition variable that worker threads block on.
///
/// `@unchecked Sendable` because every stored property is read and written only while holding `condition`.
/// Blocking on a condition is right here: only the pool's own worker threads ever wait, never a Swift task.
final class PGJobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [any PGPoolJobProtocol] = []
    /// Index of the next job in `jobs`; the consumed prefix is compacted away periodically.
    private var head = 0
    private var closed = false
    private var busy = 0
    private var connected = 0
    private var liveWorkers: Int
    private var drainedHandlers: [@Sendable () -> Void] = []
    private let size: Int
    private let maxWaiting: Int

    init(size: Int, maxWaiting: Int) {
        self.size = size
        self.liveWorkers = size
        self.maxWaiting = maxWaiting
    }

    /// Queues a job; returns the error to fail it with when the queue is full or closed.
    func enqueue(_ job: any PGPoolJobProtocol) -> PGError? {
        self.condition.lock()
        defer { self.condition.unlock() }
        if self.closed {
            return PGError(kind: .poolShutdown, operation: "queueing a database call")
        }
        if self.jobs.count - self.head >= self.maxWaiting {
            return PGError(kind: .poolExhausted, operation: "queueing a database call")
        }
        self.jobs.append(job)
        self.condition.signal()
        return nil
    }

    /// Blocks until a job is available; `nil` once the queue is closed and empty (the worker should exit).
    func next() -> (any PGPoolJobProtocol)? {
        self.condition.lock()
        defer { self.condition.unlock() }
        while self.head == self.jobs.count {
            if self.closed {
                return nil
            }
            self.condition.wait()
        }
        let job = self.jobs[self.head]
        self.head += 1
        if self.head == self.jobs.count {
            self.jobs.removeAll(keepingCapacity: self.jobs.capacity <= 1024)
            self.head = 0
        } else if self.head >= 1024 && self.head * 2 >= self.jobs.count {
            self.jobs.removeFirst(self.head)
            self.head = 0
        }
        self.busy += 1
        return job
    }

    /// Called by a worker when its job has finished.
    func finished() {
        self.condition.lock()
        self.busy -= 1
        self.condition.unlock()
    }

    /// Called by a worker when its connection opens (+1) or is dropped (-1).
    func connectionCountChanged(by delta: Int) {
        self.condition.lock()
        self.connected += delta
        self.condition.unlock()
    }

    /// Called by a worker thread as it exits.
    func workerExited() {
        self.condition.lock()
        self.liveWorkers -= 1
        let handlers = self.liveWorkers == 0 ? self.drainedHandlers : []
        if self.liveWorkers == 0 {
            self.drainedHandlers = []
        }
        self.condition.unlock()
        for handler in handlers {
            handler()
        }
    }

    /// Stops accepting jobs; workers exit once the queue is empty. `whenDrained` runs after the last one exits.
    func close(whenDrained: (@Sendable () -> Void)? = nil) {
        self.condition.lock()
        self.closed = true
        var runNow = false
        if let whenDrained {
            if self.liveWorkers == 0 {
                runNow = true
            } else {
                self.drainedHandlers.append(whenDrained)
            }
        }
        self.condition.broadcast()
        self.condition.unlock()
        if runNow {
            whenDrained?()
        }
    }

    var stats: PGPool.Stats {
        self.condition.lock()
        defer { self.condition.unlock() }
        return PGPool.Stats(
            size: self.size,
            busy: self.busy,
            waiting: self.jobs.count - self.head,
            connected: self.connected
        )
    }
}

/// Holds pool threads until `count` have arrived (or a timeout passes); used by `PGPool.warmUp` so that each
/// worker takes exactly one warm-up job. Only pool threads ever wait on it.
final class PGBarrier: @unchecked Sendable {
    private let condition = NSCondition()
    private var remaining: Int

    init(count: Int) {
        self.remaining = count
    }

    func arriveAndWait(timeout seconds: Double) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        self.condition.lock()
        defer { self.condition.unlock() }
        self.remaining -= 1
        if self.remaining <= 0 {
            self.condition.broadcast()
            return
        }
        while self.remaining > 0 {
            if !self.condition.wait(until: deadline) {
                return
            }
        }
    }
}
