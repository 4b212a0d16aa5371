/// Settings of a CSV import; every one has a default that fits ClickBank's exports.
public struct CSVImportConfiguration: Sendable, Hashable {
    /// The zone of the export's wall-clock times. ClickBank reports in Pacific time.
    public var timeZoneIdentifier: String
    /// The longest record accepted, in bytes; a longer one is rejected and skipped.
    public var maximumRecordBytes: Int
    /// How many rejections are kept with their line and reason; the rest are only counted.
    public var maximumListedRejections: Int

    public init(
        timeZoneIdentifier: String = "America/Los_Angeles",
        maximumRecordBytes: Int = CSVRecordParser.defaultMaximumRecordBytes,
        maximumListedRejections: Int = 100
    ) {
        self.timeZoneIdentifier = timeZoneIdentifier
        self.maximumRecordBytes = maximumRecordBytes
        self.maximumListedRejections = maximumListedRejections
    }
}
