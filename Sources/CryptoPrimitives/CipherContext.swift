internal import COpenSSL

/// Scoped ownership of one `EVP_CIPHER_CTX`.
///
/// The context is created, handed to `body`, and freed when `body` returns, so no pointer to it can
/// outlive the operation. A context is never shared between calls, which keeps every operation
/// thread-safe without locks.
enum CipherContext {
    static func with<Result>(_ body: (OpaquePointer) -> Result) -> Result {
        guard let context = EVP_CIPHER_CTX_new() else {
            // Only allocation failure makes this return NULL; there is nothing sensible to do.
            fatalError("EVP_CIPHER_CTX_new failed (out of memory)")
        }
        defer { EVP_CIPHER_CTX_free(context) }
        return body(context)
    }
}
