import ArgumentParser
import Foundation

/// Writes prepared gateway request bodies to a file, one per line, for an external load generator
/// (`make bench` drives wrk with them: an independent, standard HTTP client, and its encryption is
/// done before the clock starts).
struct GatewayBodiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway-bodies",
        abstract: "Write encrypted v7 notification bodies (distinct receipts plus redeliveries), one per line."
    )

    @Option var secretKey: String = "SYNTHKEY0000TEST"
    @Option(help: "Decrypted v7 notification document to vary (its receipt and transaction time are replaced).") var template: String
    @Option(help: "How many bodies to write.") var count: Int
    @Option(help: "Share of bodies that redeliver an earlier one.") var redeliveryShare: Double = 0.1
    @Option(help: "Receipt prefix; keep receipts of separate runs distinct.") var prefix: String
    @Option(help: "File to write.") var output: String

    func run() async throws {
        let document = try String(contentsOfFile: self.template, encoding: .utf8)
        let bodies = try BodySource(
            document: document, secretKey: self.secretKey,
            prefix: self.prefix, redeliveryShare: self.redeliveryShare
        )
        var out: [UInt8] = []
        out.reserveCapacity(self.count * 2_400)
        for _ in 0..<self.count {
            // A ClickBank v7 body is a single-line JSON object, so a newline separates bodies.
            out += bodies.next()
            out.append(UInt8(ascii: "\n"))
        }
        guard FileManager.default.createFile(atPath: self.output, contents: Data(out)) else {
            throw ValidationError("cannot write \(self.output)")
        }
    }
}
