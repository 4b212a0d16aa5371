import Foundation
import IngestClient
import LibPQ
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// Files and database checks shared by the ImportCSV suites.
enum ImportSupport {
    static let sharedDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared")

    static func vector(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: self.sharedDirectory.appendingPathComponent("vectors/csv/\(name)")))
    }

    /// The counts `gen_clickbank_csv.py` prints to stderr.
    struct Generated {
        var bytes: [UInt8]
        var rows: Int
        var duplicates: Int
    }

    static func generate(rows: Int, seed: Int) async throws -> Generated {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("cbimport-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: output) }
        let generator = self.sharedDirectory.appendingPathComponent("tools/gen_clickbank_csv.py").path
        let result = try await runProgram("/usr/bin/env", ["python3", generator, String(rows), output.path, "--seed", String(seed)])
        let text = String(decoding: result.stderr, as: UTF8.self)
        func number(_ key: String) -> Int {
            guard let range = text.range(of: "\(key)=") else { return -1 }
            return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? -1
        }
        #expect(result.status == 0, "\(text)")
        return Generated(bytes: [UInt8](try Data(contentsOf: output)), rows: number("rows"), duplicates: number("duplicates"))
    }

    /// Counts of what the tenant has stored, to compare runs.
    struct Stored: Equatable, CustomStringConvertible {
        var events: Int
        var lines: Int
        var checksum: String

        var description: String { "events \(self.events), lines \(self.lines), checksum \(self.checksum)" }
    }

    static func stored(tenant: String) throws -> Stored {
        let connection = try ServiceTestDatabase.connect()
        let events = try connection.execute(
            """
            SELECT count(*), coalesce(sum(total_account_amount), 0)::text,
                md5(coalesce(string_agg(receipt || transaction_type || transaction_time_ms || coalesce(total_account_amount::text, '')
                    || coalesce(document::text, ''), ',' ORDER BY receipt, transaction_type, transaction_time_ms, role), ''))
            FROM events WHERE tenant_id = $1
            """,
            [.text(tenant)]
        )
        let lines = try connection.execute(
            """
            SELECT count(*), md5(coalesce(string_agg(e.receipt || l.item_no || l.account_amount::text
                    || coalesce(l.product_title, ''),
                ',' ORDER BY e.receipt, e.transaction_type, e.transaction_time_ms, e.role, l.item_no), ''))
            FROM event_lines l JOIN events e ON e.tenant_id = l.tenant_id AND e.id = l.event_id
            WHERE l.tenant_id = $1
            """,
            [.text(tenant)]
        )
        return Stored(
            events: events.int(row: 0, column: 0) ?? -1, lines: lines.int(row: 0, column: 0) ?? -1,
            checksum: "\(events[0, 1] ?? "")/\(events[0, 2] ?? "")/\(lines[0, 1] ?? "")"
        )
    }

    static func request(
        tenant: String, account: String, upload: String, file: String, offset: Int, data: ArraySlice<UInt8>,
        last: Bool
    ) -> ImportCSVRequest {
        ImportCSVRequest(
            uploadId: upload, tenantId: tenant, account: account, fileName: file, offset: UInt64(offset), data: Array(data),
            lastChunk: last
        )
    }
}

/// A TCP relay between a client and the service that can cut every connection through it, to
/// test resuming after a dropped connection.
final class DroppingRelay: Sendable {
    let channel: any Channel
    private let connections = Connections()

    private final class Connections: Sendable {
        let list = Mutex<[any Channel]>([])
    }

    var port: Int { self.channel.localAddress!.port! }

    init(targetPort: Int) async throws {
        let connections = self.connections
        self.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { inbound in
                inbound.setOption(.autoRead, value: false).flatMap {
                    ClientBootstrap(group: inbound.eventLoop)
                        .connect(host: "127.0.0.1", port: targetPort)
                }.flatMap { outbound in
                    connections.list.withLock { $0.append(contentsOf: [inbound, outbound]) }
                    return inbound.pipeline.addHandler(Glue(peer: outbound)).flatMap {
                        outbound.pipeline.addHandler(Glue(peer: inbound))
                    }.flatMap {
                        inbound.setOption(.autoRead, value: true)
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    /// Closes every connection relayed so far.
    func dropAll() {
        let open = self.connections.list.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for channel in open {
            channel.close(promise: nil)
        }
    }

    func close() async {
        self.dropAll()
        try? await self.channel.close()
    }

    private final class Glue: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let peer: any Channel

        init(peer: any Channel) {
            self.peer = peer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            self.peer.writeAndFlush(data, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            self.peer.close(promise: nil)
        }
    }
}
