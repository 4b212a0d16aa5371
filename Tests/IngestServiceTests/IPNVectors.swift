import Foundation
import Testing

/// The shared ClickBank notification test cases (../shared/vectors/ipn), as a request body and the
/// secret key to verify it with.
struct IPNVector: CustomTestStringConvertible, Sendable {
    var file: String
    var outcome: String
    var secretKey: String
    var contentType: String
    var body: [UInt8]
    /// The decrypted document (positive cases of 6.x/7.x).
    var plaintext: [String: any Sendable]?

    var testDescription: String { self.file }

    /// The ClickBank account the notification is addressed to.
    var account: String {
        if let plaintext, (plaintext["role"] as? String) == "AFFILIATE", let affiliate = plaintext["affiliate"] as? String {
            return affiliate
        }
        return "synthvend"
    }

    var isPositive: Bool { self.outcome == "ok" || self.outcome == "cverify_valid" }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/vectors/ipn")

    static let all: [IPNVector] = {
        guard
            let data = try? Data(contentsOf: Self.directory.appendingPathComponent("index.json")),
            let index = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return [] }
        return index.compactMap { entry in
            guard let file = entry["file"] as? String, let outcome = entry["outcome"] as? String else { return nil }
            return Self.load(file: file, outcome: outcome)
        }
    }()

    static func named(_ name: String) -> IPNVector {
        Self.all.first { $0.file == name + ".json" }!
    }

    private static func load(file: String, outcome: String) -> IPNVector? {
        guard
            let data = try? Data(contentsOf: Self.directory.appendingPathComponent(file)),
            let vector = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let request = vector["request"] as? [String: Any]
        else { return nil }
        let key = (vector["secret_key_to_decrypt_with"] ?? vector["secret_key"]) as? String ?? ""
        let contentType = request["content_type"] as? String ?? ""
        let body: [UInt8]
        if let raw = request["raw_body"] as? String {
            body = Array(raw.utf8)
        } else if let fields = request["fields"] as? [String: String] {
            body = Array(Self.formEncode(fields).utf8)
        } else {
            return nil
        }
        var plaintext: [String: any Sendable]?
        if let expected = vector["expected"] as? [String: Any], let text = expected["plaintext"] as? String,
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        {
            plaintext = object.compactMapValues { $0 as? String ?? ($0 as? NSNumber).map { "\($0)" } }
        }
        return IPNVector(file: file, outcome: outcome, secretKey: key, contentType: contentType, body: body, plaintext: plaintext)
    }

    /// application/x-www-form-urlencoded, every byte outside the unreserved set percent-encoded.
    static func formEncode(_ fields: [String: String]) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return fields.sorted { $0.key < $1.key }.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: unreserved)!)=\(value.addingPercentEncoding(withAllowedCharacters: unreserved)!)"
        }.joined(separator: "&")
    }
}
