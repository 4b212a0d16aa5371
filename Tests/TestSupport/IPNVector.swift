public import Foundation

/// One shared ClickBank notification test case (../shared/vectors/ipn): a request body as ClickBank
/// sends it, the secret key it verifies with, and the decrypted document of the positive 6.x/7.x
/// cases. Shared by the service tests and the integration suite (which runs against a server and
/// may find the vectors elsewhere: `CBINGEST_IT_VECTORS`).
public struct IPNVector: CustomStringConvertible, Sendable {
    public var file: String
    public var outcome: String
    public var secretKey: String
    public var contentType: String
    public var body: [UInt8]
    /// The decrypted document's top-level strings and numbers (numbers as text); nil for negative
    /// and legacy cases.
    public var plaintext: [String: String]?

    public var description: String { self.file }

    /// VENDOR or AFFILIATE (VENDOR when the document doesn't say).
    public var role: String { self.plaintext?["role"] ?? "VENDOR" }

    /// The ClickBank account the notification is addressed to.
    public var account: String {
        if self.role == "AFFILIATE", let affiliate = self.plaintext?["affiliate"] {
            return affiliate
        }
        return "synthvend"
    }

    public var isPositive: Bool { self.outcome == "ok" || self.outcome == "cverify_valid" }

    public static let directory: URL = {
        if let folder = ProcessInfo.processInfo.environment["CBINGEST_IT_VECTORS"], !folder.isEmpty {
            return URL(fileURLWithPath: folder)
        }
        // Tests/TestSupport/IPNVector.swift -> the repository's parent holds shared/.
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/vectors/ipn")
    }()

    /// Every case of the index, in its order (empty if the vectors can't be read).
    public static let all: [IPNVector] = {
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
    public static let vendor: [IPNVector] = Self.all.filter { $0.role != "AFFILIATE" }

    public static func named(_ name: String) throws -> IPNVector {
        guard let vector = Self.all.first(where: { $0.file == name + ".json" }) else {
            throw VectorMissing(name: name, directory: Self.directory.path)
        }
        return vector
    }

    public struct VectorMissing: Error, CustomStringConvertible {
        public var name: String
        public var directory: String
        public var description: String { "no vector \(self.name).json in \(self.directory) (set CBINGEST_IT_VECTORS)" }
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
        var plaintext: [String: String]?
        if let expected = vector["expected"] as? [String: Any], let text = expected["plaintext"] as? String,
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        {
            plaintext = object.compactMapValues { $0 as? String ?? ($0 as? NSNumber).map { "\($0)" } }
        }
        return IPNVector(file: file, outcome: outcome, secretKey: key, contentType: contentType, body: body, plaintext: plaintext)
    }

    /// application/x-www-form-urlencoded, every byte outside the unreserved set percent-encoded.
    public static func formEncode(_ fields: [String: String]) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return fields.sorted { $0.key < $1.key }.map { key, value in
            "\(key.addingPercentEncoding(withAllowedCharacters: unreserved)!)=\(value.addingPercentEncoding(withAllowedCharacters: unreserved)!)"
        }.joined(separator: "&")
    }
}
