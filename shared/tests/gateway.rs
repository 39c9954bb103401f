//! Static checks of the HTTP/JSON gateway contract: every public RPC has a `google.api.http`
//! rule, internal RPCs have none, and `deploy/envoy.yaml` transcodes exactly the public
//! services of the descriptor set while never routing the internal one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use prost_reflect::{DescriptorPool, Value};

/// Services callable only by other services (service key), never through the gateway.
const INTERNAL: &[&str] = &["stride.auth.v1.TokenIntrospectionService"];

fn pool() -> DescriptorPool {
    DescriptorPool::decode(shared::FILE_DESCRIPTOR_SET).expect("the descriptor set decodes")
}

fn stride_services(pool: &DescriptorPool) -> Vec<prost_reflect::ServiceDescriptor> {
    pool.services()
        .filter(|s| s.full_name().starts_with("stride."))
        .collect()
}

/// The `google.api.http` rule of a method, as (verb, path, body), if any.
fn http_rule(
    pool: &DescriptorPool,
    method: &prost_reflect::MethodDescriptor,
) -> Option<(String, String, String)> {
    let extension = pool
        .get_extension_by_name("google.api.http")
        .expect("google.api.http is in the descriptor set");
    let options = method.options();
    if !options.has_extension(&extension) {
        return None;
    }
    let rule = options.get_extension(&extension);
    let Value::Message(rule) = rule.as_ref() else {
        panic!("google.api.http is a message");
    };
    for verb in ["get", "put", "post", "delete", "patch"] {
        if rule.has_field_by_name(verb) {
            let path = rule
                .get_field_by_name(verb)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned();
            let body = rule
                .get_field_by_name("body")
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned();
            return Some((verb.to_owned(), path, body));
        }
    }
    panic!("{} has an http rule without a verb", method.full_name());
}

#[test]
fn every_public_rpc_has_an_http_rule_and_internal_rpcs_have_none() {
    let pool = pool();
    let services = stride_services(&pool);
    assert_eq!(services.len(), 10, "stride services in the descriptor set");
    for service in services {
        let internal = INTERNAL.contains(&service.full_name());
        for method in service.methods() {
            let rule = http_rule(&pool, &method);
            if internal {
                assert!(
                    rule.is_none(),
                    "{} is internal but has an http rule",
                    method.full_name()
                );
            } else {
                let (_, path, _) =
                    rule.unwrap_or_else(|| panic!("{} has no http rule", method.full_name()));
                assert!(
                    path.starts_with("/v1/") || path.starts_with("/.well-known/"),
                    "{path}"
                );
            }
        }
    }
}

#[test]
fn every_path_variable_and_body_names_a_field_of_the_request() {
    let pool = pool();
    for service in stride_services(&pool) {
        for method in service.methods() {
            let Some((_, path, body)) = http_rule(&pool, &method) else {
                continue;
            };
            let input = method.input();
            for segment in path.split('{').skip(1) {
                let variable = segment.split(['}', '=']).next().unwrap();
                let mut message = input.clone();
                let mut parts = variable.split('.').peekable();
                while let Some(part) = parts.next() {
                    let field = message.get_field_by_name(part).unwrap_or_else(|| {
                        panic!("{}: {variable} is not a field", method.full_name())
                    });
                    if parts.peek().is_some() {
                        message = field
                            .kind()
                            .as_message()
                            .cloned()
                            .expect("a nested message");
                    }
                }
            }
            if !body.is_empty() && body != "*" {
                assert!(
                    input.get_field_by_name(&body).is_some(),
                    "{}: body {body}",
                    method.full_name()
                );
            }
        }
    }
}

#[test]
fn envoy_transcodes_exactly_the_public_services_and_blocks_internal_ones() {
    let pool = pool();
    let yaml =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/envoy.yaml"))
            .expect("deploy/envoy.yaml exists");
    let config: serde_json::Value = serde_yaml_ng::from_str(&yaml).expect("envoy.yaml is YAML");
    let listener = &config["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"];
    let filters = listener["http_filters"].as_array().expect("http filters");
    let transcoder = filters
        .iter()
        .find(|f| f["name"] == "envoy.filters.http.grpc_json_transcoder")
        .expect("the transcoder filter");
    let tc = &transcoder["typed_config"];
    assert_eq!(tc["convert_grpc_status"], true);
    assert_eq!(
        tc["request_validation_options"]["reject_unknown_method"],
        true
    );
    let mut listed: Vec<&str> = tc["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    listed.sort();
    let mut public: Vec<String> = stride_services(&pool)
        .iter()
        .map(|s| s.full_name().to_owned())
        .filter(|name| !INTERNAL.contains(&name.as_str()))
        .collect();
    public.sort();
    assert_eq!(listed, public);
    assert_eq!(
        filters.last().unwrap()["name"],
        "envoy.filters.http.router",
        "router is last"
    );

    // Routes: the internal service answers 404 before the package route could match it, and
    // every listed service has a route to a defined cluster.
    let routes = listener["route_config"]["virtual_hosts"][0]["routes"]
        .as_array()
        .unwrap();
    let prefix = |r: &serde_json::Value| r["match"]["prefix"].as_str().unwrap().to_owned();
    for internal in INTERNAL {
        let first = routes
            .iter()
            .find(|r| format!("/{internal}/").starts_with(&prefix(r)))
            .expect("a route matching the internal service");
        assert_eq!(
            first["direct_response"]["status"], 404,
            "{internal} must not be routed"
        );
    }
    let clusters: Vec<&str> = config["static_resources"]["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for service in &public {
        let route = routes
            .iter()
            .find(|r| format!("/{service}/").starts_with(&prefix(r)))
            .unwrap_or_else(|| panic!("no route for {service}"));
        let cluster = route["route"]["cluster"]
            .as_str()
            .expect("routed to a cluster");
        assert!(clusters.contains(&cluster), "{cluster} is not defined");
    }
}
