import ClickBank
import Testing

@Suite struct ClickBankTimeTests {
    /// 2024-03-05 14:03:27 Pacific (PST, -08:00) = 2024-03-05 22:03:27 UTC = 1709676207.
    @Test(arguments: [
        ("20240305T140327-0800", -480),
        ("2024-03-05T14:03:27-08:00", -480),
        ("2024-03-05T22:03:27Z", 0),
        ("20240305T220327Z", 0),
        ("2024-03-06T07:03:27+09:00", 540),
        ("2024-03-05T14:03:27-0800", -480),
        ("2024-03-05T16:33:27-05:30", -330),
    ])
    func sameInstantInEveryForm(text: String, offset: Int) throws {
        let time = try #require(ClickBankTime(iso8601: text))
        #expect(time.unixMilliseconds == 1_709_676_207_000)
        #expect(time.utcOffsetMinutes == offset)
        #expect(time.text == text)
    }

    @Test func fractionalSecondsAreKeptToTheMillisecond() throws {
        #expect(ClickBankTime(iso8601: "2024-03-05T22:03:27.5Z")?.unixMilliseconds == 1_709_676_207_500)
        #expect(ClickBankTime(iso8601: "2024-03-05T22:03:27.123456Z")?.unixMilliseconds == 1_709_676_207_123)
        #expect(ClickBankTime(iso8601: "20240305T220327.042Z")?.unixMilliseconds == 1_709_676_207_042)
    }

    @Test func calendarEdges() {
        #expect(ClickBankTime(iso8601: "1970-01-01T00:00:00Z")?.unixMilliseconds == 0)
        #expect(ClickBankTime(iso8601: "1969-12-31T23:59:59Z")?.unixMilliseconds == -1000)
        #expect(ClickBankTime(iso8601: "2024-02-29T00:00:00Z")?.unixMilliseconds == 1_709_164_800_000)
        #expect(ClickBankTime(iso8601: "2000-02-29T00:00:00Z")?.unixMilliseconds == 951_782_400_000)
        #expect(ClickBankTime(iso8601: "2038-01-19T03:14:08Z")?.unixMilliseconds == 2_147_483_648_000)
        // DST: 2024-07-01 12:00 PDT.
        #expect(ClickBankTime(iso8601: "20240701T120000-0700")?.unixMilliseconds == 1_719_860_400_000)
    }

    @Test(arguments: [
        "", "2024-03-05", "20240305T140327", "2024-03-05T14:03:27", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-00-10T00:00:00Z", "2024-03-05T24:00:00Z",
        "2024-03-05T14:60:00Z", "2024-03-05T14:03:60Z", "2024-03-05T140327-0800", "20240305T14:03:27-08:00",
        "2024-03-05 14:03:27Z", "2024-03-05T14:03:27-8:00", "2024-03-05T14:03:27-08:00x", "2024-03-05T14:03:27.Z",
        "2024-03-05T14:03:27+24:00", "2024-03-05T14:03:27-08:60", "2024-3-5T14:03:27Z", "１２３４-03-05T14:03:27Z",
    ])
    func malformedTextIsRejected(text: String) {
        #expect(ClickBankTime(iso8601: text) == nil)
    }

    @Test func legacyUnixSeconds() {
        let time = ClickBankTime(unixSecondsText: "1709676207")
        #expect(time?.unixMilliseconds == 1_709_676_207_000)
        #expect(time?.utcOffsetMinutes == 0)
        #expect(time?.text == "1709676207")
        #expect(ClickBankTime(unixSecondsText: "") == nil)
        #expect(ClickBankTime(unixSecondsText: "-5") == nil)
        #expect(ClickBankTime(unixSecondsText: "17096762O7") == nil)
        #expect(ClickBankTime(unixSecondsText: "99999999999999999999") == nil)
    }
}
