extension ClickBankNotification {
    /// A postal address as ClickBank sends it; all fields optional.
    public struct Address: Sendable, Hashable {
        public var address1: String?
        public var address2: String?
        public var city: String?
        public var county: String?
        public var state: String?
        public var postalCode: String?
        public var country: String?

        public init(
            address1: String? = nil,
            address2: String? = nil,
            city: String? = nil,
            county: String? = nil,
            state: String? = nil,
            postalCode: String? = nil,
            country: String? = nil
        ) {
            self.address1 = address1
            self.address2 = address2
            self.city = city
            self.county = county
            self.state = state
            self.postalCode = postalCode
            self.country = country
        }
    }
}
