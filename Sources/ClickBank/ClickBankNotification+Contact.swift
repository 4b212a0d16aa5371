extension ClickBankNotification {
    /// A billing or shipping contact. Every field is optional: affiliates get no name, e-mail or street.
    /// Customer data: never log it.
    public struct Contact: Sendable, Hashable {
        public var firstName: String?
        public var lastName: String?
        public var fullName: String?
        public var phoneNumber: String?
        public var email: String?
        public var address: Address?

        public init(
            firstName: String? = nil,
            lastName: String? = nil,
            fullName: String? = nil,
            phoneNumber: String? = nil,
            email: String? = nil,
            address: Address? = nil
        ) {
            self.firstName = firstName
            self.lastName = lastName
            self.fullName = fullName
            self.phoneNumber = phoneNumber
            self.email = email
            self.address = address
        }
    }
}
