import LibPQ
import Synchronization

/// Group commit for small writes that many callers make at once (a webhook delivery each): calls
/// that arrive while a batch is being written wait and go together in the next one, written by one
/// pool job in one transaction (`PGConnection.executeBatch`), so they share its round trip, its
/// commit and its disk flush. Alone, a call is written at once, as it would be without batching.
///
/// At most `maxWriters` batches are written at a time, so the work of one overlaps the disk flush
/// of another. Each batch is its own pool job: a writer hands its connection back after every
/// batch and queues again behind the pool's other work while calls are waiting, so batching never
/// keeps the pool from the service's other calls. Nothing is held only here: every call waits
/// until its batch is committed (or failed) before it returns. At most `maxWaiting` calls wait;
/// more are refused at once (`.poolExhausted`), as the pool refuses jobs.
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

    private enum SubmitOutcome {
        case wait, startWriter, refuse
    }

    private let state = Mutex(State())
    private let pool: PGPool
    private let maxBatch: Int
    private let maxWriters: Int
    private let maxWaiting: Int
    private let write: Write

    /// `maxWriters` defaults to a quarter of the pool (at least 1, at most 2): two batchers then
    /// leave at least half of the connections to everything else.
    init(pool: PGPool, maxBatch: Int = 64, maxWriters: Int? = nil, write: @escaping Write) {
        self.pool = pool
        self.maxBatch = maxBatch
        self.maxWriters = maxWriters ?? max(1, min(2, pool.configuration.size / 4))
        self.maxWaiting = pool.configuration.maxWaiting
        self.write = write
    }

    /// Writes `input` with whatever else is waiting; returns when its batch is committed.
    func submit(_ input: Input) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let next = self.state.withLock { state -> SubmitOutcome in
                guard state.waiting.count < self.maxWaiting else { return .refuse }
                state.waiting.append(Waiting(input: input, continuation: continuation))
                guard state.writers < self.maxWriters else { return .wait }
                state.writers += 1
                return .startWriter
            }
            switch next {
            case .wait:
                break
            case .startWriter:
                Task { await self.writeWhileWaiting() }
            case .refuse:
                continuation.resume(
                    throwing: PGError(
                        kind: .poolExhausted, operation: "queueing a write",
                        serverMessage: "more than \(self.maxWaiting) writes are waiting"
                    )
                )
            }
        }
    }

    /// One writer: takes a batch, writes it as one pool job, and again while calls are waiting.
    private func writeWhileWaiting() async {
        while true {
            let batch: [Waiting] = self.state.withLock { state in
                guard !state.waiting.isEmpty else {
                    // Counted and emptied under the same lock as `submit` appends: a call that
                    // arrives after this starts a writer of its own.
                    state.writers -= 1
                    return []
                }
                let count = min(self.maxBatch, state.waiting.count)
                let batch = Array(state.waiting.prefix(count))
                state.waiting.removeFirst(count)
                return batch
            }
            guard !batch.isEmpty else { return }
            let inputs = batch.map(\.input)
            let results: [Result<Output, any Error>]
            do {
                results = try await self.pool.withConnection { connection in self.write(connection, inputs) }
            } catch {
                // The job never ran (the pool is full or shut down, or no connection could be
                // opened): this batch's calls fail with that error, as direct calls would.
                results = inputs.map { _ in .failure(error) }
            }
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
    /// - `lockOrder`: the executions run in ascending order of this key (results still come back in
    ///   input order), so that concurrent batches take the rows it stands for in the same order.
    /// - `prologue`: a statement run first in every transaction (a batch, or one input alone) with
    ///   the inputs of that transaction, e.g. to lock shared rows up front in a fixed order; its
    ///   result is not returned.
    static func statement(
        _ sql: String, parameters: @escaping @Sendable (Input) -> [PGParameter],
        lockOrder: (@Sendable (Input) -> String)? = nil,
        prologue: (@Sendable ([Input]) -> PGStatement)? = nil,
        decode: @escaping @Sendable (PGResult) throws -> Output
    ) -> Write {
        { connection, inputs in
            func write(_ items: [Input]) throws(PGError) -> [PGResult] {
                var statements = items.map { PGStatement(sql, parameters($0)) }
                if let prologue {
                    statements.insert(prologue(items), at: 0)
                }
                let results = try connection.executeBatch(statements)
                return prologue == nil ? results : Array(results.dropFirst())
            }
            let order = lockOrder.map { key in inputs.indices.sorted { key(inputs[$0]) < key(inputs[$1]) } }
                ?? Array(inputs.indices)
            let sorted = order.map { inputs[$0] }
            var sortedResults: [Result<Output, any Error>]
            do throws(PGError) {
                let written = try write(sorted)
                sortedResults = written.map { result in Result { try decode(result) } }
            } catch where sorted.count > 1 && !error.isConnectionError {
                sortedResults = sorted.map { input in
                    Result {
                        let results = try write([input])
                        guard let result = results.first else {
                            throw IngestStoreError(code: .internal, operation: "writing a batch")
                        }
                        return try decode(result)
                    }
                }
            } catch {
                sortedResults = inputs.map { _ in .failure(error) }
            }
            var results = [Result<Output, any Error>](
                repeating: .failure(IngestStoreError(code: .internal, operation: "writing a batch")), count: inputs.count
            )
            for (position, index) in order.enumerated() where position < sortedResults.count {
                results[index] = sortedResults[position]
            }
            return results
        }
    }
}
