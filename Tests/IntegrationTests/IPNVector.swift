import Foundation

/// One shared ClickBank notification test case (../shared/vectors/ipn): a request body as ClickBank
/// sends it and the secret key it verifies with.
struct IPNVector: CustomStringConvertible, Sendable {
    var file: String
    var outcome: String
    var secretKey: String
    var contentType: String
    var body: [UInt8]
    var role: String

    var description: String { self.file }

    var isPositive: Bool { self.outcome == "ok" || self.outcome == "cverify_valid" }

    static let directory: URL = {
        if let folder = ProcessInfo.processInfo.environment["CBINGEST_IT_VECTORS"], !folder.isEmpty {
            return URL(fileURLWithPath: folder)
        }
        // Tests/IntegrationTests/IPNVector.swift -> the repository's parent holds shared/.
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/vectors/ipn")
    }()

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

    /// The cases addressed to the vendor account `synthvend` (the affiliate's view is another account).
    static let vendor: [IPNVector] = Self.all.filter { $0.role != "AFFILIATE" }

    static func named(_ name: String) throws -> IPNVector {
        guard let vector = Self.all.first(where: { $0.file == name + ".json" }) else {
            throw VectorMissing(name: name, directory: Self.directory.path)
        }
        return vector
    }

    struct VectorMissing: Error, CustomStringConvertible {
        var name: String
        var directory: String
        var description: String { "no vector \(self.name).json in \(self.directory) (set CBINGEST_IT_VECTORS)" }
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
        var role = "VENDOR"
        if let expected = vector["expected"] as? [String: Any], let text = expected["plaintext"] as? String,
            let document = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let value = document["role"] as? String
        {
            role = value
        }
        return IPNVector(file: file, outcome: outcome, secretKey: key, contentType: contentType, body: body, role: role)
    }

    /// application/x-www-form-urlencoded, every byte outside the unreserved set percent-encoded.
    static func formEncode(_ fields: [String: String]) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return fields.sorted { $0.key < $1.key }.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: unreserved)!)=\(value.addingPercentEncoding(withAllowedCharacters: unreserved)!)"
        }.joined(separator: "&")
    }
}
