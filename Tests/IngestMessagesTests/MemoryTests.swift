import IngestMessages
import Testing

#if canImport(Glibc)
import Glibc

/// Resident set size in bytes: the second number in /proc/self/statm, in pages.
private func residentBytes() -> Int {
    let fd = open("/proc/self/statm", O_RDONLY)
    guard fd >= 0 else {
        return 0
    }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
    guard count > 0 else {
        return 0
    }
    let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
    guard fields.count > 1, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else {
        return 0
    }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

@Suite("Memory")
struct MemoryTests {
    /// Every encode allocates strings, nested structs and pointer arrays, and every decode is freed by protobuf-c:
    /// a leak of even a few bytes per call shows up as tens of MiB here.
    @Test func encodeAndDecodeManyTimesWithoutGrowing() throws {
        let response = Samples.verifyIPNResponse
        let bytes = response.serializedBytes()
        func churn(_ rounds: Int) throws {
            for _ in 0..<rounds {
                #expect(response.serializedBytes().count == bytes.count)
                _ = try VerifyIPNResponse(serializedBytes: bytes)
                _ = try? VerifyIPNResponse(serializedBytes: Array(bytes.dropLast(3)))
                _ = HealthCheckResponse(status: .serving).serializedBytes()
                _ = try HealthCheckRequest(serializedBytes: [0x0A, 0x02, 0x64, 0x62])
            }
        }
        try churn(10_000)
        let before = residentBytes()
        try churn(100_000)
        let grown = residentBytes() - before
        #expect(grown < 16 << 20, "RSS grew by \(grown) bytes over 100k encode/decode rounds")
    }
}
#endif
