//! The profile picture: the upload form (`POST /profile/avatar`, multipart, so it checks its
//! CSRF field itself) and the image (`GET /avatar`), served only as PNG, JPEG or WebP and never
//! cached.

use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError};
use axum::response::IntoResponse as _;
use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::request::Parts;
use maud::{Markup, html};
use shared::pb::auth::v1::{GetAvatarRequest, SetAvatarRequest};
use tonic::Code;

use super::{Refused, done, local_error, refused_page};
use crate::error::{ConsoleError, PageResult, http_status};
use crate::extract::{self, SignedIn};
use crate::feedback::Feedback;
use crate::ui::{self, form};

/// Largest picture the API takes.
const MAX_AVATAR_BYTES: usize = 1024 * 1024;
/// Longest CSRF field read.
const MAX_CSRF_BYTES: usize = 256;
/// The file input's name; its errors are the API's `image` field.
const FILE_FIELD: &str = "avatar";
/// The media types served from `GET /avatar`.
const SERVED_TYPES: [&str; 3] = ["image/png", "image/jpeg", "image/webp"];
/// A transparent pixel: the preview before a picture is chosen.
const BLANK: &str = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==";
/// What the file input says when the picture is too large.
const TOO_LARGE: &str = "The picture must be at most 1 MiB.";

/// A part of the form read with a bound.
enum Read {
    /// Its bytes.
    Bytes(Vec<u8>),
    /// It was longer than the bound.
    TooLarge,
}

/// Reads `field` up to `max` bytes.
async fn read_bounded(mut field: Field<'_>, max: usize) -> Result<Read, MultipartError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        if bytes.len() + chunk.len() > max {
            return Ok(Read::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Read::Bytes(bytes))
}

/// The posted form: its CSRF field and the chosen file.
#[derive(Debug, Default)]
struct Upload {
    csrf: String,
    image: Option<Vec<u8>>,
    too_large: bool,
}

/// Reads the multipart form, bounding each part; parts of other names are skipped.
async fn read_upload(multipart: &mut Multipart) -> Result<Upload, MultipartError> {
    let mut upload = Upload::default();
    while let Some(field) = multipart.next_field().await? {
        match field.name() {
            Some(form::CSRF_FIELD) => {
                if let Read::Bytes(bytes) = read_bounded(field, MAX_CSRF_BYTES).await? {
                    upload.csrf = String::from_utf8(bytes).unwrap_or_default();
                }
            }
            Some(FILE_FIELD) => match read_bounded(field, MAX_AVATAR_BYTES).await? {
                Read::Bytes(bytes) => upload.image = Some(bytes),
                Read::TooLarge => upload.too_large = true,
            },
            _ => {}
        }
    }
    Ok(upload)
}

/// `POST /profile/avatar`.
pub(super) async fn upload(user: SignedIn, parts: Parts, mut multipart: Multipart) -> PageResult {
    if extract::cross_site(&parts) {
        return Err(ConsoleError::Csrf);
    }
    let upload = match read_upload(&mut multipart).await {
        Ok(upload) => upload,
        Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let refused = Refused::Avatar(local_error("image", TOO_LARGE));
            return refused_page(&user, StatusCode::PAYLOAD_TOO_LARGE, refused).await;
        }
        Err(err) => return Err(ConsoleError::BadForm(err.body_text())),
    };
    if !extract::csrf_matches(user.csrf(), &upload.csrf) {
        return Err(ConsoleError::Csrf);
    }
    let image = match upload.image {
        _ if upload.too_large => {
            let refused = Refused::Avatar(local_error("image", TOO_LARGE));
            return refused_page(&user, StatusCode::PAYLOAD_TOO_LARGE, refused).await;
        }
        Some(image) if !image.is_empty() => image,
        _ => {
            let refused = Refused::Avatar(local_error("image", "Choose a picture first."));
            return refused_page(&user, StatusCode::BAD_REQUEST, refused).await;
        }
    };
    let result = user
        .api
        .call(|c| {
            let image = image.clone();
            async move { c.users().set_avatar(SetAvatarRequest { image }).await }
        })
        .await;
    match result {
        Ok(_) => Ok(done("avatar")),
        Err(ConsoleError::Rpc(status)) => {
            let refused = Refused::Avatar(Feedback::from_status(&status));
            refused_page(&user, http_status(&status), refused).await
        }
        Err(other) => Err(other),
    }
}

