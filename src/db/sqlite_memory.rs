//! The embedded SQLite's memory: which allocator it uses, and what it holds.
//!
//! SQLite allocates its page caches, schemas and statements with the C allocator by
//! default. glibc gives each thread that allocates its own arena and returns freed memory
//! to the system only from the top of each, so connections moving between the pool's
//! threads leave freed pages scattered over up to 8 arenas per core: in a 15-minute soak
//! those arenas grew by 10 MB while SQLite itself held under 8 MB (BENCHMARKS.md, "Soak").
//! [`use_process_allocator`] hands SQLite the allocator the rest of the process uses
//! (mimalloc), which returns freed pages to the system: the server does so as it starts.
//! One-shot commands (`digest run`, imports) keep the C allocator: they end before arenas
//! drift, and a `digest run` of 100,000 digests peaked at 35–36 MB on it against 42–46 MB
//! on mimalloc, at the same speed (BENCHMARKS.md, "Soak").

use std::ffi::{c_int, c_void};
use std::sync::Once;

use libmimalloc_sys as mi;
use libsqlite3_sys as ffi;

/// Makes SQLite allocate with mimalloc. Must run before SQLite starts (before the first
/// connection opens); later calls do nothing. Where SQLite has already started (another
/// part of the process opened a database first), it keeps its own allocator.
pub fn use_process_allocator() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let methods = ffi::sqlite3_mem_methods {
            xMalloc: Some(x_malloc),
            xFree: Some(x_free),
            xRealloc: Some(x_realloc),
            xSize: Some(x_size),
            xRoundup: Some(x_roundup),
            xInit: Some(x_init),
            xShutdown: Some(x_shutdown),
            pAppData: std::ptr::null_mut(),
        };
        // SAFETY: SQLITE_CONFIG_MALLOC takes a pointer to a `sqlite3_mem_methods`, which
        // SQLite copies before returning. It answers SQLITE_MISUSE, changing nothing, once
        // SQLite has started.
        let rc = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &methods) };
        if rc != ffi::SQLITE_OK {
            tracing::debug!(rc, "SQLite had started: it keeps the C allocator");
        }
    });
}

// The methods SQLite calls. Sizes are non-negative `int`s; SQLite checks its own limits
// before calling, and never asks for the size of a null pointer.

unsafe extern "C" fn x_malloc(n: c_int) -> *mut c_void {
    // SAFETY: mimalloc's malloc, 16-byte aligned (SQLite needs 8).
    unsafe { mi::mi_malloc(n.max(0) as usize) }
}

unsafe extern "C" fn x_free(p: *mut c_void) {
    // SAFETY: `p` came from `x_malloc` or `x_realloc`.
    unsafe { mi::mi_free(p) }
}

unsafe extern "C" fn x_realloc(p: *mut c_void, n: c_int) -> *mut c_void {
    // SAFETY: as `x_free`.
    unsafe { mi::mi_realloc(p, n.max(0) as usize) }
}

unsafe extern "C" fn x_size(p: *mut c_void) -> c_int {
    // SAFETY: as `x_free`; the usable size is at least what was asked for.
    let n = unsafe { mi::mi_usable_size(p) };
    c_int::try_from(n).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn x_roundup(n: c_int) -> c_int {
    // SAFETY: a pure function of the size.
    let n = unsafe { mi::mi_good_size(n.max(0) as usize) };
    c_int::try_from(n).unwrap_or(c_int::MAX)
}

unsafe extern "C" fn x_init(_: *mut c_void) -> c_int {
    ffi::SQLITE_OK
}

unsafe extern "C" fn x_shutdown(_: *mut c_void) {}

/// Whether SQLite allocates from mimalloc: a block it hands out lies in mimalloc's memory.
pub fn on_process_allocator() -> bool {
    // SAFETY: a block from SQLite's allocator, looked at by address only, then given back.
    unsafe {
        let p = ffi::sqlite3_malloc(64);
        let ours = !p.is_null() && mi::mi_is_in_heap_region(p);
        ffi::sqlite3_free(p);
        ours
    }
}

/// Bytes SQLite has allocated and not freed, now (0 on PostgreSQL).
pub fn used() -> u64 {
    // SAFETY: `sqlite3_memory_used` takes no arguments, is thread-safe and may be called
    // before SQLite is initialised (it then answers 0).
    let n = unsafe { ffi::sqlite3_memory_used() };
    u64::try_from(n).unwrap_or(0)
}

/// The most SQLite has held at once since the process started.
pub fn highwater() -> u64 {
    // SAFETY: as `used`; a reset flag of 0 only reads the mark.
    let n = unsafe { ffi::sqlite3_memory_highwater(0) };
    u64::try_from(n).unwrap_or(0)
}
