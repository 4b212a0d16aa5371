import ArgumentParser
import IngestClient

struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check that the service (and with --database, its database) is serving."
    )

    @Flag(help: "Also check the database.")
    var database = false

    @OptionGroup var client: ClientOptions

    func run() async throws {
        let client = try self.client.makeClient()
        defer { Task { await client.close() } }
        try await runClientCall {
            let response = try await client.check(service: self.database ? "database" : "")
            let serving = response.status == .serving
            print(serving ? "SERVING" : "NOT_SERVING")
            if !serving { throw ExitCode(5) }
        }
    }
}
