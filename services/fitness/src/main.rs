//! `stride-fitness`: runs the fitness service alone, configured from `STRIDE_*` variables.

/// jemalloc, which returns freed memory to the kernel: with glibc's allocator auth kept its
/// 19 MiB Argon2 blocks resident after a burst of logins (docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::server::service_main(
        "stride-fitness",
        stride_fitness::Config::production_from_env,
        stride_fitness::App::build,
        |app, shutdown| app.run(shutdown),
    )
    .await
}
