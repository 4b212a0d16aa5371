import Foundation

/// One file of `../shared/vectors/ipn/` (test-only model; read with Foundation's JSONDecoder so the
/// test does not depend on the parser under test to load its own expectations).
struct IPNVector: Decodable, Sendable {
    struct Request: Decodable, Sendable {
        var content_type: String
        var raw_body: String?
        var fields: [String: String]?
    }

    struct Expected: Decodable, Sendable {
        var outcome: String?
        var plaintext: String?
        var cverify_valid: Bool?
        var cverify: String?
    }

    struct Summary: Decodable, Sendable {
        var receipt: String
        var transactionType: String
        var role: String
        var version: String
        var transactionTime: String
        var totalAccountAmount: String
        var lineItems: [[String]]
        var attemptCount: Int
    }

    var name: String
    var secret_key_to_decrypt_with: String?
    var secret_key: String?
    var request: Request
    var expected: Expected
    var summary: Summary?

    var secretKey: String {
        self.secret_key_to_decrypt_with ?? self.secret_key ?? ""
    }

    /// The HTTP body: the raw JSON body, or the form fields URL-encoded.
    var body: [UInt8] {
        if let raw = self.request.raw_body { return Array(raw.utf8) }
        let fields = (self.request.fields ?? [:]).sorted { $0.key < $1.key }
        return Array(fields.map { "\(formEncode($0.key))=\(formEncode($0.value))" }.joined(separator: "&").utf8)
    }

    struct Entry: Decodable, Sendable {
        var file: String
        var outcome: String
    }

    /// `<repo root>/../shared/vectors/ipn`, found from this file's path.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // ClickBankTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .deletingLastPathComponent()
        .appendingPathComponent("shared/vectors/ipn")

    static let index: [Entry] = {
        guard let data = try? Data(contentsOf: Self.directory.appendingPathComponent("index.json")),
            let entries = try? JSONDecoder().decode([Entry].self, from: data)
        else { return [] }
        return entries
    }()

    static func load(_ file: String) throws -> IPNVector {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(file))
        return try JSONDecoder().decode(IPNVector.self, from: data)
    }

    static func files(outcome: (String) -> Bool) -> [String] {
        self.index.filter { outcome($0.outcome) }.map(\.file)
    }
}

/// application/x-www-form-urlencoded encoding of one name or value (UTF-8, unreserved bytes kept).
func formEncode(_ text: String) -> String {
    var output = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            output.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = String(byte, radix: 16, uppercase: true)
            output += "%" + (hex.count == 1 ? "0" + hex : hex)
        }
    }
    return output
}
