import ClickBankCSV
import Testing

@Suite struct CSVRecordParserTests {
    private func fields(_ records: [CSVRecord]) -> [[String]?] {
        records.map(\.fields)
    }

    @Test func plainAndQuotedFields() {
        let records = TestSupport.records("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"\"\n")
        #expect(self.fields(records) == [["a", "b", "c"], ["x, y", "say \"hi\"", ""]])
        #expect(records.map(\.line) == [1, 2])
        #expect(records.map(\.startOffset) == [0, 6])
        #expect(records.map(\.endOffset) == [6, 29])
        #expect(records.map(\.lineAfter) == [2, 3])
    }

    @Test func emptyFieldsAndTrailingComma() {
        #expect(self.fields(TestSupport.records(",a,,\n")) == [["", "a", "", ""]])
        #expect(self.fields(TestSupport.records("\"\"\n")) == [[""]])
    }

    @Test func lineBreaksInsideQuotesAreKeptAndCounted() {
        let records = TestSupport.records("h\r\n\"one\ntwo\r\nthree\rfour\"\r\nnext\r\n")
        #expect(self.fields(records) == [["h"], ["one\ntwo\r\nthree\rfour"], ["next"]])
        // The quoted field spans lines 2-5 (LF, CRLF and a lone CR are one line break each).
        #expect(records.map(\.line) == [1, 2, 6])
        #expect(records.map(\.lineAfter) == [2, 6, 7])
    }

    @Test func crlfLfAndLoneCrEndRecords() {
        let records = TestSupport.records("a\r\nb\nc\rd")
        #expect(self.fields(records) == [["a"], ["b"], ["c"], ["d"]])
        #expect(records.map(\.line) == [1, 2, 3, 4])
        #expect(records.map(\.endOffset) == [3, 5, 7, 8])
    }

    @Test func blankLinesAreSkippedButCounted() {
        let records = TestSupport.records("\n\r\na\n\n\r\rb\r\n\r\n")
        #expect(self.fields(records) == [["a"], ["b"]])
        #expect(records.map(\.line) == [3, 7])
        #expect(records.map(\.endOffset) == [5, 11])
    }

    @Test func lastRecordWithoutLineBreak() {
        let records = TestSupport.records("a,b\nc,\"d\"")
        #expect(self.fields(records) == [["a", "b"], ["c", "d"]])
        #expect(records.last?.endOffset == 9)
    }

