import ArgumentParser
import Foundation
import IngestClient
import Synchronization

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import ClickBank Transactions CSV exports (Reporting > Transactions > Export).",
        discussion: """
            The files are streamed in chunks; the service stores each chunk as it arrives and skips rows it \
            already has (from earlier imports or from webhook notifications). A dropped connection is \
            resumed automatically; to resume after this command itself was stopped, run it again with the \
            same --upload-id (printed at the start).
            """
    )

    @Option(help: "Your tenant id.")
    var tenant: String

    @Option(help: "The ClickBank account nickname that exported the files.")
    var account: String

    @Option(help: "IANA time zone of the export's dates (default: America/Los_Angeles, ClickBank's).")
    var timeZone: String = ""

    @Option(help: "Resume (or name) an upload; default: a new UUID.")
    var uploadId: String?

    @Option(help: "Chunk size in KiB.")
    var chunkKib: Int = 1024

    @Flag(help: "Print the summary as JSON.")
    var json = false

    @Argument(help: "The CSV files.", completion: .file(extensions: ["csv"]))
    var files: [String]

    @OptionGroup var client: ClientOptions

    func validate() throws {
        guard !self.files.isEmpty else { throw ValidationError("name at least one CSV file") }
        guard (1...3072).contains(self.chunkKib) else { throw ValidationError("--chunk-kib must be 1-3072") }
    }

    func run() async throws {
        let sources: [IngestClient.CSVImportFile]
        do {
            var seen = Set<String>()
            sources = try self.files.map { path in
                let file = try IngestClient.CSVImportFile.path(path)
                guard seen.insert(file.name).inserted else {
                    throw ValidationError("two files are named \(file.name): the server tells files apart by name")
                }
                return file
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            FileHandle.standardError.write(Data("cbingest: cannot read \(error.localizedDescription)\n".utf8))
            throw ExitCode(64)
        }
        let client = try self.client.makeClient()
        defer { Task { await client.close() } }
        var options = IngestClient.CSVImportOptions()
        if let uploadId { options.uploadID = uploadId }
        options.timeZone = self.timeZone
        options.chunkSize = self.chunkKib * 1024
        let display = ProgressDisplay(interactive: isatty(STDERR_FILENO) == 1 && !self.json)
        if !self.json {
            display.line("upload \(options.uploadID): \(sources.count) file\(sources.count == 1 ? "" : "s"), \(formatBytes(sources.reduce(0) { $0 + $1.size }))")
        }
        try await runClientCall {
            let summary: ImportCSVResponse
            do {
                summary = try await client.importCSV(
                    tenantID: self.tenant, account: self.account, files: sources, options: options
                ) { progress in
                    display.update(progress)
                }
            } catch {
                display.finish()
                throw error
            }
            display.finish()
            if self.json {
                Self.printJSONSummary(summary)
            } else {
                Self.printSummary(summary)
            }
        }
    }

    static func printSummary(_ summary: ImportCSVResponse) {
        print("imported \(summary.files.count) file\(summary.files.count == 1 ? "" : "s"): \(formatCount(summary.rowsRead)) rows read")
        let lines: [(String, UInt64)] = [
            ("inserted", summary.inserted),
            ("duplicates in this import", summary.duplicatesInImport),
            ("already present (earlier import)", summary.alreadyPresent),
            ("already present (webhook)", summary.alreadyFromWebhook),
            ("rejected", summary.rejected),
        ]
        for (label, value) in lines {
            print("  \(label.padding(toLength: 34, withPad: " ", startingAt: 0)) \(formatCount(value))")
        }
        if summary.files.count > 1 {
            for file in summary.files {
                print("  \(file.fileName): \(file.complete ? "complete" : "incomplete"), \(formatCount(file.rowsRead)) rows, "
                    + "\(formatCount(file.inserted)) inserted, \(formatCount(file.rejected)) rejected")
            }
        }
        if !summary.rejections.isEmpty {
            print("rejected rows:")
            for row in summary.rejections.prefix(20) {
                print("  \(row.fileName) line \(row.line): \(row.reason)")
            }
            let more = UInt64(max(0, summary.rejections.count - 20)) + summary.rejectionsNotListed
            if more > 0 { print("  ... and \(formatCount(more)) more") }
        }
    }

    static func printJSONSummary(_ summary: ImportCSVResponse) {
        printJSON([
            "upload_id": summary.uploadId,
            "rows_read": summary.rowsRead,
            "inserted": summary.inserted,
            "duplicates_in_import": summary.duplicatesInImport,
            "already_present": summary.alreadyPresent,
            "already_from_webhook": summary.alreadyFromWebhook,
            "rejected": summary.rejected,
            "rejections_not_listed": summary.rejectionsNotListed,
            "files": summary.files.map { file in
                [
                    "file_name": file.fileName, "committed_offset": file.committedOffset, "complete": file.complete,
                    "rows_read": file.rowsRead, "inserted": file.inserted, "duplicates_in_import": file.duplicatesInImport,
                    "already_present": file.alreadyPresent, "already_from_webhook": file.alreadyFromWebhook,
                    "rejected": file.rejected,
                ] as [String: Any]
            },
            "rejections": summary.rejections.map { ["file_name": $0.fileName, "line": $0.line, "reason": $0.reason] as [String: Any] },
        ])
    }
}

