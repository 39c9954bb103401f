//! Running services: the dev stack, one service, or migrations only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use shared::config::{Env, EnvMap};
use tokio::sync::watch;

use crate::dev_secrets::{self, DATA_DIR};
use crate::error::Failure;
use crate::{Served, Service};

fn other(err: impl std::fmt::Display) -> Failure {
    Failure::Other(err.to_string())
}

/// A shutdown future per service, all resolved by one SIGINT/SIGTERM.
fn shutdown_fanout() -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        shared::server::shutdown_signal().await;
        let _ = tx.send(true);
    });
    move || {
        let mut rx = rx.clone();
        Box::pin(async move {
            let _ = rx.wait_for(|stop| *stop).await;
        })
    }
}

/// Runs auth, fitness and the web console together until SIGINT/SIGTERM, with the dev secrets of `./data`
/// filling in an unset service key and master key. Fitness follows the auth address actually
/// bound unless `STRIDE_AUTH_URL` says otherwise, so both may listen on port 0; over `https://`
/// when auth serves TLS (then `STRIDE_AUTH_CA_FILE` names the CA fitness trusts, unless the
/// system's roots do). Mail is written to `./data/mail` unless the environment says where it
/// goes ([`dev_mail`]). With `gateway`, Envoy runs in front of both ([`crate::gateway`]).
pub async fn dev(env_map: &EnvMap, gateway: bool) -> Result<(), Failure> {
    let (secrets, created) = dev_secrets::load_or_create(Path::new(DATA_DIR))?;
    let mut env_map = secrets.overlay(env_map);
    let mail = dev_mail(&mut env_map);
    let metrics = metrics_endpoint(Env::new(&env_map), Some(shared::prometheus::DEV_ADDR)).await?;
    let auth_config = stride_auth::Config::from_env(Env::new(&env_map))?;
    let auth_database = format!("{:?}", auth_config.database_url);
    let scheme = match auth_config.server.tls {
        Some(_) => "https",
        None => "http",
    };
    let auth = stride_auth::App::build(auth_config).await.map_err(other)?;
    let auth_addr = auth.local_addr();
    if Env::new(&env_map).get("STRIDE_AUTH_URL").is_none() {
        env_map.insert(
            "STRIDE_AUTH_URL".to_owned(),
            format!("{scheme}://{}", reachable(auth_addr)),
        );
    }
    let fitness_config = stride_fitness::Config::from_env(Env::new(&env_map))?;
    let fitness_database = format!("{:?}", fitness_config.database_url);
    let fitness_scheme = match fitness_config.server.tls {
        Some(_) => "https",
        None => "http",
    };
    let fitness = stride_fitness::App::build(fitness_config)
        .await
        .map_err(other)?;
    let fitness_addr = fitness.local_addr();
    if Env::new(&env_map).get("STRIDE_FITNESS_URL").is_none() {
        env_map.insert(
            "STRIDE_FITNESS_URL".to_owned(),
            format!("{fitness_scheme}://{}", reachable(fitness_addr)),
        );
    }
    let console =
        stride_console::Console::build(stride_console::Config::from_env(Env::new(&env_map))?)
            .await
            .map_err(other)?;
    let console_addr = console.local_addr();
    tracing::info!(%auth_addr, %fitness_addr, %console_addr, "Stride is up");
    let envoy = if gateway {
        let dir = Path::new(DATA_DIR).join("gateway");
        let started = crate::gateway::start(
            &Env::new(&env_map),
            &dir,
            reachable(auth_addr),
            reachable(fitness_addr),
        )
        .await?;
        if started.is_none() {
            print_line(crate::gateway::MISSING);
        }
        started
    } else {
        None
    };
    print_welcome(&Welcome {
        auth: reachable(auth_addr),
        fitness: reachable(fitness_addr),
        console: reachable(console_addr),
        gateway: envoy.as_ref().map(|g| g.addr),
        metrics,
        mail,
        auth_database,
        fitness_database,
        secrets_created: created,
    });
    let shutdown = shutdown_fanout();
    let (auth_result, fitness_result, console_result) = tokio::join!(
        auth.run(shutdown()),
        fitness.run(shutdown()),
        console.run(shutdown())
    );
    auth_result.map_err(other)?;
    fitness_result.map_err(other)?;
    console_result.map_err(other)
}

