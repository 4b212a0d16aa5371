internal import CLibPQ

/// Feeds rows to a `COPY … FROM STDIN` in progress; handed to the producer of `PGConnection.copyIn`.
///
/// Buffers data and sends it in chunks with `PQputCopyData`. Only valid inside the producer closure: after the
/// COPY ends every call throws `.misuse`.
public final class PGCopyWriter {
    private let connection: PGConnection
    private var buffer: [UInt8] = []
    private var isOpen = true
    /// The number of rows written with `write(row:)`.
    public private(set) var rowsWritten = 0
    /// Chunk size: large enough to amortise calls, small enough to keep memory flat.
    private static let flushThreshold = 64 * 1024

    init(connection: PGConnection) {
        self.connection = connection
        self.buffer.reserveCapacity(Self.flushThreshold + 1024)
    }

    /// Writes one row in COPY's text format (tab-separated, `\N` for NULL), escaping backslash, tab, newline
    /// and carriage return so no value can end a field or row early.
    public func write(row: [String?]) throws(PGError) {
        try self.requireOpen()
        for (index, value) in row.enumerated() {
            if index > 0 {
                self.buffer.append(UInt8(ascii: "\t"))
            }
            guard let value else {
                self.buffer.append(UInt8(ascii: "\\"))
                self.buffer.append(UInt8(ascii: "N"))
                continue
            }
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "\\"):
                    self.buffer.append(UInt8(ascii: "\\"))
                    self.buffer.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "\t"):
                    self.buffer.append(UInt8(ascii: "\\"))
                    self.buffer.append(UInt8(ascii: "t"))
                case UInt8(ascii: "\n"):
                    self.buffer.append(UInt8(ascii: "\\"))
                    self.buffer.append(UInt8(ascii: "n"))
                case UInt8(ascii: "\r"):
                    self.buffer.append(UInt8(ascii: "\\"))
                    self.buffer.append(UInt8(ascii: "r"))
                case 0:
                    throw PGError(
                        kind: .invalidParameter,
                        operation: "writing a COPY row",
                        serverMessage: "text values cannot contain NUL characters"
                    )
                default:
                    self.buffer.append(byte)
                }
            }
        }
        self.buffer.append(UInt8(ascii: "\n"))
        self.rowsWritten += 1
        if self.buffer.count >= Self.flushThreshold {
            try self.flush()
        }
    }

    /// Encodes bytes as a `bytea` value for `write(row:)` (hex format, `\x…`).
    public static func byteaText(_ bytes: [UInt8]) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(2 + bytes.count * 2)
        text.append(UInt8(ascii: "\\"))
        text.append(UInt8(ascii: "x"))
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Writes raw COPY data as is (already in the format the COPY statement names).
    public func write(raw bytes: [UInt8]) throws(PGError) {
        try self.requireOpen()
        self.buffer.append(contentsOf: bytes)
        if self.buffer.count >= Self.flushThreshold {
            try self.flush()
        }
    }

    /// Sends buffered data to the server.
    func flush() throws(PGError) {
        guard !self.buffer.isEmpty else {
            return
        }
        let handle = try self.connection.requireHandle(operation: "sending COPY data")
        let status = self.buffer.withUnsafeBytes { bytes in
            PQputCopyData(handle, bytes.baseAddress!.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        }
        self.buffer.removeAll(keepingCapacity: true)
        guard status == 1 else {
            throw self.connection.connectionError(handle, operation: "sending COPY data")
        }
    }

    func close() {
        self.isOpen = false
        self.buffer = []
    }

    private func requireOpen() throws(PGError) {
        guard self.isOpen else {
            throw PGError(kind: .misuse, operation: "writing COPY data", serverMessage: "the COPY has ended")
        }
    }
}
