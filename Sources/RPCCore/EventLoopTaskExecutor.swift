public import NIOCore

/// A task executor that runs a task's jobs on one NIO event loop.
///
/// A short call started by a channel handler (a unary RPC, a gateway request) runs on its channel's
/// event loop instead of Swift's global pool: it starts without waking another thread, continues
/// there after each await, and writes its reply from where it was made. That halved the server's
/// thread switches per notification (6-7 to 3-4 at 16 gateway connections); on this two-core
/// machine each switch costs several microseconds of CPU. Only for work that doesn't block and
/// computes briefly between awaits: anything long (a CSV chunk's parsing) belongs on the global
/// pool, where it can't hold up the loop's other connections.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