/// Where the dev stack's mail goes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mail {
    /// `STRIDE_MAIL_DIR`: one `.eml` file per message in this directory.
    Dir(String),
    /// `STRIDE_SMTP_URL` (as it may be logged: without credentials).
    Smtp(String),
}

/// Makes the dev stack's mail readable without a mail server: `STRIDE_MAIL_DIR=data/mail` in
/// `env_map`, unless it already names a directory or an SMTP server (`STRIDE_SMTP_URL`), which
/// are then left as they are (both at once is the auth service's configuration error to report).
fn dev_mail(env_map: &mut EnvMap) -> Mail {
    let env = Env::new(env_map);
    if let Some(url) = env.get("STRIDE_SMTP_URL") {
        return Mail::Smtp(shared::config::redact_url(url));
    }
    if let Some(dir) = env.get("STRIDE_MAIL_DIR") {
        return Mail::Dir(dir.to_owned());
    }
    let dir = format!("{DATA_DIR}/mail");
    env_map.insert("STRIDE_MAIL_DIR".to_owned(), dir.clone());
    Mail::Dir(dir)
}

/// The banner's line about mail.
fn mail_line(mail: &Mail) -> String {
    match mail {
        Mail::Dir(dir) => format!(
            "  mail     {}/  (messages are written here; STRIDE_SMTP_URL sends them)\n",
            dir.trim_end_matches('/')
        ),
        Mail::Smtp(url) => format!("  mail     {url}  (sent through STRIDE_SMTP_URL)\n"),
    }
}

/// Where a client reaches a listener: a wildcard address (`0.0.0.0`, `::`) is reached on the
/// loopback address of its family.
pub fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

/// Starts the Prometheus endpoint when `STRIDE_METRICS_ADDR` (or `default`) asks for one,
/// before any service is built, so every series they record is exported.
async fn metrics_endpoint(
    env: Env<'_>,
    default: Option<SocketAddr>,
) -> Result<Option<SocketAddr>, Failure> {
    let config = shared::prometheus::MetricsConfig::from_env(env, default)?;
    match config.addr {
        Some(addr) => {
            let endpoint = shared::prometheus::start(addr).await.map_err(other)?;
            Ok(Some(reachable(endpoint.addr)))
        }
        None => Ok(None),
    }
}

/// Runs one service, or the web console, until SIGINT/SIGTERM.
pub async fn one(service: Served, env_map: &EnvMap) -> Result<(), Failure> {
    let env = Env::new(env_map);
    metrics_endpoint(env, None).await?;
    let shutdown = shutdown_fanout();
    match service {
        Served::Console => {
            let console =
                stride_console::Console::build(stride_console::Config::production_from_env(env)?)
                    .await
                    .map_err(other)?;
            console.run(shutdown()).await.map_err(other)
        }
        Served::Auth => {
            let app = stride_auth::App::build(stride_auth::Config::production_from_env(env)?)
                .await
                .map_err(other)?;
            app.run(shutdown()).await.map_err(other)
        }
        Served::Fitness => {
            let app = stride_fitness::App::build(stride_fitness::Config::production_from_env(env)?)
                .await
                .map_err(other)?;
            app.run(shutdown()).await.map_err(other)
        }
    }
}

/// Applies migrations for one or both services.
pub async fn migrate(service: Option<Service>, env_map: &EnvMap) -> Result<(), Failure> {
    let env = Env::new(env_map);
    let connect = shared::db::PoolConfig::default();
    if service != Some(Service::Fitness) {
        let config = stride_auth::Config::from_env(env)?;
        let db = shared::db::Db::connect(&config.database_url, &connect)
            .await
            .map_err(other)?;
        db.migrate(&stride_auth::MIGRATIONS).await.map_err(other)?;
        tracing::info!(database = ?config.database_url, "auth database migrated");
    }
    if service != Some(Service::Auth) {
        let config = stride_fitness::Config::from_env(env)?;
        let db = shared::db::Db::connect(&config.database_url, &connect)
            .await
            .map_err(other)?;
        db.migrate(&stride_fitness::store::MIGRATIONS)
            .await
            .map_err(other)?;
        tracing::info!(database = ?config.database_url, "fitness database migrated");
    }
    Ok(())
}

/// What the dev launcher tells the person who started it.
struct Welcome {
    auth: SocketAddr,
    fitness: SocketAddr,
    console: SocketAddr,
    gateway: Option<SocketAddr>,
    metrics: Option<SocketAddr>,
    mail: Mail,
    auth_database: String,
    fitness_database: String,
    secrets_created: bool,
}

