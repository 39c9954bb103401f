//! `GET /admin/users/{id}/avatar`: a user's avatar as auth stores it, for the admin user page.
//! Only the three image types auth accepts are served (anything else is not an image here),
//! and never cached: it is personal data behind a sign-in.

use axum::extract::Path;
use axum::response::IntoResponse;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use shared::pb::auth::v1::GetUserAvatarRequest;
use tonic::Code;

use crate::error::{ConsoleError, PageResult};
use crate::extract::Admin;

/// The media type to serve for what auth says the image is, if it is one of ours.
fn served_type(content_type: &str) -> Option<&'static str> {
    match content_type {
        "image/png" => Some("image/png"),
        "image/jpeg" => Some("image/jpeg"),
        "image/webp" => Some("image/webp"),
        _ => None,
    }
}

/// `GET /admin/users/{id}/avatar`.
pub(super) async fn show(Admin(admin): Admin, Path(id): Path<String>) -> PageResult {
    let request = GetUserAvatarRequest { user_id: id };
    let avatar = admin
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.admin().get_user_avatar(request).await }
        })
        .await;
    let avatar = match avatar {
        Ok(avatar) => avatar,
        Err(ConsoleError::Rpc(status))
            if matches!(status.code(), Code::NotFound | Code::InvalidArgument) =>
        {
            return Err(ConsoleError::NotFound);
        }
        Err(other) => return Err(other),
    };
    let Some(content_type) = served_type(&avatar.content_type) else {
        tracing::warn!("an avatar of an unexpected type was not served");
        return Err(ConsoleError::NotFound);
    };
    Ok((
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "private, no-store"),
        ],
        avatar.image,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_images_auth_accepts_are_served() {
        assert_eq!(served_type("image/png"), Some("image/png"));
        assert_eq!(served_type("image/webp"), Some("image/webp"));
        assert_eq!(served_type("image/svg+xml"), None);
        assert_eq!(served_type("text/html"), None);
        assert_eq!(served_type(""), None);
    }
}
