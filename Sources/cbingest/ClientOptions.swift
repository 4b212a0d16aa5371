import ArgumentParser
import Foundation
import IngestClient

/// Options shared by every client command.
struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The service's RPC address HOST:PORT (env CBINGEST_SERVER).", valueName: "host:port"))
    var server: String = ProcessInfo.processInfo.environment["CBINGEST_SERVER"] ?? "127.0.0.1:7600"

    @Option(help: ArgumentHelp(
        "File holding the shared auth token, when the server requires one (env CBINGEST_AUTH_TOKEN or CBINGEST_AUTH_TOKEN_FILE).",
        valueName: "path"
    ))
    var authTokenFile: String?

    @Option(help: "Seconds to wait for each call.")
    var timeout: Int = 30

    func makeClient() throws -> IngestClient {
        try Self.makeClient(server: self.server, timeoutSeconds: self.timeout, authTokenFile: self.authTokenFile, name: "cbingest-cli")
    }

    static func makeClient(server: String, timeoutSeconds: Int, authTokenFile: String?, name: String) throws -> IngestClient {
        IngestClient(
            configuration: try Self.clientConfiguration(
                server: server, timeoutSeconds: timeoutSeconds, authTokenFile: authTokenFile, name: name
            )
        )
    }

    static func clientConfiguration(
        server: String, timeoutSeconds: Int, authTokenFile: String?, name: String
    ) throws -> RPCClientConfiguration {
        let parts = server.split(separator: ":")
        guard parts.count >= 2, let port = Int(parts.last!), (1...65535).contains(port) else {
            throw ValidationError("the server address must be HOST:PORT, for example 127.0.0.1:7600")
        }
        var configuration = RPCClientConfiguration(host: parts.dropLast().joined(separator: ":"), port: port)
        configuration.defaultCallTimeout = .seconds(timeoutSeconds)
        configuration.clientName = name
        configuration.authToken = try Self.authToken(file: authTokenFile)
        return configuration
    }

    static func authToken(file: String?) throws -> String? {
        let environment = ProcessInfo.processInfo.environment
        if let path = file ?? environment["CBINGEST_AUTH_TOKEN_FILE"] {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read the auth token file \(path)")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return environment["CBINGEST_AUTH_TOKEN"]
    }
}

/// Runs one client call, turning failures into a one-line message and a script-friendly exit code.
func runClientCall(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as RPCError {
        FileHandle.standardError.write(Data("cbingest: \(error.code.name): \(error.message)\n".utf8))
        throw ExitCode(exitCode(for: error.code))
    }
}

func exitCode(for code: RPCStatusCode) -> Int32 {
    switch code {
    case .invalidArgument, .failedPrecondition, .outOfRange, .alreadyExists: 2
    case .notFound: 3
    case .unauthenticated, .permissionDenied: 4
    case .unavailable, .deadlineExceeded, .resourceExhausted, .aborted: 5
    default: 1
    }
}

func printJSON(_ object: [String: Any]) {
    if let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
        print(String(decoding: data, as: UTF8.self))
    }
}

func formatTime(milliseconds: Int64) -> String {
    guard milliseconds > 0 else { return "never" }
    let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    return date.formatted(.iso8601)
}
