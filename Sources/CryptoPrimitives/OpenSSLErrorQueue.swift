internal import COpenSSL

/// Reads and clears OpenSSL's per-thread error queue.
///
/// Every failure path drains the queue so a stale error never shows up in an unrelated later call
/// on the same thread.
enum OpenSSLErrorQueue {
    /// The oldest queued error as OpenSSL's text ("error:0308010C:..."), then clears the queue.
    static func drain() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "no OpenSSL error queued" }
        var buffer = [CChar](repeating: 0, count: 256)
        let text = buffer.withUnsafeMutableBufferPointer { pointer -> String in
            ERR_error_string_n(code, pointer.baseAddress, pointer.count)
            return String(cString: pointer.baseAddress!)
        }
        return text
    }

    /// A `CryptoError.openSSL` carrying what OpenSSL reported for `operation`.
    static func error(_ operation: String) -> CryptoError {
        CryptoError(.openSSL, context: "\(operation): \(self.drain())")
    }
}
