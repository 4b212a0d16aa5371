extension JSONValue {
    /// Nesting limit used when none is given. ClickBank documents nest four levels; 64 leaves room for
    /// unknown additions while keeping recursion (and a hostile document's cost) bounded.
    public static let defaultMaximumDepth = 64

    /// Parses one JSON document strictly (see `JSONParser`).
    public static func parse(_ bytes: [UInt8], maximumDepth: Int = Self.defaultMaximumDepth) throws(JSONParseError)
        -> JSONValue
    {
        var parser = JSONParser(bytes: bytes, maximumDepth: maximumDepth)
        return try parser.parseDocument()
    }

    /// Parses the UTF-8 of `text`.
    public static func parse(_ text: String, maximumDepth: Int = Self.defaultMaximumDepth) throws(JSONParseError)
        -> JSONValue
    {
        try self.parse(Array(text.utf8), maximumDepth: maximumDepth)
    }
}
