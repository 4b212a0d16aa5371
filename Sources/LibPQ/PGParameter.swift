/// A value bound to a `$n` placeholder.
///
/// Values always travel separately from the SQL text (`PQexecParams`/`PQexecPrepared`), so nothing a caller
/// passes here can change a statement's meaning. Text goes in PostgreSQL's text format and lets the server
/// infer the type from context (cast with `$1::int8` where the context doesn't say); bytes go in binary
/// format as `bytea`, so no escaping is ever involved.
public enum PGParameter: Sendable, Hashable {
    /// A value in PostgreSQL's text format (numbers, booleans, timestamps, text).
    case text(String)
    /// A `bytea` value sent in binary format.
    case bytes([UInt8])
    /// A `bytea[]` value (one-dimensional, no NULLs) sent in binary format, for statements that
    /// take a batch of rows as arrays (`$1::bytea[]`, `unnest`).
    case byteaArray([[UInt8]])
    /// SQL NULL.
    case null

    /// Any convertible value; `nil` becomes SQL NULL.
    public init(_ value: (some PGParameterConvertible)?) {
        if let value {
            self = value.pgParameter
        } else {
            self = .null
        }
    }
}

/// A Swift value that can be bound to a statement parameter.
public protocol PGParameterConvertible {
    /// The parameter this value binds as.
    var pgParameter: PGParameter { get }
}

extension PGParameter: PGParameterConvertible {
    public var pgParameter: PGParameter {
        self
    }
}

extension String: PGParameterConvertible {
    public var pgParameter: PGParameter {
        .text(self)
    }
}

extension Substring: PGParameterConvertible {
    public var pgParameter: PGParameter {
        .text(String(self))
    }
}

extension Int: PGParameterConvertible {
    public var pgParameter: PGParameter {
        .text(String(self))
    }
}

extension Int64: PGParameterConvertible {
    public var pgParameter: PGParameter {
        .text(String(self))
    }
}

extension Int32: PGParameterConvertible {
    public var pgParameter: PGParameter {
        .text(String(self))
    }
}

extension Double: PGParameterConvertible {
    public var pgParameter: PGParameter {
        .text(String(self))
    }
}

extension Bool: PGParameterConvertible {
    public var pgParameter: PGParameter {
        .text(self ? "true" : "false")
    }
}

extension Array: PGParameterConvertible where Element == UInt8 {
    public var pgParameter: PGParameter {
        .bytes(self)
    }
}

extension Optional: PGParameterConvertible where Wrapped: PGParameterConvertible {
    public var pgParameter: PGParameter {
        switch self {
        case .some(let value):
            value.pgParameter
        case .none:
            .null
        }
    }
}

extension PGParameter: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .text(value)
    }
}

extension PGParameter: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) {
        self = .text(String(value))
    }
}

extension PGParameter: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) {
        self = value.pgParameter
    }
}

extension PGParameter: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension PGParameter {
    /// A one-dimensional array in PostgreSQL's text format (`{"a","b",NULL}`), for statements that take
    /// a whole batch of rows as a few array parameters and `unnest` them (cast the placeholder:
    /// `$1::int8[]`). Each element is the element type's text form (`nil` is NULL); every element is
    /// quoted with its backslashes and double quotes escaped, so any text (commas, braces, quotes,
    /// the word NULL, the empty string) arrives exactly as given. (An unquoted NULL is SQL NULL under
    /// PostgreSQL's default `array_nulls = on`, which this relies on.)
    public static func array(_ elements: [String?]) -> PGParameter {
        var literal: [UInt8] = [UInt8(ascii: "{")]
        literal.reserveCapacity(elements.reduce(2) { $0 + ($1?.utf8.count ?? 4) + 3 })
        for (index, element) in elements.enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            guard let element else {
                literal.append(contentsOf: "NULL".utf8)
                continue
            }
            literal.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    literal.append(UInt8(ascii: "\\"))
                }
                literal.append(byte)
            }
            literal.append(UInt8(ascii: "\""))
        }
        literal.append(UInt8(ascii: "}"))
        return .text(String(decoding: literal, as: UTF8.self))
    }
}