    @Test func leadingBOMIsDroppedButCountedInOffsets() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("x,y\n".utf8)
        for split in 0...bytes.count {
            let records = TestSupport.records(bytes, chunks: [0..<split, split..<bytes.count])
            #expect(self.fields(records) == [["x", "y"]])
            #expect(records.first?.startOffset == 3)
            #expect(records.first?.endOffset == 7)
        }
        // A BOM later in the file is data, not dropped.
        let later = Array("a\n".utf8) + [0xEF, 0xBB, 0xBF] + Array("b\n".utf8)
        #expect(self.fields(TestSupport.records(later)) == [["a"], ["\u{FEFF}b"]])
    }

    @Test func bomPrefixThatIsNotABOM() {
        // 0xEF 0xBB then not 0xBF: invalid UTF-8, reported as such, never dropped.
        let bytes: [UInt8] = [0xEF, 0xBB, 0x41, 0x0A, 0x42, 0x0A]
        for split in 0...bytes.count {
            let records = TestSupport.records(bytes, chunks: [0..<split, split..<bytes.count])
            #expect(records.count == 2)
            #expect(records.first?.failure == CSVRecordError(code: .invalidUTF8, fieldIndex: 0))
            #expect(records.last?.fields == ["B"])
        }
        // A file shorter than a BOM.
        #expect(TestSupport.records([0xEF, 0xBB]).first?.failure?.code == .invalidUTF8)
        #expect(TestSupport.records([0xEF, 0xBB, 0xBF]).isEmpty)
        #expect(TestSupport.records([UInt8]()).isEmpty)
    }

    @Test func invalidUTF8MakesOnlyThatRecordAnError() {
        let bytes = Array("ok,1\n".utf8) + [0x61, 0x2C, 0xC3, 0x28, 0x0A] + Array("fine,2\n".utf8)
        let records = TestSupport.records(bytes)
        #expect(records.count == 3)
        #expect(records[0].fields == ["ok", "1"])
        #expect(records[1].failure == CSVRecordError(code: .invalidUTF8, fieldIndex: 1))
        #expect(records[1].line == 2)
        #expect(records[2].fields == ["fine", "2"])
        #expect(records[2].line == 3)
    }

    @Test func multiByteCharactersSurviveEverySplit() {
        let text = "名前,Zoë\n\"Łódź, PL\",東京 🎌\n"
        let bytes = Array(text.utf8)
        let whole = TestSupport.records(bytes)
        #expect(self.fields(whole) == [["名前", "Zoë"], ["Łódź, PL", "東京 🎌"]])
        for split in 0...bytes.count {
            #expect(TestSupport.records(bytes, chunks: [0..<split, split..<bytes.count]) == whole)
        }
    }

    @Test func unterminatedQuoteAtEndIsAnErrorRecordWithItsLine() {
        let records = TestSupport.records("a\nb,\"open\nstill open\n")
        #expect(records.count == 2)
        #expect(records[1].failure == CSVRecordError(code: .unterminatedQuote))
        #expect(records[1].line == 2)
        #expect(records[1].endOffset == 21)
    }

    @Test func leniencyOutsideRFC4180() {
        // A quote inside an unquoted field is text; text after a closing quote joins the field.
        #expect(self.fields(TestSupport.records("ab\"c,\"x\"y z\n")) == [["ab\"c", "xy z"]])
    }

    @Test func recordOverTheCapIsAnErrorAndParsingResumesAtTheNextRecord() {
        let long = String(repeating: "x", count: 50)
        // The oversized record has a quoted line break: skipping follows quotes, so it resumes after it.
        let text = "a,b\n\(long),\"q\n\(long)\"\nc,d\n"
        let records = TestSupport.records(text, maximumRecordBytes: 40)
        #expect(records.count == 3)
        #expect(records[0].fields == ["a", "b"])
        #expect(records[1].failure == CSVRecordError(code: .recordTooLarge, limit: 40))
        #expect(records[1].line == 2)
        #expect(records[2].fields == ["c", "d"])
        #expect(records[2].line == 4)
        // Exactly at the cap is fine; one byte over is not (line break excluded, quotes included).
        #expect(TestSupport.records("abcd\n", maximumRecordBytes: 4).first?.fields == ["abcd"])
        #expect(TestSupport.records("\"ab\"\n", maximumRecordBytes: 4).first?.fields == ["ab"])
        #expect(TestSupport.records("abcde\n", maximumRecordBytes: 4).first?.failure?.code == .recordTooLarge)
        #expect(TestSupport.records(",,,,\n", maximumRecordBytes: 4).first?.fields?.count == 5)
    }

    @Test func defaultCapIsOneMebibyte() {
        let field = String(repeating: "é", count: (1 << 20) / 2)  // exactly 1 MiB of UTF-8
        let records = TestSupport.records("\(field)\n\(field)e\nok\n")
        #expect(records.count == 3)
        #expect(records[0].fields?.first?.utf8.count == 1 << 20)
        #expect(records[1].failure?.code == .recordTooLarge)
        #expect(records[2].fields == ["ok"])
    }

    @Test func trickyInputGivesTheSameRecordsAtEverySplitAndByteByByte() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(
            "h1,h2\r\n\"a \"\"q\"\" , b\",\"multi\r\nline\"\r\n\r\nplain,é\rlast,\"x\"\"\"\r\n\"open\n".utf8
        )
        let whole = TestSupport.records(bytes)
        #expect(whole.count == 5)
        for split in 0...bytes.count {
            #expect(TestSupport.records(bytes, chunks: [0..<split, split..<bytes.count]) == whole)
        }
        let bytewise = (0..<bytes.count).map { $0..<($0 + 1) }
        #expect(TestSupport.records(bytes, chunks: bytewise) == whole)
        for first in 0...bytes.count {
            for second in first...bytes.count where (first + second) % 7 == 0 {
                let chunks = [0..<first, first..<second, second..<bytes.count]
                #expect(TestSupport.records(bytes, chunks: chunks) == whole)
            }
        }
    }

    @Test func resumingAtARecordBoundaryKeepsLinesAndOffsets() {
        let bytes = Array("h\n\"two\nlines\"\nthird\nfourth".utf8)
        let whole = TestSupport.records(bytes)
        for cut in whole.dropLast() {
            var parser = CSVRecordParser(resumingAtOffset: cut.endOffset, line: cut.lineAfter)
            var rest = parser.feed(bytes[Int(cut.endOffset)...])
            rest += parser.finish()
            #expect(rest == Array(whole.drop { $0.endOffset <= cut.endOffset }))
        }
    }

    @Test func returningFormMatchesTheCallbackForm() {
        var parser = CSVRecordParser()
        let fed = parser.feed(Array("a,b\nc".utf8))
        let finished = parser.finish()
        #expect(fed.map(\.fields) == [["a", "b"]])
        #expect(finished.map(\.fields) == [["c"]])
    }
}
