/// mimalloc instead of glibc's allocator: each sender task builds and drops a MIME message
/// per email, and a digest run of 100,000 went from 11.0 s to 9.2 s with it (BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(actiondesk::cli::main());
}
