/// Where an interrupted import can go on: a record boundary, the physical line that starts there, and the
/// header, which a resumed stream needs but will not see again. Store it beside the committed bytes.
public struct CSVResumePoint: Sendable, Hashable {
    public var offset: Int64
    public var line: Int
    public var header: [String]

    public init(offset: Int64, line: Int, header: [String]) {
        self.offset = offset
        self.line = line
        self.header = header
    }
}
