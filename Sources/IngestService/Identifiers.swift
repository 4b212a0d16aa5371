/// Rules for the identifiers callers pass: they become parts of database keys and of log
/// metadata, so they are short, printable and unambiguous.
import RPCCore

enum Identifiers {
    /// A tenant id: 1-128 characters of A-Z a-z 0-9 . _ : -
    static func tenant(_ value: String) throws(ServiceError) -> String {
        guard Self.isValid(value, maxLength: 128, extra: "._:-") else {
            throw .invalidArgument("tenant_id must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':' or '-'")
        }
        return value
    }

    /// A ClickBank account nickname: 1-64 characters of A-Z a-z 0-9 . _ -, compared case-insensitively
    /// (ClickBank shows nicknames in lower case), so it is stored in lower case.
    static func account(_ value: String) throws(ServiceError) -> String {
        guard Self.isValid(value, maxLength: 64, extra: "._-") else {
            throw .invalidArgument("account must be the ClickBank account nickname: 1-64 characters of A-Z, a-z, 0-9, '.', '_' or '-'")
        }
        return value.lowercased()
    }

    private static func isValid(_ value: String, maxLength: Int, extra: String) -> Bool {
        let utf8 = value.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        let extraBytes = Set(extra.utf8)
        return utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || extraBytes.contains(byte)
        }
    }
}
