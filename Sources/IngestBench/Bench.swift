import ArgumentParser
import Foundation
import IngestMessages
import NIOCore
import RPCCore

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cbingest-bench",
        abstract: "Load generator for `make bench` (scripts/bench.sh runs it).",
        subcommands: [EchoCommand.self, RPCLoadCommand.self, GatewayLoadCommand.self, GatewayBodiesCommand.self]
    )
}

struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "echo-server", abstract: "Run the bare frame-echo reference server.")

    @Option var port: Int = 7700

    func run() async throws {
        let channel = try await EchoServer.start(host: "127.0.0.1", port: self.port)
        print("echo server on 127.0.0.1:\(channel.localAddress?.port ?? 0)")
        try await channel.closeFuture.get()
    }
}

struct RPCLoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "Closed-loop RPC load (stock framing); prints one markdown table row per caller count."
    )

    @Option var port: Int
    @Option(help: "check | webhook-url | echo") var call: String
    @Option var tenant: String = "bench"
    @Option var account: String = "benchacct"
    @Option(parsing: .upToNextOption) var callers: [Int] = [1, 16, 64]
    @Option var seconds: Double = 5
    @Option(help: "PID whose RSS is reported") var serverPid: Int32?
    @Option var label: String = ""

    func run() async throws {
        let (method, body): (UInt32, [UInt8])
        switch self.call {
        case "check":
            (method, body) = (IngestMethod.check.rawValue, HealthCheckRequest().serializedBytes())
        case "webhook-url":
            (method, body) = (IngestMethod.getWebhookURL.rawValue, GetWebhookURLRequest(tenantId: self.tenant, account: self.account).serializedBytes())
        case "echo":
            (method, body) = (IngestMethod.check.rawValue, HealthCheckRequest().serializedBytes())
        default:
            throw ValidationError("--call must be check, webhook-url or echo")
        }
        for callers in self.callers {
            let result = try await ClosedLoopLoad.run(
                host: "127.0.0.1", port: self.port, methodIndex: method, body: body, callers: callers,
                seconds: self.seconds, checkError: self.call != "echo"
            )
            let rss = self.serverPid.map { ProcessStats.rssMegabytes(pid: $0) } ?? 0
            print(String(
                format: "| %@ | %d | %.0f | %.2f | %.2f | %.1f | %d |",
                self.label.isEmpty ? self.call : self.label, callers, result.callsPerSecond,
                result.percentile(0.50), result.percentile(0.99), rss, result.failures
            ))
        }
    }
}

enum ProcessStats {
    /// Resident set size of a process in MB (from /proc).
    static func rssMegabytes(pid: Int32) -> Double {
        Self.statusField(pid: pid, "VmRSS:") / 1024
    }

    static func peakRSSMegabytes(pid: Int32) -> Double {
        Self.statusField(pid: pid, "VmHWM:") / 1024
    }

    private static func statusField(pid: Int32, _ name: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            return Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}