#[allow(clippy::print_stdout)] // The launcher tells a person what it could not start.
fn print_line(line: &str) {
    println!("{line}");
}

#[allow(clippy::print_stdout)] // The launcher's whole job here is to tell a person where to go.
fn print_welcome(w: &Welcome) {
    let Welcome {
        auth,
        fitness,
        console,
        ..
    } = w;
    let (gateway_line, gateway_field) = match w.gateway {
        Some(addr) => (
            format!(
                "  gateway  http://{addr}  (HTTP/JSON and gRPC-Web, e.g. curl -s http://{addr}/v1/auth/jwks)\n"
            ),
            format!(" gateway={addr}"),
        ),
        None => (String::new(), String::new()),
    };
    let (metrics_line, metrics_field) = match w.metrics {
        Some(addr) => (
            format!(
                "  metrics  http://{addr}/metrics  (Prometheus; STRIDE_METRICS_ADDR=off turns it off)\n"
            ),
            format!(" metrics={addr}"),
        ),
        None => (String::new(), String::new()),
    };
    let mail_line = mail_line(&w.mail);
    let secrets = if w.secrets_created {
        "generated"
    } else {
        "reused"
    };
    println!(
        "\nStride is running (Ctrl-C stops it).\n\
         \n  auth     {auth}  {}\n  fitness  {fitness}  {}\n  \
         console  http://{console}  (the web console: sign in with any account)\n{gateway_line}{metrics_line}{mail_line}  secrets  {}/dev-secrets.json ({secrets}; \
         STRIDE_SERVICE_KEY / STRIDE_MASTER_KEY override it)\n\
         \nTry it:\n  grpcurl -plaintext {auth} list\n  \
         grpcurl -plaintext -d '{{\"login\": \"ada\", \"password\": \"…\"}}' {auth} \
         stride.auth.v1.AuthService/Login\n  \
         stride register --username ada --email ada@example.com   (the CLI; see stride --help)\n\
         \nAn admin account (written to the auth database directly; password from --password, \
         STRIDE_ADMIN_PASSWORD or a prompt):\n  \
         stride admin create --username admin --email admin@example.com\n  \
         (from a checkout: cargo run --release -- admin create …)\n\
         \nlistening auth={auth} fitness={fitness} console={console}{gateway_field}{metrics_field}",
        w.auth_database, w.fitness_database, DATA_DIR
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    use shared::config::env_of as env;

    #[test]
    fn the_dev_stack_writes_mail_to_data_mail_unless_told_otherwise() {
        let mut unset = env(&[("STRIDE_MAIL_DIR", "  ")]);
        assert_eq!(dev_mail(&mut unset), Mail::Dir("data/mail".to_owned()));
        assert_eq!(unset["STRIDE_MAIL_DIR"], "data/mail");
        assert_eq!(
            mail_line(&Mail::Dir("data/mail".to_owned())),
            "  mail     data/mail/  (messages are written here; STRIDE_SMTP_URL sends them)\n"
        );

        let mut dir = env(&[("STRIDE_MAIL_DIR", "/tmp/outbox/")]);
        assert_eq!(dev_mail(&mut dir), Mail::Dir("/tmp/outbox/".to_owned()));
        assert_eq!(dir["STRIDE_MAIL_DIR"], "/tmp/outbox/");
        assert!(mail_line(&Mail::Dir("/tmp/outbox/".to_owned())).contains(" /tmp/outbox/  ("));

        let mut smtp = env(&[("STRIDE_SMTP_URL", "smtp://127.0.0.1:2525")]);
        assert_eq!(
            dev_mail(&mut smtp),
            Mail::Smtp("smtp://127.0.0.1:2525".to_owned())
        );
        assert!(!smtp.contains_key("STRIDE_MAIL_DIR"));
    }

    #[test]
    fn a_wildcard_listener_is_reached_on_loopback() {
        let any: SocketAddr = "0.0.0.0:50051".parse().unwrap();
        assert_eq!(reachable(any), "127.0.0.1:50051".parse().unwrap());
        let any6: SocketAddr = "[::]:1".parse().unwrap();
        assert_eq!(reachable(any6), "[::1]:1".parse().unwrap());
        let exact: SocketAddr = "10.0.0.2:9".parse().unwrap();
        assert_eq!(reachable(exact), exact);
    }
}
