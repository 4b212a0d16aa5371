import Foundation

enum GatewayClock {
    /// Wall-clock time in Unix milliseconds: when a notification arrived.
    static func unixMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
