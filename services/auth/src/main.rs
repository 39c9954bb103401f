//! `stride-auth`: runs the auth service alone, configured from `STRIDE_*` variables.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::server::service_main(
        "stride-auth",
        stride_auth::Config::production_from_env,
        stride_auth::App::build,
        |app, shutdown| app.run(shutdown),
    )
    .await
}