/// `GET /avatar`: the signed-in user's picture; 404 when there is none or it is not one of
/// the served types.
pub(super) async fn serve(user: SignedIn) -> PageResult {
    let avatar = user
        .api
        .call(|c| async move { c.users().get_avatar(GetAvatarRequest {}).await })
        .await
        .map_err(|err| match err {
            ConsoleError::Rpc(status) if status.code() == Code::NotFound => ConsoleError::NotFound,
            other => other,
        })?;
    let content_type = servable(&avatar.content_type).ok_or(ConsoleError::NotFound)?;
    Ok((
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "private, no-store"),
        ],
        avatar.image,
    )
        .into_response())
}

/// `content_type` when it is one of [`SERVED_TYPES`].
fn servable(content_type: &str) -> Option<&'static str> {
    SERVED_TYPES
        .iter()
        .copied()
        .find(|served| *served == content_type)
}

/// The upload form, with its error when it was refused.
pub(super) fn section(user: &SignedIn, refused: &Refused) -> Markup {
    let none = Feedback::default();
    let feedback = match refused {
        Refused::Avatar(feedback) => feedback,
        _ => &none,
    };
    let has_avatar = user.me.profile.as_ref().is_some_and(|p| p.has_avatar);
    form_markup(user.csrf(), has_avatar, feedback)
}

/// The upload form: a preview, the file input and its error.
fn form_markup(csrf: &str, has_avatar: bool, feedback: &Feedback) -> Markup {
    let error = feedback.for_field("image");
    let id = format!("f-{FILE_FIELD}");
    let error_id = format!("{id}-error");
    html! {
        section class="card" aria-labelledby="avatar-title" {
            h2 id="avatar-title" { "Picture" }
            (ui::notice(feedback))
            form id="avatar-form" method="post" action="/profile/avatar" enctype="multipart/form-data" class="stack" {
                (form::csrf(csrf))
                div class="profile-head" {
                    img id="avatar-preview" class="avatar" width="96" height="96"
                        src=(if has_avatar { "/avatar" } else { BLANK })
                        alt="Preview of your picture";
                    div class={ "field" @if error.is_some() { " invalid" } } {
                        label for=(id) { "Choose a picture (PNG, JPEG or WebP, at most 1 MiB)" }
                        input id=(id) name=(FILE_FIELD) type="file" accept="image/png,image/jpeg,image/webp"
                            data-preview="avatar-preview"
                            aria-invalid=[error.map(|_| "true")]
                            aria-describedby=[error.map(|_| error_id.as_str())];
                        @if let Some(error) = error {
                            p class="field-error" id=(error_id) { (error) }
                        }
                    }
                }
                div class="actions" {
                    button type="submit" class="primary" { "Upload picture" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_images_are_served() {
        assert_eq!(servable("image/png"), Some("image/png"));
        assert_eq!(servable("image/webp"), Some("image/webp"));
        assert_eq!(servable("image/svg+xml"), None);
        assert_eq!(servable("text/html"), None);
        assert_eq!(servable(""), None);
    }

    #[test]
    fn the_file_error_sits_beside_the_file_input() {
        let feedback = Feedback::field("image", "Must be a PNG, JPEG or WebP image.");
        let html = form_markup("csrf", false, &feedback).into_string();
        assert!(html.contains("aria-describedby=\"f-avatar-error\""));
        assert!(html.contains("id=\"f-avatar-error\">Must be a PNG, JPEG or WebP image.<"));
        assert!(html.contains("enctype=\"multipart/form-data\""));
        assert!(html.contains("data-preview=\"avatar-preview\""));
    }
}
