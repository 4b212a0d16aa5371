import CryptoPrimitives

/// Verifies and normalises ClickBank Instant Notifications of every version.
///
/// Pure and synchronous: no I/O, no shared state, safe to call from any thread.
public enum IPNVerifier {
    /// Verifies one notification body and returns it normalised.
    ///
    /// The format is detected from the body, not trusted from the Content-Type: a body whose first
    /// non-blank byte is `{` is a 6.x/7.x `{"notification","iv"}` document (decrypted per the spec, then
    /// checked as strict UTF-8, strict JSON and the schema); otherwise a form post
    /// (`application/x-www-form-urlencoded`, or any body containing `cverify=`) is checked with `cverify`.
    /// When `expectedVendor` is given, the notification's vendor must match it (case-insensitively).
    /// The caller caps the body size before calling (the HTTP layer collects it up to a limit).
    ///
    /// - Parameters:
    ///   - body: the raw HTTP request body.
    ///   - contentType: the request's Content-Type header, if any (only used to recognise form posts).
    ///   - secretKey: the account's ClickBank secret key, exactly as configured there (case-sensitive).
    ///   - expectedVendor: the vendor account this endpoint serves, if known.
    public static func verify(
        body: [UInt8],
        contentType: String?,
        secretKey: String,
        expectedVendor: String? = nil
    ) throws(IPNFailure) -> ClickBankNotification {
        let notification: ClickBankNotification
        if self.looksLikeJSON(body) {
            notification = try self.verifyEncrypted(body: body, secretKey: secretKey)
        } else if self.isFormPost(body: body, contentType: contentType) {
            notification = try self.verifyLegacy(body: body, secretKey: secretKey)
        } else {
            throw .malformedBody(
                body.isEmpty ? "the body is empty" : "expected a JSON object or a form post with cverify")
        }
        if let expectedVendor, notification.vendor.lowercased() != expectedVendor.lowercased() {
            throw .vendorMismatch(expected: expectedVendor, got: notification.vendor)
        }
        return notification
    }

    /// The AES-256 key ClickBank derives from a secret key: the first 32 characters of the lower-case hex
    /// SHA-1 of its UTF-8, used as 32 ASCII bytes (not hex-decoded).
    public static func decryptionKey(secretKey: String) -> [UInt8] {
        Array(Crypto.lowercaseHex(Crypto.sha1(Array(secretKey.utf8))).utf8.prefix(32))
    }

    /// Builds a 6.x/7.x body the way ClickBank does, for tests and benchmarks: AES-256-CBC with the
    /// derived key and an IV of 16 upper-case hex characters, as `{"notification":"...","iv":"..."}`.
    public static func encryptedBody(plaintext: String, secretKey: String) -> [UInt8] {
        let iv = Array(Crypto.lowercaseHex(Crypto.randomBytes(8)).uppercased().utf8)
        let ciphertext = Crypto.aes256CBCEncrypt(
            key: self.decryptionKey(secretKey: secretKey), iv: iv, plaintext: Array(plaintext.utf8)
        )
        let document = JSONValue.object([
            JSONMember(key: "notification", value: .string(Base64.encode(ciphertext))),
            JSONMember(key: "iv", value: .string(Base64.encode(iv))),
        ])
        return Array(document.jsonText.utf8)
    }

    // MARK: - 6.x / 7.x

    private static func verifyEncrypted(body: [UInt8], secretKey: String) throws(IPNFailure) -> ClickBankNotification {
        let envelope: JSONValue
        do {
            envelope = try JSONValue.parse(body)
        } catch {
            throw .malformedBody("the body starts like JSON but is not valid JSON (\(error))")
        }
        // A body starting with "{" that parses is always an object, so the lookups below are enough.
        let encodedCiphertext = try self.envelopeString(envelope, "notification")
        let encodedIV = try self.envelopeString(envelope, "iv")
        guard let iv = Base64.decode(encodedIV), let ciphertext = Base64.decode(encodedCiphertext) else {
            throw .badBase64
        }
        guard iv.count == 16 else { throw .badIVLength }

        let plaintext: [UInt8]
        do {
            plaintext = try Crypto.aes256CBCDecrypt(
                key: self.decryptionKey(secretKey: secretKey), iv: iv, ciphertext: ciphertext
            )
        } catch {
            switch error.reason {
            case .badIVLength: throw .badIVLength
            case .badCiphertextLength: throw .badCiphertextLength
            case .badPadding: throw .badPadding
            case .badKeyLength, .authenticationFailed, .openSSL:
                // Unreachable with a derived 32-byte key; reported rather than hidden if OpenSSL breaks.
                throw .malformedBody("decryption failed: \(error)")
            }
        }
        guard let text = String(validating: plaintext, as: UTF8.self) else { throw .notUTF8 }
        let document: JSONValue
        do {
            document = try JSONValue.parse(plaintext)
        } catch {
            throw .notJSON
        }
        return try ClickBankNotification(document: document, documentJSON: text)
    }

    private static func envelopeString(_ envelope: JSONValue, _ key: String) throws(IPNFailure) -> String {
        guard let value = envelope[key] else { throw .malformedBody("the JSON body has no \"\(key)\"") }
        guard let text = value.stringValue else {
            throw .malformedBody("\"\(key)\" must be a string, got \(value.typeName)")
        }
        return text
    }

    // MARK: - Legacy

    private static func verifyLegacy(body: [UInt8], secretKey: String) throws(IPNFailure) -> ClickBankNotification {
        guard let fields = FormField.parse(body) else {
            throw .malformedBody("the form body has a bad %-escape or field name")
        }
        var seen: Set<String> = []
        for field in fields where !seen.insert(field.name).inserted {
            // Two values for one name would make the signed and the used value ambiguous.
            throw .malformedBody("the form repeats the field \(self.printable(field.name))")
        }
        guard let provided = fields.first(where: { $0.name == "cverify" }) else {
            throw .malformedBody("the form post has no cverify field")
        }
        guard LegacyCverify.isValid(fields: fields, provided: provided.value, secretKey: secretKey) else {
            throw .badCverify
        }
        return try ClickBankNotification(legacyFields: fields)
    }

    /// A sender-chosen name made safe for a log line: printable ASCII only, at most 40 characters.
    private static func printable(_ name: String) -> String {
        let safe = name.unicodeScalars.filter { $0.value >= 0x21 && $0.value <= 0x7E }.prefix(40)
        return String(String.UnicodeScalarView(safe))
    }

    // MARK: - Format detection

    private static func looksLikeJSON(_ body: [UInt8]) -> Bool {
        body.first { !(0x20 == $0 || 0x09 == $0 || 0x0A == $0 || 0x0D == $0) } == UInt8(ascii: "{")
    }

    private static func isFormPost(body: [UInt8], contentType: String?) -> Bool {
        if let contentType {
            let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
            let trimmed = mediaType.filter { $0 != " " && $0 != "\t" }.lowercased()
            if trimmed == "application/x-www-form-urlencoded" { return true }
        }
        let marker = Array("cverify=".utf8)
        guard body.count >= marker.count else { return false }
        return (0...(body.count - marker.count)).contains { body[$0..<($0 + marker.count)].elementsEqual(marker) }
    }
}