/// A progress bar on a terminal (redrawn in place at most 10 times a second), else a plain line
/// every 10% or 10 s.
final class ProgressDisplay: Sendable {
    private struct State {
        var started = ContinuousClock.now
        var lastDraw: ContinuousClock.Instant?
        var lastPlainPercent = -1
        var drawn = false
    }

    let interactive: Bool
    private let state = Mutex(State())

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func line(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    func update(_ progress: IngestClient.CSVImportProgress) {
        let now = ContinuousClock.now
        let text: String? = self.state.withLock { state in
            let elapsed = seconds(now - state.started)
            let fraction = progress.totalBytes > 0 ? Double(progress.bytesCommitted) / Double(progress.totalBytes) : 1
            let percent = Int(fraction * 100)
            if self.interactive {
                if let last = state.lastDraw, now - last < .milliseconds(100), fraction < 1 { return nil }
                state.lastDraw = now
                state.drawn = true
            } else {
                let due = state.lastDraw.map { now - $0 >= .seconds(10) } ?? false
                guard percent / 10 != state.lastPlainPercent / 10 || due else { return nil }
                state.lastPlainPercent = percent
                state.lastDraw = now
            }
            let rows = Double(progress.reply.rowsRead)
            let rate = elapsed > 0 ? rows / elapsed : 0
            let bytesRate = elapsed > 0 ? Double(progress.bytesCommitted) / elapsed : 0
            let remaining = bytesRate > 0 ? Double(progress.totalBytes - progress.bytesCommitted) / bytesRate : 0
            let status = "\(formatBytes(progress.bytesCommitted))/\(formatBytes(progress.totalBytes)) "
                + "\(formatCount(progress.reply.rowsRead)) rows \(formatCount(UInt64(rate))) rows/s "
                + "ETA \(formatDuration(remaining))"
                + (progress.resumes > 0 ? " (resumed \(progress.resumes)x)" : "")
            if self.interactive {
                let width = 30
                let filled = min(width, Int(fraction * Double(width)))
                let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                return "\r[\(bar)] \(String(format: "%3d", percent))% \(status)\u{1B}[K"
            }
            return "\(String(format: "%3d", percent))% \(status)\n"
        }
        if let text {
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    func finish() {
        let drawn = self.state.withLock { $0.drawn }
        if self.interactive && drawn {
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func formatBytes(_ bytes: Int64) -> String {
    String(format: "%.1f MB", Double(bytes) / 1_000_000)
}

func formatCount(_ value: UInt64) -> String {
    let digits = String(value)
    var result = ""
    for (index, character) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return result
}

func formatDuration(_ seconds: Double) -> String {
    let total = Int(seconds.rounded())
    return total >= 3600
        ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
        : String(format: "%d:%02d", total / 60, total % 60)
}
