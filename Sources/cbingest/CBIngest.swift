import ArgumentParser

@main
struct CBIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cbingest",
        abstract: "Brings a merchant's ClickBank sales into the analytics database.",
        discussion: """
            Run the service with `cbingest serve`; the other commands are clients of a running \
            service (default 127.0.0.1:7600, or --server / CBINGEST_SERVER).

            Exit codes: 0 success; 1 the call failed; 2 the server rejected the input \
            (INVALID_ARGUMENT, FAILED_PRECONDITION); 3 not found; 4 authentication failed; \
            5 the server or database is unavailable or the deadline passed (retry later); \
            64 wrong command-line usage.
            """,
        subcommands: [
            ServeCommand.self,
            SecretCommand.self,
            WebhookURLCommand.self,
            VerifyIPNCommand.self,
            GatewayCommand.self,
            HealthCommand.self,
            ImportCommand.self,
        ]
    )
}
