//! `stride-fitness`: runs the fitness service alone, configured from `STRIDE_*` variables.

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
