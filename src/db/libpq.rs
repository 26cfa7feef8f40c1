//! libpq and process exit. libpq uses OpenSSL (for TLS, and for SCRAM's random numbers even
//! without TLS), and OpenSSL frees its state in an `atexit` handler by default. A thread
//! that is still connecting or reading when the process exits then touches freed state and
//! the process dies with SIGSEGV instead of its exit code (seen in CI at the end of the
//! PostgreSQL test run, and reproduced: 9 of 40 short programs connecting on 8 threads
//! crashed at exit, 0 of 40 after this call). Asking OpenSSL, before libpq first starts it,
//! not to register that handler avoids the crash; the OS reclaims the memory at exit anyway.

use std::ffi::{c_int, c_void};
use std::sync::Once;

/// `OPENSSL_INIT_NO_ATEXIT` from OpenSSL's `crypto.h` (1.1.1b and later).
const OPENSSL_INIT_NO_ATEXIT: u64 = 0x0008_0000;

/// Keeps OpenSSL's exit-time cleanup from running under live libpq threads. Call before the
/// first PostgreSQL connection; later calls do nothing. Without an OpenSSL in the process
/// (a libpq built without it) there is nothing to do.
pub fn no_openssl_cleanup_at_exit() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Looked up rather than linked: libcrypto is in the process only through libpq.
        // SAFETY: dlsym with a NUL-terminated name; the symbol, when present, is OpenSSL's
        // `int OPENSSL_init_crypto(uint64_t opts, const OPENSSL_INIT_SETTINGS *settings)`,
        // which accepts a null `settings`.
        unsafe {
            let sym = libc::dlsym(libc::RTLD_DEFAULT, c"OPENSSL_init_crypto".as_ptr());
            if !sym.is_null() {
                let init: extern "C" fn(u64, *const c_void) -> c_int = std::mem::transmute(sym);
                init(OPENSSL_INIT_NO_ATEXIT, std::ptr::null());
            }
        }
    });
}
