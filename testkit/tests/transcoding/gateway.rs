//! A minimal gRPC-JSON transcoder standing in for Envoy's `grpc_json_transcoder` in tests.
//!
//! It reads the `google.api.http` rules from a descriptor pool (the project's
//! `shared::FILE_DESCRIPTOR_SET`, the bytes Envoy loads) and implements the parts of the rules
//! Stride's protos use: path templates of literals and `{field}` / `{a.b}` / `{field=*}`
//! variables with an optional `:verb`, `body: "*"`, a named body, query parameters binding the
//! remaining fields of a request (rejecting unknown ones), and `additional_bindings`. Requests
//! become `DynamicMessage`s through prost-reflect's proto3 JSON support and go upstream through
//! tonic's generic client; responses print proto field names with default values (Envoy's
//! `preserve_proto_field_names` and `always_print_primitive_fields`); gRPC errors become HTTP
//! statuses with a `google.rpc.Status` JSON body (Envoy's `convert_grpc_status`). Anything the
//! protos do not use (`**`, multi-segment variables, `response_body`, streaming, HttpBody) is
//! refused when the routes are built, so a new proto feature cannot pass untested.
//!
//! Why not a crate: structured-proxy 1.1.0 (the crates.io transcoder built the same way, and the
//! release compatible with our tonic/prost/prost-reflect) panics on Stride's rules, because axum
//! 0.8 cannot route `{jti}:revoke` or `{id}` beside `{workout.id}`; 8.x needs rustc 1.99. See
//! docs/GATEWAY.md.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::TokioIo;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor, SerializeOptions};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tonic::Status;
use tonic::transport::Channel;

use crate::mapping::{DynamicCodec, bind, json_response, status_response};

/// Largest request body accepted, as Envoy's buffer filter in deploy/envoy.yaml.
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Request headers that describe the HTTP/1.1 exchange rather than the call.
const HOP_HEADERS: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "content-length",
    "content-type",
    "accept-encoding",
];

/// One segment of a path template.
#[derive(Debug)]
enum Segment {
    Literal(String),
    /// A variable binding the request field at this dotted path.
    Variable(Vec<String>),
}

/// Where the HTTP body goes in the request message.
#[derive(Debug, PartialEq)]
enum BodyRule {
    None,
    /// `body: "*"`: the body is the whole request message.
    Root,
    /// `body: "field"`: the body is that field.
    Field(String),
}

/// One HTTP binding of an RPC.
#[derive(Debug)]
struct Route {
    verb: Method,
    segments: Vec<Segment>,
    custom_verb: Option<String>,
    body: BodyRule,
    method: MethodDescriptor,
    upstream: Channel,
}

/// The transcoder: every HTTP binding of the named services, each sent to its upstream.
#[derive(Debug)]
pub struct Gateway {
    routes: Vec<Route>,
}

impl Gateway {
    /// Routes for each method of `services` in `pool`, to the channel of the first
    /// `(name prefix, channel)` in `upstreams` that the service's full name starts with (as
    /// Envoy's route table matches `/stride.auth.v1.` and `/stride.fitness.v1.`).
    pub fn new(pool: &DescriptorPool, services: &[&str], upstreams: &[(&str, Channel)]) -> Self {
        let http = pool
            .get_extension_by_name("google.api.http")
            .expect("google.api.http is in the descriptor set");
        let mut routes = Vec::new();
        for name in services {
            let service = pool
                .get_service_by_name(name)
                .unwrap_or_else(|| panic!("{name} is not in the descriptor set"));
            let upstream = upstreams
                .iter()
                .find(|(prefix, _)| name.starts_with(prefix))
                .map(|(_, channel)| channel.clone())
                .unwrap_or_else(|| panic!("no upstream for {name}"));
            for method in service.methods() {
                let options = method.options();
                if !options.has_extension(&http) {
                    continue;
                }
                assert!(
                    !method.is_client_streaming() && !method.is_server_streaming(),
                    "{}: streaming is not transcoded here",
                    method.full_name()
                );
                let rule = options.get_extension(&http);
                let rule = rule.as_message().expect("HttpRule is a message");
                let mut bindings = vec![rule.clone()];
                if let Some(more) = rule.get_field_by_name("additional_bindings") {
                    bindings.extend(
                        more.as_list()
                            .unwrap()
                            .iter()
                            .map(|b| b.as_message().unwrap().clone()),
                    );
                }
                for binding in &bindings {
                    routes.push(Route::new(binding, &method, upstream.clone()));
                }
            }
        }
        Self { routes }
    }

