//! Requests and channels that present an access token as `authorization: Bearer <token>`.

use tonic::metadata::AsciiMetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Request, Status};

/// `message` with `authorization: Bearer <token>`.
pub fn bearer<T>(message: T, token: &str) -> Request<T> {
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ASCII token"),
    );
    request
}

/// A channel whose every request carries what its [`Bearer`] adds; any generated client
/// wraps it (`WorkoutServiceClient::new(channel.clone())`).
pub type AuthorisedChannel = InterceptedService<Channel, Bearer>;

/// `channel`, sending `token` with every request.
pub fn authorised(channel: Channel, token: &str) -> AuthorisedChannel {
    InterceptedService::new(channel, Bearer::new(token))
}

/// Adds `authorization` to every request: a bearer token, a raw value, or nothing.
#[derive(Debug, Clone)]
pub struct Bearer {
    authorization: Option<AsciiMetadataValue>,
}

impl Bearer {
    /// Sends `token` (which may be anything, to test rejections).
    pub fn new(token: &str) -> Self {
        Self::raw(&format!("Bearer {token}"))
    }

    /// Sends exactly `value` as `authorization`.
    pub fn raw(value: &str) -> Self {
        Self {
            authorization: Some(value.parse().expect("ASCII header")),
        }
    }

    /// Sends no `authorization` at all.
    pub fn none() -> Self {
        Self {
            authorization: None,
        }
    }
}

impl Interceptor for Bearer {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        if let Some(value) = &self.authorization {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}
