/// The loop of one pool thread: owns one connection (opened lazily) and runs jobs on it one at a time.
///
/// `@unchecked Sendable` only so it can be handed to its `Thread`: after that, only that thread touches it.
final class PGPoolWorker: @unchecked Sendable {
    private let configuration: PGPool.Configuration
    private let queue: PGJobQueue
    private var connection: PGConnection?

    init(configuration: PGPool.Configuration, queue: PGJobQueue) {
        self.configuration = configuration
        self.queue = queue
    }

    func run() {
        while let job = self.queue.next() {
            guard job.begin() else {
                self.queue.finished()
                continue  // cancelled while waiting
            }
            let connection: PGConnection
            do {
                connection = try self.usableConnection()
            } catch {
                self.queue.finished()
                job.fail(error)
                continue
            }
            let complete = job.run(connection)
            self.cleanUp(after: connection)
            self.queue.finished()
            complete()
        }
        self.drop()
        self.queue.workerExited()
    }

    /// The worker's connection, reconnecting first if it is missing or the server dropped it while idle. Safe to
    /// do before a job: nothing of the job has been sent yet.
    private func usableConnection() throws(PGError) -> PGConnection {
        if let connection = self.connection {
            if connection.checkAlive() {
                return connection
            }
            self.drop()
        }
        let connection = try PGConnection(
            conninfo: self.configuration.conninfo,
            connectTimeout: self.configuration.connectTimeout,
            applicationName: self.configuration.applicationName
        )
        self.connection = connection
        self.queue.connectionCountChanged(by: 1)
        return connection
    }

    /// Leaves the connection clean for the next job: a job that left a transaction open gets it rolled back,
    /// and a broken connection is closed so the next job reconnects.
    private func cleanUp(after connection: PGConnection) {
        if connection.isHealthy && connection.isInTransaction {
            connection.rollbackQuietly()
        }
        if !connection.isHealthy {
            self.drop()
        }
    }

    private func drop() {
        guard let connection = self.connection else {
            return
        }
        connection.close()
        self.connection = nil
        self.queue.connectionCountChanged(by: -1)
    }
}
