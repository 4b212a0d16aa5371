import CryptoPrimitives
import Foundation
import RPCCore

/// The operator's master keys, which encrypt ClickBank secrets and webhook tokens at rest
/// (AES-256-GCM). The first key seals new data; every key opens data sealed under its id, so keys
/// rotate by putting a new key first and keeping the old ones until `cbingest` has re-sealed or the
/// data has been replaced.
///
/// Text form (environment variable or file): one key per line or comma-separated, each either
/// `HEX64` or `ID:HEX64`; `#` starts a comment. Without an explicit id a key's id is derived from
/// its SHA-256, so the same key always gets the same id.
public struct MasterKeyring: Sendable {
    public struct Key: Sendable {
        public let id: String
        let bytes: [UInt8]
    }

    public let keys: [Key]

    public var current: Key { self.keys[0] }

    public init(parsing text: String) throws(ServiceError) {
        var keys: [Key] = []
        let entries = text.split(whereSeparator: { $0 == "\n" || $0 == "," })
        for rawEntry in entries {
            let entry = rawEntry.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if entry.isEmpty { continue }
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            let hex = parts.count == 2 ? parts[1] : parts[0]
            guard let bytes = Self.decodeHex(hex), bytes.count == 32 else {
                throw .invalidArgument("a master key must be 64 hexadecimal characters (32 bytes), optionally prefixed by 'ID:'")
            }
            let id = parts.count == 2 ? parts[0] : "k" + String(Crypto.lowercaseHex(Crypto.sha256(bytes)).prefix(12))
            guard !id.isEmpty, !keys.contains(where: { $0.id == id }) else {
                throw .invalidArgument("master key ids must be unique and non-empty")
            }
            keys.append(Key(id: id, bytes: bytes))
        }
        guard !keys.isEmpty else {
            throw .invalidArgument("no master key given: set CBINGEST_MASTER_KEY or CBINGEST_MASTER_KEY_FILE")
        }
        self.keys = keys
    }

    /// Reads keys from a file, refusing one that other users can read.
    public init(file path: String) throws(ServiceError) {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let attributes, let contents = FileManager.default.contents(atPath: path) else {
            throw .invalidArgument("cannot read the master key file \(path)")
        }
        if let permissions = attributes[.posixPermissions] as? NSNumber, permissions.intValue & 0o077 != 0 {
            throw .invalidArgument("the master key file \(path) must not be readable by group or others (chmod 600)")
        }
        try self.init(parsing: String(decoding: contents, as: UTF8.self))
    }

    /// Encrypts `plaintext`, binding it to `context` (for example the tenant and account it belongs
    /// to) so a sealed value copied to another row fails to open.
    public func seal(_ plaintext: [UInt8], context: String) -> (keyID: String, sealed: [UInt8]) {
        let key = self.current
        return (key.id, Crypto.aes256GCMSeal(key: key.bytes, plaintext: plaintext, associatedData: Array(context.utf8)))
    }

    public func open(_ sealed: [UInt8], keyID: String, context: String) throws(ServiceError) -> [UInt8] {
        guard let key = self.keys.first(where: { $0.id == keyID }) else {
            throw ServiceError(.failedPrecondition, "data is sealed under master key '\(keyID)', which is not configured")
        }
        do {
            return try Crypto.aes256GCMOpen(key: key.bytes, sealed: sealed, associatedData: Array(context.utf8))
        } catch {
            throw ServiceError(.dataLoss, "stored data failed its integrity check (master key '\(keyID)')")
        }
    }

    static func decodeHex(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
