/// Why a byte string is not acceptable JSON, and where.
///
/// Carries a byte offset, never the offending text: the document may hold customer data.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        case invalidUTF8
        case unexpectedEnd
        case unexpectedByte
        case invalidNumber
        case invalidEscape
        /// A `\uD800`-`\uDFFF` escape that is not part of a high/low surrogate pair.
        case loneSurrogate
        /// A raw control character (below U+0020) inside a string; JSON requires it escaped.
        case controlCharacterInString
        /// The same key twice in one object: refused so that no two readers can disagree on a value.
        case duplicateKey
        /// Objects and arrays nested deeper than the parser's limit.
        case tooDeep
        /// Non-whitespace after the top-level value.
        case trailingData
    }

    public var reason: Reason
    /// Byte offset into the input where the problem was found.
    public var offset: Int

    public init(_ reason: Reason, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        "invalid JSON (\(self.reason)) at byte \(self.offset)"
    }
}
