/// Typed, path-aware access to one JSON object during schema validation.
///
/// Policy: a required field must be present, non-null and of the right type. An optional field may be
/// absent or null; if present it must still have the right type, because CBC tampering can turn a
/// value into something else and a wrong type is never a legitimate ClickBank payload. Error messages
/// name the JSON path and the expected type only, never the value (it may be customer data).
struct JSONObjectReader {
    let members: [JSONMember]
    let path: String

    init(_ value: JSONValue, path: String) throws(IPNFailure) {
        guard let members = value.objectMembers else {
            throw .schema("\(path.isEmpty ? "document" : path) must be an object, got \(value.typeName)")
        }
        self.members = members
        self.path = path
    }

    func location(_ key: String) -> String {
        self.path.isEmpty ? key : "\(self.path).\(key)"
    }

    /// The value of `key`, or nil when absent or null.
    func value(_ key: String) -> JSONValue? {
        guard let value = self.members.first(where: { $0.key == key })?.value else { return nil }
        if case .null = value { return nil }
        return value
    }

    func requiredString(_ key: String) throws(IPNFailure) -> String {
        guard let value = self.value(key) else { throw .schema("\(self.location(key)) is required") }
        guard let text = value.stringValue else {
            throw .schema("\(self.location(key)) must be a string, got \(value.typeName)")
        }
        guard !text.isEmpty else { throw .schema("\(self.location(key)) must not be empty") }
        return text
    }

    /// A required value that may be a string or a number (kept as its text), e.g. `version`, `itemNo`.
    func requiredText(_ key: String) throws(IPNFailure) -> String {
        guard let text = try self.text(key) else { throw .schema("\(self.location(key)) is required") }
        return text
    }

    /// A string, or a number as its original text; nil when absent or null.
    func text(_ key: String) throws(IPNFailure) -> String? {
        guard let value = self.value(key) else { return nil }
        switch value {
        case .string(let text), .number(let text): return text
        default: throw .schema("\(self.location(key)) must be a string, got \(value.typeName)")
        }
    }

    func bool(_ key: String) throws(IPNFailure) -> Bool? {
        guard let value = self.value(key) else { return nil }
        guard case .bool(let flag) = value else {
            throw .schema("\(self.location(key)) must be a boolean, got \(value.typeName)")
        }
        return flag
    }

    /// A money amount: a JSON number (or numeric string) in plain decimal notation, taken exactly.
    func amount(_ key: String) throws(IPNFailure) -> ExactDecimal? {
        guard let value = self.value(key) else { return nil }
        switch value {
        case .number(let text), .string(let text):
            guard let amount = ExactDecimal(parsing: text) else {
                throw .schema("\(self.location(key)) must be a plain decimal amount (no exponent, at most 18 decimals)")
            }
            return amount
        default:
            throw .schema("\(self.location(key)) must be a number, got \(value.typeName)")
        }
    }

    /// A whole number (JSON number without fraction or exponent).
    func integer(_ key: String) throws(IPNFailure) -> Int? {
        guard let value = self.value(key) else { return nil }
        guard case .number(let text) = value, let number = Int(text) else {
            throw .schema("\(self.location(key)) must be a whole number, got \(value.typeName)")
        }
        return number
    }

    func object(_ key: String) throws(IPNFailure) -> JSONObjectReader? {
        guard let value = self.value(key) else { return nil }
        return try JSONObjectReader(value, path: self.location(key))
    }

    func array(_ key: String) throws(IPNFailure) -> [JSONValue]? {
        guard let value = self.value(key) else { return nil }
        guard let elements = value.arrayElements else {
            throw .schema("\(self.location(key)) must be an array, got \(value.typeName)")
        }
        return elements
    }
}
