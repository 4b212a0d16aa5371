import LibPQ
import Synchronization

/// Group commit for small writes that many callers make at once (a webhook delivery each): calls
/// that arrive while a batch is being written wait and go together in the next one, written by one
/// pool job in one transaction (`PGConnection.executeBatch`), so they share its round trip, its
/// commit and its disk flush. Alone, a call is written at once, as it would be without batching.
///
/// At most `maxWriters` batches run at a time, each on its own pool connection, so the work of one
/// overlaps the disk flush of the other. A writer keeps taking batches until no call is waiting, then
/// gives its connection back. Nothing is held only here: every call waits until its batch is
/// committed (or failed) before it returns.
final class StoreBatcher<Input: Sendable, Output: Sendable>: Sendable {
    /// Writes one batch and returns one result per input, in order.
    typealias Write = @Sendable (PGConnection, [Input]) -> [Result<Output, any Error>]

    private struct Waiting {
        var input: Input
        var continuation: CheckedContinuation<Output, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var writers = 0
    }

    private let state = Mutex(State())
    private let pool: PGPool
    private let maxBatch: Int
    private let maxWriters: Int
    private let write: Write

    init(pool: PGPool, maxBatch: Int = 64, maxWriters: Int = 2, write: @escaping Write) {
        self.pool = pool
        self.maxBatch = maxBatch
        self.maxWriters = maxWriters
        self.write = write
    }

    /// Writes `input` with whatever else is waiting; returns when its batch is committed.
    func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let startWriter = self.state.withLock { state in
                state.waiting.append(Waiting(input: input, continuation: continuation))
                guard state.writers < self.maxWriters else { return false }
                state.writers += 1
                return true
            }
            if startWriter {
                self.startWriter()
            }
        }
    }

    private func startWriter() {
        Task {
            do {
                try await self.pool.withConnection { connection in
                    self.writeBatches(connection)
                }
            } catch {
                // The job never ran (the pool is full or shut down, or no connection could be
                // opened): the calls waiting now fail with that error, as a direct call would.
                let failed = self.state.withLock { state in
                    state.writers -= 1
                    let waiting = state.waiting
                    state.waiting.removeAll()
                    return waiting
                }
                for call in failed {
                    call.continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Runs on a pool thread: batches until none is waiting.
    private func writeBatches(_ connection: PGConnection) {
        while true {
            let batch: [Waiting] = self.state.withLock { state in
                guard !state.waiting.isEmpty else {
                    state.writers -= 1
                    return []
                }
                let count = min(self.maxBatch, state.waiting.count)
                let batch = Array(state.waiting.prefix(count))
                state.waiting.removeFirst(count)
                return batch
            }
            guard !batch.isEmpty else { return }
            let results = self.write(connection, batch.map(\.input))
            for (index, call) in batch.enumerated() {
                call.continuation.resume(
                    with: index < results.count
                        ? results[index]
                        : .failure(IngestStoreError(code: .internal, operation: "writing a batch"))
                )
            }
        }
    }
}

extension StoreBatcher {
    /// A `Write` for one statement run once per input: the batch in one transaction; should it fail
    /// for anything but a lost connection, each input again in its own transaction, so that one bad
    /// input fails alone.
    ///
    /// `lockOrder`: the statement's executions run in ascending order of this key (results still come
    /// back in input order), so that concurrent batches take shared row locks in the same order and
    /// don't deadlock on them.
    static func statement(
        _ sql: String, parameters: @escaping @Sendable (Input) -> [PGParameter],
        lockOrder: (@Sendable (Input) -> Int)? = nil,
        decode: @escaping @Sendable (PGResult) throws -> Output
    ) -> Write {
        let unordered = Self.inInputOrder(sql, parameters: parameters, decode: decode)
        guard let lockOrder else { return unordered }
        return { connection, inputs in
            let order = inputs.indices.sorted { lockOrder(inputs[$0]) < lockOrder(inputs[$1]) }
            let sortedResults = unordered(connection, order.map { inputs[$0] })
            var results = [Result<Output, any Error>](
                repeating: .failure(IngestStoreError(code: .internal, operation: "writing a batch")), count: inputs.count
            )
            for (position, index) in order.enumerated() where position < sortedResults.count {
                results[index] = sortedResults[position]
            }
            return results
        }
    }

    private static func inInputOrder(
        _ sql: String, parameters: @escaping @Sendable (Input) -> [PGParameter],
        decode: @escaping @Sendable (PGResult) throws -> Output
    ) -> Write {
        { connection, inputs in
            let parameterSets = inputs.map(parameters)
            let results: [PGResult]
            do {
                results = try connection.executeBatch(cached: sql, parameterSets)
            } catch let error as PGError where inputs.count > 1 && !error.isConnectionError {
                return parameterSets.map { parameters in
                    Result { try decode(try connection.execute(cached: sql, parameters)) }
                }
            } catch {
                return inputs.map { _ in .failure(error) }
            }
            return results.map { result in Result { try decode(result) } }
        }
    }
}
