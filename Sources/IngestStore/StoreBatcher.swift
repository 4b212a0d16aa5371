import LibPQ
import Synchronization

/// Group commit for small writes that many callers make at once (a webhook delivery each): calls
/// that arrive while a batch is being written wait and go together in the next one, written by one
/// pool job in one transaction (usually one statement over arrays), so they share its round trip,
/// its commit and its disk flush. Alone, a call is written at once, as it would be without batching.
///
/// One batch is written at a time, and up to `maxWriters` while calls pile up (so that under load
/// the work of one overlaps the disk flush of another). Each batch is its own pool job: a writer
/// hands its connection back after every batch and queues again behind the pool's other work while
/// calls are waiting, so batching never keeps the pool from the service's other calls. Nothing is
/// held only here: every call waits until its batch is committed (or failed) before it returns. At
/// most `maxWaiting` calls wait; more are refused at once (`.poolExhausted`), as the pool refuses
/// jobs.
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
    /// Another writer starts (up to `maxWriters`) only while more calls than this wait. Batches
    /// written one at a time are bigger and cost the database less per call (two writers all the
    /// time cost 13-21% more CPU per notification at 16 gateway connections), but a single writer
    /// leaves calls waiting through each batch's disk flush. Against one writer until 64 calls
    /// wait, this rule gave the gateway more notifications/s at 16 connections in four of five A/B
    /// pairs (5-14% more; 9% less in the fifth) and 8-13% more at 64 (two pairs) on the two-core
    /// machine.
    private let backlogForAnotherWriter = 4

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
                // One writer at a time unless calls pile up (see `backlogForAnotherWriter`).
                guard state.writers == 0 || (state.writers < self.maxWriters && state.waiting.count > self.backlogForAnotherWriter) else {
                    return .wait
                }
                state.writers += 1
                return .startWriter
            }
            switch next {
            case .wait:
                break
            case .startWriter:
                self.pool.submit { connection in self.writeBatch(connection) }
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

    /// One writer's pool job: takes a batch, writes it, hands each call its result, and queues the
    /// next job if calls are waiting. It runs on the pool thread from start to end and resumes the
    /// callers from there, so a batch costs no thread hand-off but the callers' own.
    private func writeBatch(_ connection: Result<PGConnection, any Error>) {
        let batch: [Waiting] = self.state.withLock { state in
            let count = min(self.maxBatch, state.waiting.count)
            let batch = Array(state.waiting.prefix(count))
            state.waiting.removeFirst(count)
            return batch
        }
        if !batch.isEmpty {
            let inputs = batch.map(\.input)
            let results: [Result<Output, any Error>]
            switch connection {
            case .success(let connection):
                results = self.write(connection, inputs)
            case .failure(let error):
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
        let more = self.state.withLock { state in
            // Counted and emptied under the same lock as `submit` appends: a call that arrives after
            // this starts a writer of its own. An extra writer (started for a backlog) stops once the
            // backlog is gone.
            guard !state.waiting.isEmpty, state.writers == 1 || state.waiting.count > self.backlogForAnotherWriter else {
                state.writers -= 1
                return false
            }
            return true
        }
        if more {
            // Its own pool job, behind the pool's other work, so batching never keeps the pool from
            // the service's other calls.
            self.pool.submit { connection in self.writeBatch(connection) }
        }
    }
}

extension StoreBatcher {
    /// A `Write` from a function that writes a whole batch in one transaction: should that fail for
    /// anything but a lost connection, each input is written again in a transaction of its own, so
    /// that one bad input fails alone. (A lost connection fails the whole batch: its outcome is
    /// unknown, and writing it again could store it twice.)
    static func eachAloneOnFailure(
        _ writeAll: @escaping @Sendable (PGConnection, [Input]) throws(PGError) -> [Result<Output, any Error>]
    ) -> Write {
        { connection, inputs in
            do throws(PGError) {
                return try writeAll(connection, inputs)
            } catch where inputs.count > 1 && !error.isConnectionError {
                return inputs.map { input in
                    Result {
                        guard let result = try writeAll(connection, [input]).first else {
                            throw IngestStoreError(code: .internal, operation: "writing a batch")
                        }
                        return try result.get()
                    }
                }
            } catch {
                return inputs.map { _ in .failure(error) }
            }
        }
    }
}
