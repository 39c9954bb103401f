//! Static checks of the deployment files (no Docker engine runs in CI): docker-compose wires
//! PostgreSQL with one database per service, both services, Envoy with the descriptor set it
//! is configured to read, and a trace viewer; every variable it sets is a documented one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::Value;

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(path: &str) -> Value {
    serde_yaml_ng::from_str(&read(path)).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

#[test]
fn compose_runs_both_services_on_postgres_behind_envoy_with_traces() {
    let compose = yaml("docker-compose.yml");
    let services = compose["services"].as_object().expect("services");
    for name in ["postgres", "auth", "fitness", "envoy", "jaeger"] {
        assert!(services.contains_key(name), "compose lacks {name}");
    }
    let init = read("deploy/postgres-init.sql");
    for (service, var) in [
        ("auth", "STRIDE_AUTH_DATABASE_URL"),
        ("fitness", "STRIDE_FITNESS_DATABASE_URL"),
    ] {
        let url = services[service]["environment"][var].as_str().expect(var);
        let db = url.rsplit('/').next().unwrap();
        assert!(url.starts_with("postgres://"), "{url}");
        assert!(
            init.contains(&format!("CREATE DATABASE {db};")),
            "{db} is not created"
        );
    }
    assert_eq!(
        services["fitness"]["environment"]["STRIDE_AUTH_URL"],
        "http://auth:50051"
    );
}

#[test]
fn compose_publishes_only_the_gateway_and_keeps_secrets_in_an_env_file() {
    let compose = yaml("docker-compose.yml");
    let text = read("docker-compose.yml");
    let services = compose["services"].as_object().unwrap();
    for name in ["auth", "fitness", "postgres"] {
        assert!(
            services[name].get("ports").is_none(),
            "{name} must stay on the compose network"
        );
    }
    for name in ["auth", "fitness"] {
        assert_eq!(services[name]["env_file"][0], "stride.env", "{name}");
    }
    for secret in ["STRIDE_SERVICE_KEY", "STRIDE_MASTER_KEY"] {
        assert!(
            !text.contains(&format!("{secret}:")),
            "{secret} is set in the file"
        );
    }
    assert!(read(".gitignore").lines().any(|l| l.trim() == "stride.env"));
    let envoy = yaml("deploy/envoy.yaml");
    let manager = &envoy["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"];
    assert_eq!(manager["use_remote_address"], true);
}

#[test]
fn envoy_in_compose_reads_the_descriptor_its_config_names() {
    let compose = yaml("docker-compose.yml");
    let envoy = yaml("deploy/envoy.yaml");
    let filters = &envoy["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
        ["http_filters"];
    let descriptor = filters
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f["typed_config"]["proto_descriptor"].as_str())
        .expect("the transcoder names a descriptor");
    let volumes: Vec<&str> = compose["services"]["envoy"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let dir = descriptor.rsplit_once('/').unwrap().0;
    assert!(
        volumes.iter().any(|v| v.split(':').nth(1) == Some(dir)),
        "envoy mounts nothing at {dir}: {volumes:?}"
    );
    assert!(
        volumes
            .iter()
            .any(|v| v.contains("deploy/envoy.yaml:/etc/envoy/envoy.yaml"))
    );
    let dockerfile = read("deploy/Dockerfile");
    assert!(
        dockerfile.contains("stride descriptor --out"),
        "the image builds the descriptor"
    );
}

#[test]
fn every_variable_compose_sets_is_documented_in_the_readme() {
    let compose = yaml("docker-compose.yml");
    let readme = read("README.md");
    let mut vars = Vec::new();
    for service in compose["services"].as_object().unwrap().values() {
        if let Some(env) = service["environment"].as_object() {
            vars.extend(env.keys().filter(|k| k.starts_with("STRIDE_")).cloned());
        }
    }
    if let Some(anchor) = compose["x-stride-env"].as_object() {
        vars.extend(anchor.keys().cloned());
    }
    assert!(!vars.is_empty());
    for var in vars {
        assert!(
            readme.contains(&format!("`{var}`")),
            "README does not document {var}"
        );
    }
}
