/// One vendor pass-through variable (`vendorVariables` in 6.x/7.x, `cvendthru` in legacy posts).
public struct VendorVariable: Sendable, Hashable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }
}
