import ClickBank
import Testing

@Suite struct TransactionKindTests {
    /// `name` is what the `kind` columns hold; it used to be written as `"\(kind)"`, and stored rows
    /// must not change.
    @Test(arguments: TransactionKind.allCases)
    func nameIsTheCaseName(kind: TransactionKind) {
        #expect(kind.name == "\(kind)")
    }
}
