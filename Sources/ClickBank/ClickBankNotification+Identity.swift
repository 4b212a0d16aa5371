extension ClickBankNotification {
    /// The account that received this notification when the caller does not know it: the affiliate for
    /// role AFFILIATE (when named), otherwise the vendor.
    public var receivingAccount: String {
        if self.role.uppercased() == "AFFILIATE", let affiliate = self.affiliate, !affiliate.isEmpty {
            return affiliate
        }
        return self.vendor
    }

    /// One identity per line item, in line order; one with itemNo "" if there are no line items.
    ///
    /// - Parameter account: the receiving ClickBank account as the endpoint knows it; defaults to
    ///   `receivingAccount`. Lower-cased either way.
    public func eventIdentities(account: String? = nil) -> [EventIdentity] {
        let owner = (account ?? self.receivingAccount).lowercased()
        let itemNumbers = self.lineItems.isEmpty ? [""] : self.lineItems.map(\.itemNo)
        return itemNumbers.map { itemNo in
            EventIdentity(
                account: owner,
                role: self.role,
                receipt: self.receipt,
                transactionType: self.transactionType,
                instantMilliseconds: self.transactionTime.unixMilliseconds,
                itemNo: itemNo
            )
        }
    }
}