    /// Serves HTTP/1.1 on `127.0.0.1:0` until the returned task is aborted.
    pub async fn spawn(self) -> (SocketAddr, JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let gateway = Arc::new(self);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let gateway = gateway.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let gateway = gateway.clone();
                        async move { Ok::<_, Infallible>(gateway.handle(request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (addr, task)
    }

    async fn handle(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = request.into_parts();
        let body = match body.collect().await {
            Ok(body) => body.to_bytes(),
            Err(error) => return status_response(&Status::invalid_argument(error.to_string())),
        };
        if body.len() > MAX_BODY_BYTES {
            return json_response(StatusCode::PAYLOAD_TOO_LARGE, &json!({}));
        }
        let (path, verb) = split_verb(parts.uri.path());
        let segments: Vec<String> = path
            .trim_start_matches('/')
            .split('/')
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let Some((route, captures)) = self.routes.iter().find_map(|route| {
            route
                .matches(&parts.method, &segments, verb)
                .map(|c| (route, c))
        }) else {
            return status_response(&Status::not_found(format!(
                "no HTTP rule matches {} {}",
                parts.method,
                parts.uri.path()
            )));
        };
        match route
            .call(captures, parts.uri.query(), &body, parts.headers)
            .await
        {
            Ok(json) => json_response(StatusCode::OK, &json),
            Err(status) => status_response(&status),
        }
    }
}

impl Route {
    fn new(rule: &DynamicMessage, method: &MethodDescriptor, upstream: Channel) -> Self {
        let (verb, template) = [
            ("get", Method::GET),
            ("put", Method::PUT),
            ("post", Method::POST),
            ("delete", Method::DELETE),
            ("patch", Method::PATCH),
        ]
        .into_iter()
        .find(|(field, _)| rule.has_field_by_name(field))
        .map(|(field, verb)| {
            (
                verb,
                rule.get_field_by_name(field)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .unwrap_or_else(|| {
            panic!(
                "{}: only get/put/post/delete/patch rules are supported",
                method.full_name()
            )
        });
        let unsupported =
            |what: &str| -> ! { panic!("{}: {what} is not supported here", method.full_name()) };
        if rule
            .get_field_by_name("response_body")
            .is_some_and(|v| !v.as_str().unwrap().is_empty())
        {
            unsupported("response_body");
        }
        let (path, custom_verb) = split_verb(&template);
        let segments = path
            .trim_start_matches('/')
            .split('/')
            .map(
                |segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(variable) => {
                        let field = match variable.split_once('=') {
                            None => variable,
                            Some((field, "*")) => field,
                            Some(_) => unsupported(&format!("the variable {{{variable}}}")),
                        };
                        Segment::Variable(field.split('.').map(str::to_owned).collect())
                    }
                    None if segment.contains(['{', '}', '*']) => {
                        unsupported(&format!("the segment {segment}"))
                    }
                    None => Segment::Literal(segment.to_owned()),
                },
            )
            .collect();
        let body = match rule.get_field_by_name("body").unwrap().as_str().unwrap() {
            "" => BodyRule::None,
            "*" => BodyRule::Root,
            field => BodyRule::Field(field.to_owned()),
        };
        Self {
            verb,
            segments,
            custom_verb: custom_verb.map(str::to_owned),
            body,
            method: method.clone(),
            upstream,
        }
    }

    /// The variables bound by a request for `verb` with these (decoded) path segments.
    fn matches(
        &self,
        verb: &Method,
        segments: &[String],
        custom_verb: Option<&str>,
    ) -> Option<Vec<(Vec<String>, String)>> {
        if *verb != self.verb
            || segments.len() != self.segments.len()
            || custom_verb != self.custom_verb.as_deref()
        {
            return None;
        }
        let mut captures = Vec::new();
        for (template, actual) in self.segments.iter().zip(segments) {
            match template {
                Segment::Literal(literal) if literal == actual => {}
                Segment::Variable(field) if !actual.is_empty() => {
                    captures.push((field.clone(), actual.clone()))
                }
                _ => return None,
            }
        }
        Some(captures)
    }

    /// Builds the request message, calls the RPC and prints its response.
    async fn call(
        &self,
        captures: Vec<(Vec<String>, String)>,
        query: Option<&str>,
        body: &[u8],
        headers: HeaderMap,
    ) -> Result<Value, Status> {
        let input = self.method.input();
        let parse_body = || -> Result<Value, Status> {
            if body.is_empty() {
                return Ok(json!({}));
            }
            serde_json::from_slice(body)
                .map_err(|e| Status::invalid_argument(format!("request body: {e}")))
        };
        let mut root = match &self.body {
            BodyRule::None => json!({}),
            BodyRule::Root => parse_body()?,
            BodyRule::Field(field) => json!({ field: parse_body()? }),
        };
        if !root.is_object() {
            return Err(Status::invalid_argument(
                "the request body must be a JSON object",
            ));
        }
        for (field, value) in captures {
            bind(&mut root, &input, &field, &value)?;
        }
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            // With body "*" every field comes from the body; anything else is unknown.
            let field: Vec<String> = key.split('.').map(str::to_owned).collect();
            if self.body == BodyRule::Root {
                return Err(Status::invalid_argument(format!(
                    "unknown query parameter {key}"
                )));
            }
            bind(&mut root, &input, &field, &value)?;
        }
        let message = DynamicMessage::deserialize(input, root)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;

        let mut metadata = headers;
        for name in HOP_HEADERS {
            metadata.remove(*name);
        }
        let mut request = tonic::Request::new(message);
        *request.metadata_mut() = tonic::metadata::MetadataMap::from_headers(metadata);
        let path = format!(
            "/{}/{}",
            self.method.parent_service().full_name(),
            self.method.name()
        );
        let mut client = tonic::client::Grpc::new(self.upstream.clone());
        client
            .ready()
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let response = client
            .unary(
                request,
                path.parse().unwrap(),
                DynamicCodec(self.method.output()),
            )
            .await?
            .into_inner();
        let options = SerializeOptions::new()
            .use_proto_field_name(true)
            .skip_default_fields(false);
        response
            .serialize_with_options(serde_json::value::Serializer, &options)
            .map_err(|e| Status::internal(e.to_string()))
    }
}

/// Splits the `:verb` off the last segment of a path (`/v1/tokens/{jti}:revoke`).
fn split_verb(path: &str) -> (&str, Option<&str>) {
    let last = path.rsplit('/').next().unwrap_or_default();
    match last.rfind(':') {
        Some(at) if !last[at..].contains('}') => {
            let at = path.len() - last.len() + at;
            (&path[..at], Some(&path[at + 1..]))
        }
        _ => (path, None),
    }
}
