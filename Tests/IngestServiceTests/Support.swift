import CryptoPrimitives
import Dispatch
import Foundation
import NIOCore
import IngestClient
import IngestService
import LibPQ
import Logging
import Synchronization
import Testing

/// The database the service tests use: `make test` starts one and sets PG_TEST_CONNINFO.
enum ServiceTestDatabase {
    static let conninfo: String? = ProcessInfo.processInfo.environment["PG_TEST_CONNINFO"].flatMap { $0.isEmpty ? nil : $0 }

    static func connect() throws -> PGConnection {
        try PGConnection(conninfo: conninfo!)
    }

    /// Ids unique to one test, so tests share the database and still run in parallel.
    static func uniqueTenant(_ prefix: String = "t") -> String {
        "\(prefix)-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))"
    }
}

extension Trait where Self == ConditionTrait {
    static var requiresDatabase: Self {
        .enabled(
            if: ServiceTestDatabase.conninfo != nil,
            "PG_TEST_CONNINFO is not set: run `make test`, which starts a throwaway PostgreSQL"
        )
    }
}

/// Keeps every log record, to show what does and doesn't reach the logs.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    var text: String { self.lines.withLock { $0.joined(separator: "\n") } }

    func makeLogger() -> Logger {
        var logger = Logger(label: "test") { _ in CapturingHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    struct CapturingHandler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
            self.capture.lines.withLock { $0.append("\(event.level) \(event.message) \(merged)") }
        }
    }
}

/// A real service (RPC server, store, migrations) on 127.0.0.1 with a free port, and a client.
struct RunningService {
    let application: IngestApplication
    let client: IngestClient
    let keyring: MasterKeyring
    let logs: LogCapture

    var port: Int { self.application.rpcAddress!.port! }

    static func start(_ configure: (inout IngestServiceConfiguration) -> Void = { _ in }) async throws -> RunningService {
        var configuration = IngestServiceConfiguration()
        configuration.rpc.port = 0
        configuration.databaseURL = ServiceTestDatabase.conninfo!
        configuration.databasePoolSize = 2
        configuration.publicBaseURL = "https://ingest.example.test"
        // Each test service has its own master key: a periodic sweep would trip over other tests' rows.
        configuration.recoverySweepInterval = nil
        configure(&configuration)
        let keyring = try MasterKeyring(parsing: "test:" + Crypto.lowercaseHex(Crypto.randomBytes(32)))
        let logs = LogCapture()
        let application = try await IngestApplication.start(configuration: configuration, keyring: keyring, logger: logs.makeLogger())
        var clientConfiguration = RPCClientConfiguration(host: "127.0.0.1", port: application.rpcAddress!.port!)
        clientConfiguration.authToken = configuration.rpc.authToken
        let client = IngestClient(configuration: clientConfiguration)
        return RunningService(application: application, client: client, keyring: keyring, logs: logs)
    }

    func stop() async {
        await self.client.close()
        await self.application.shutdown()
    }
}

/// Runs the test body against a fresh service and always stops it.
func withService(
    _ configure: (inout IngestServiceConfiguration) -> Void = { _ in },
    _ body: (RunningService) async throws -> Void
) async throws {
    let service = try await RunningService.start(configure)
    do {
        try await body(service)
    } catch {
        await service.stop()
        throw error
    }
    await service.stop()
}

/// Runs a program to completion on a Dispatch thread: a blocking wait on the two cooperative
/// threads would starve the in-process servers the program talks to.
func runProgram(_ path: String, _ arguments: [String], captureOutput: Bool = true) async throws -> (status: Int32, stdout: Data, stderr: Data) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = captureOutput ? out : FileHandle.nullDevice
            process.standardError = captureOutput ? err : FileHandle.nullDevice
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            let stdout = captureOutput ? out.fileHandleForReading.readDataToEndOfFile() : Data()
            let stderr = captureOutput ? err.fileHandleForReading.readDataToEndOfFile() : Data()
            process.waitUntilExit()
            continuation.resume(returning: (process.terminationStatus, stdout, stderr))
        }
    }
}
