//! The signed-in user's own fields, profile and avatar.
//!
//! `full_name` rules: it follows first/last name changes while it has never been chosen; a
//! request that sets it marks it chosen (`full_name_custom`), after which name changes leave
//! it alone; setting it to the empty string hands it back to the names. Logins and refreshes
//! never touch it.

use shared::time::Micros;

use crate::app::AppState;
use crate::domain::Client;
use crate::domain::register::{full_name, map_taken};
use crate::error::{Error, Result};
use crate::events::{self, EventType, SecurityEvent};
use crate::store::avatars;
use crate::store::users::{self, ProfileFields, UserFields, UserRow};

/// Largest accepted avatar, in bytes.
pub const MAX_AVATAR_BYTES: usize = 1024 * 1024;

/// A validated partial update; `None` leaves a field as it is.
#[derive(Debug, Default, Clone)]
pub struct Patch {
    /// New given name.
    pub first_name: Option<String>,
    /// New family name.
    pub last_name: Option<String>,
    /// New email.
    pub email: Option<String>,
    /// New display name (empty: follow the names again).
    pub full_name: Option<String>,
    /// New biography.
    pub bio: Option<String>,
    /// New birth date (`None` inside: cleared).
    pub birth_date: Option<Option<String>>,
    /// New notes.
    pub notes: Option<String>,
    /// New language code.
    pub language: Option<&'static str>,
    /// The mask paths applied, for the security event.
    pub paths: Vec<&'static str>,
}

/// Applies `patch` to the user's fields and profile in one transaction, with a
/// `PROFILE_UPDATED` event naming the changed paths.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn update_me(
    state: &AppState,
    user_id: &str,
    patch: Patch,
    client: &Client,
) -> Result<UserRow> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let current = users::get(&mut tx, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if patch.paths.is_empty() {
        return Ok(current);
    }
    let first_name = patch.first_name.as_deref().unwrap_or(&current.first_name);
    let last_name = patch.last_name.as_deref().unwrap_or(&current.last_name);
    let email = patch.email.as_deref().unwrap_or(&current.email);
    let names_changed = first_name != current.first_name || last_name != current.last_name;
    let (full, custom) = match patch.full_name.as_deref() {
        Some("") => (full_name(first_name, last_name), false),
        Some(chosen) => (chosen.to_owned(), true),
        None if names_changed && !current.full_name_custom.0 => {
            (full_name(first_name, last_name), false)
        }
        None => (current.full_name.clone(), current.full_name_custom.0),
    };
    if patch.first_name.is_some() || patch.last_name.is_some() || patch.email.is_some() {
        if email.to_lowercase() != current.email.to_lowercase()
            && users::email_taken_by_other(&mut tx, &email.to_lowercase(), user_id).await?
        {
            return Err(Error::AlreadyExists("EMAIL_TAKEN"));
        }
        users::update_fields(
            &mut tx,
            user_id,
            &UserFields {
                first_name,
                last_name,
                email,
            },
            now,
        )
        .await
        .map_err(map_taken)?;
    }
    let birth_date = match &patch.birth_date {
        Some(date) => date.as_deref(),
        None => current.birth_date.as_deref(),
    };
    users::update_profile(
        &mut tx,
        user_id,
        &ProfileFields {
            full_name: &full,
            full_name_custom: custom,
            bio: patch.bio.as_deref().unwrap_or(&current.bio),
            birth_date,
            notes: patch.notes.as_deref().unwrap_or(&current.notes),
            language: patch.language.unwrap_or(&current.language),
        },
        now,
    )
    .await?;
    record(
        &mut tx,
        EventType::ProfileUpdated,
        user_id,
        client,
        format!("fields: {}", patch.paths.join(", ")),
        now,
    )
    .await?;
    let user = users::get(&mut tx, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    tx.commit().await?;
    Ok(user)
}

/// The media type of an image recognised by its magic bytes: PNG, JPEG or WebP.
pub fn sniff(image: &[u8]) -> Option<&'static str> {
    if image.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if image.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if image.len() >= 12 && &image[..4] == b"RIFF" && &image[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Checks an avatar: a PNG, JPEG or WebP of at most 1 MiB. Returns its media type.
pub fn check_avatar(image: &[u8]) -> Result<&'static str> {
    if image.len() > MAX_AVATAR_BYTES {
        return Err(Error::invalid("image", "must be at most 1 MiB"));
    }
    sniff(image).ok_or_else(|| Error::invalid("image", "must be a PNG, JPEG or WebP image"))
}

/// Stores or replaces the avatar, with an `AVATAR_UPDATED` event.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn set_avatar(
    state: &AppState,
    user_id: &str,
    image: &[u8],
    client: &Client,
) -> Result<&'static str> {
    let content_type = check_avatar(image)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    avatars::upsert(&mut tx, user_id, content_type, image, now).await?;
    record(
        &mut tx,
        EventType::AvatarUpdated,
        user_id,
        client,
        format!("{content_type}, {} bytes", image.len()),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(content_type)
}

async fn record(
    tx: &mut shared::db::Tx,
    kind: EventType,
    user_id: &str,
    client: &Client,
    detail: String,
    now: Micros,
) -> Result<()> {
    events::record(
        tx,
        &SecurityEvent {
            user_id: Some(user_id.to_owned()),
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
            detail,
            ..SecurityEvent::new(kind)
        },
        now,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_magic_bytes_only() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"RIFF\x00\x00\x00\x00WAVEfmt "), None);
        assert_eq!(sniff(b"hello, I am a text file.png"), None);
        assert_eq!(sniff(b""), None);
    }
}
