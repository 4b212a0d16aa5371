import ArgumentParser
import Foundation
import IngestClient

struct SecretCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secret",
        abstract: "Manage tenants' ClickBank secret keys.",
        subcommands: [SetSecret.self]
    )

    struct SetSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Store or rotate the ClickBank secret key of one account.",
            discussion: """
                The key is read from standard input (one line), so it never shows in the process \
                list or shell history: `printf '%s' "$KEY" | cbingest secret set --tenant t1 --account acme`. \
                On a terminal you are prompted without echo. ClickBank shows the key under Vendor \
                Settings > My Site > Advanced Tools. A previous key keeps verifying notifications for \
                the grace period (default 72 h), so nothing signed with it is lost during the switch.
                """
        )

        @Option(help: "Your tenant id.")
        var tenant: String

        @Option(help: "The ClickBank account nickname.")
        var account: String

        @Option(help: "Hours the previous key stays valid (default: the server's, 72).")
        var graceHours: UInt32?

        @OptionGroup var client: ClientOptions

        func run() async throws {
            let key = try Self.readSecret()
            let client = try self.client.makeClient()
            defer { Task { await client.close() } }
            try await runClientCall {
                var request = StoreSecretRequest()
                request.tenantId = self.tenant
                request.account = self.account
                request.secretKey = key
                request.previousKeyGraceSeconds = (self.graceHours ?? 0) * 3600
                let response = try await client.storeSecret(request)
                for warning in response.warnings {
                    FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
                }
                var line = "stored secret key version \(response.keyVersion) for \(self.tenant)/\(self.account)"
                if response.previousKeyValidUntilMs > 0 {
                    line += "; the previous key stays valid until \(formatTime(milliseconds: response.previousKeyValidUntilMs))"
                }
                print(line)
            }
        }

        static func readSecret() throws -> String {
            let value: String?
            if isatty(STDIN_FILENO) != 0 {
                value = getpass("ClickBank secret key: ").map { String(cString: $0) }
            } else {
                value = readLine(strippingNewline: true)
            }
            guard let key = value?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty else {
                throw ValidationError("no secret key on standard input")
            }
            return key
        }
    }
}
