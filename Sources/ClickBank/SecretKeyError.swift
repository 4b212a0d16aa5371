/// Why a configured ClickBank secret key is unusable. The message says how to fix it and never
/// contains the key, not even in part.
public struct SecretKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        case empty
        case tooLong(length: Int)
        /// Lower-case letters: ClickBank keys are upper-case and used case-sensitively.
        case lowercaseLetters
        /// Spaces, line breaks, punctuation or non-ASCII characters.
        case invalidCharacters
    }

    public var reason: Reason

    public init(_ reason: Reason) {
        self.reason = reason
    }

    public var message: String {
        let rule = "secret key must be 1-\(SecretKeyRules.maximumLength) characters A-Z or 0-9"
        switch self.reason {
        case .empty:
            return "\(rule); it is empty: copy it from ClickBank (Vendor Settings > My Site > Advanced Tools)"
        case .tooLong(let length):
            return "\(rule); it has \(length) characters: copy exactly the key shown in ClickBank"
        case .lowercaseLetters:
            return
                "\(rule); it has lower-case letters: ClickBank keys are upper-case and case-sensitive, copy it exactly"
        case .invalidCharacters:
            return "\(rule); it has other characters (spaces, line breaks or punctuation?): copy only the key itself"
        }
    }

    public var description: String { self.message }
}
