fn main() -> std::process::ExitCode {
    // glibc gives each thread that allocates an arena of its own, up to eight per core, and keeps what each
    // arena freed: with actix workers, blocking database threads and hashing threads, a benchmark left the server
    // holding 40 % more memory than with one arena per core, for no difference in throughput.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    // SAFETY: called before any other thread starts; mallopt only tunes the allocator.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, i32::try_from(cores).unwrap_or(i32::MAX)) };
    incident_desk::cli::main()
}
