/// mimalloc instead of glibc's allocator: each sender task builds and drops a MIME message
/// per email, and a digest run of 100,000 went from 11.0 s to 9.2 s with it (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `arena_eager_commit` (the same number in its v2 and v3 option lists).
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// Commits mimalloc's arena memory as it is used. On Linux mimalloc otherwise commits a
/// whole arena when it reserves it (at the first allocation, before `main`) and gives freed
/// pages back lazily, so they keep counting in the resident set: a 100,000-digest run
/// peaked at 58-61 MB with the default and 36-37 MB without it, at the same speed
/// (BENCHMARKS.md). `MIMALLOC_ARENA_EAGER_COMMIT` in the environment still decides.
extern "C" fn commit_on_demand() {
    if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none() {
        // SAFETY: sets one of mimalloc's documented options, before any thread exists.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 0) };
    }
}

/// Runs [`commit_on_demand`] as the program is loaded, before the Rust runtime allocates.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static COMMIT_ON_DEMAND: extern "C" fn() = commit_on_demand;

fn main() {
    #[cfg(not(target_os = "linux"))]
    commit_on_demand();
    std::process::exit(actiondesk::cli::main());
}
