extension ClickBankNotification {
    /// Links an upsell's own receipt to the order it followed. Any field may be missing.
    public struct Upsell: Sendable, Hashable {
        /// The parent order's receipt.
        public var originalReceipt: String?
        /// Text even if ClickBank sent a number.
        public var flowId: String?
        public var session: String?
        public var path: String?

        public init(originalReceipt: String? = nil, flowId: String? = nil, session: String? = nil, path: String? = nil)
        {
            self.originalReceipt = originalReceipt
            self.flowId = flowId
            self.session = session
            self.path = path
        }

        var isEmpty: Bool {
            self.originalReceipt == nil && self.flowId == nil && self.session == nil && self.path == nil
        }
    }
}
