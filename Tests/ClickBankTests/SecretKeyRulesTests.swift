import ClickBank
import Testing

@Suite struct SecretKeyRulesTests {
    @Test(arguments: ["A", "SYNTHKEY0000TEST", "0123456789ABCDEF"])
    func usualKeysPassWithoutWarnings(key: String) throws {
        #expect(try SecretKeyRules.validate(key).isEmpty)
    }

    @Test func longKeysWarn() throws {
        let warnings = try SecretKeyRules.validate("0123456789ABCDEF0123456789ABCDEF")
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("32 characters") == true)
        #expect(warnings.first?.contains("0123456789ABCDEF") == false)
    }

    @Test(arguments: [
        ("", SecretKeyError.Reason.empty),
        (String(repeating: "A", count: 33), .tooLong(length: 33)),
        ("synthkey0000test", .lowercaseLetters),
        ("SYNTHKEY0000TEsT", .lowercaseLetters),
        ("SYNTHKEY0000TEST\n", .invalidCharacters),
        (" SYNTHKEY", .invalidCharacters),
        ("SYNTH-KEY", .invalidCharacters),
        ("SYNTHKÉY", .invalidCharacters),
    ])
    func badKeysAreRejectedWithAFix(key: String, reason: SecretKeyError.Reason) {
        let error = #expect(throws: SecretKeyError.self) { try SecretKeyRules.validate(key) }
        #expect(error?.reason == reason)
        #expect(error?.message.hasPrefix("secret key must be 1-32 characters A-Z or 0-9") == true)
        if key.count >= 4 {
            #expect(error?.message.contains(key.trimmingCharacters()) == false)
        }
    }
}

extension String {
    fileprivate func trimmingCharacters() -> String {
        String(self.filter { !$0.isWhitespace })
    }
}
