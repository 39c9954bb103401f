//! The mappings of the test gateway (see `gateway`): path and query values into proto3 JSON,
//! gRPC statuses into HTTP answers shaped like Envoy's `convert_grpc_status`, and a tonic codec
//! for prost-reflect's dynamic messages.

use http::{Response, StatusCode};
use http_body_util::Full;
use hyper::body::Bytes;
use prost::Message;
use prost_reflect::{DynamicMessage, Kind, MessageDescriptor};
use serde_json::{Map, Value, json};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Code, Status};
use tonic_types::{ErrorDetail, StatusExt};

/// Sets the field at `path` of the request JSON to a path or query value, typed for
/// prost-reflect's proto3 JSON parser. Repeated fields collect every value.
pub(crate) fn bind(
    root: &mut Value,
    input: &MessageDescriptor,
    path: &[String],
    raw: &str,
) -> Result<(), Status> {
    let unknown = || Status::invalid_argument(format!("unknown field {}", path.join(".")));
    let (leaf, parents) = path.split_last().ok_or_else(unknown)?;
    let mut message = input.clone();
    let mut object = root.as_object_mut().ok_or_else(unknown)?;
    for parent in parents {
        let field = message.get_field_by_name(parent).ok_or_else(unknown)?;
        let Kind::Message(inner) = field.kind() else {
            return Err(unknown());
        };
        if field.is_list() || field.is_map() {
            return Err(unknown());
        }
        message = inner;
        object = object
            .entry(parent.clone())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(unknown)?;
    }
    let field = message.get_field_by_name(leaf).ok_or_else(unknown)?;
    let value = match field.kind() {
        Kind::Bool => Value::Bool(
            raw.parse()
                .map_err(|_| Status::invalid_argument(format!("{leaf}: not a boolean")))?,
        ),
        Kind::Enum(_) => raw
            .parse::<i32>()
            .map_or_else(|_| Value::String(raw.to_owned()), Value::from),
        // Well-known types with a string JSON form (Timestamp, Duration, FieldMask, wrappers).
        Kind::Message(m) if m.full_name().starts_with("google.protobuf.") => {
            Value::String(raw.to_owned())
        }
        Kind::Message(_) => return Err(unknown()),
        _ => Value::String(raw.to_owned()),
    };
    if field.is_list() {
        let list = object
            .entry(leaf.clone())
            .or_insert_with(|| Value::Array(Vec::new()));
        list.as_array_mut().ok_or_else(unknown)?.push(value);
    } else {
        object.insert(leaf.clone(), value);
    }
    Ok(())
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// A gRPC error as Envoy's `convert_grpc_status` answers it: the HTTP status of the code and the
/// `google.rpc.Status` as JSON, its details (the `ErrorInfo` and `BadRequest` Stride sends)
/// printed with `@type` and proto field names.
pub(crate) fn status_response(status: &Status) -> Response<Full<Bytes>> {
    let details: Vec<Value> = status
        .get_error_details_vec()
        .into_iter()
        .map(|detail| match detail {
            ErrorDetail::ErrorInfo(info) => json!({
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": info.reason,
                "domain": info.domain,
                "metadata": info.metadata,
            }),
            ErrorDetail::BadRequest(bad) => json!({
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "field_violations": bad.field_violations.iter().map(|v| json!({
                    "field": v.field,
                    "description": v.description,
                })).collect::<Vec<_>>(),
            }),
            other => json!({ "@type": "unrendered", "debug": format!("{other:?}") }),
        })
        .collect();
    let body =
        json!({ "code": status.code() as i32, "message": status.message(), "details": details });
    json_response(http_status(status.code()), &body)
}

/// The HTTP status of a gRPC code (google.rpc.Code's documented mapping, as Envoy uses).
fn http_status(code: Code) -> StatusCode {
    match code {
        Code::Ok => StatusCode::OK,
        Code::Cancelled => StatusCode::from_u16(499).unwrap(),
        Code::InvalidArgument | Code::FailedPrecondition | Code::OutOfRange => {
            StatusCode::BAD_REQUEST
        }
        Code::DeadlineExceeded => StatusCode::GATEWAY_TIMEOUT,
        Code::NotFound => StatusCode::NOT_FOUND,
        Code::AlreadyExists | Code::Aborted => StatusCode::CONFLICT,
        Code::PermissionDenied => StatusCode::FORBIDDEN,
        Code::Unauthenticated => StatusCode::UNAUTHORIZED,
        Code::ResourceExhausted => StatusCode::TOO_MANY_REQUESTS,
        Code::Unimplemented => StatusCode::NOT_IMPLEMENTED,
        Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        Code::Unknown | Code::Internal | Code::DataLoss => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A tonic codec for prost-reflect messages: encodes any `DynamicMessage`, decodes the
/// method's output type.
#[derive(Clone)]
pub(crate) struct DynamicCodec(pub(crate) MessageDescriptor);

impl Codec for DynamicCodec {
    type Encode = DynamicMessage;
    type Decode = DynamicMessage;
    type Encoder = Self;
    type Decoder = Self;

    fn encoder(&mut self) -> Self {
        self.clone()
    }

    fn decoder(&mut self) -> Self {
        self.clone()
    }
}

impl Encoder for DynamicCodec {
    type Item = DynamicMessage;
    type Error = Status;

    fn encode(&mut self, item: DynamicMessage, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|e| Status::internal(e.to_string()))
    }
}

impl Decoder for DynamicCodec {
    type Item = DynamicMessage;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<DynamicMessage>, Status> {
        DynamicMessage::decode(self.0.clone(), src)
            .map(Some)
            .map_err(|e| Status::internal(e.to_string()))
    }
}
