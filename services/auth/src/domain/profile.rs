//! The signed-in user's own fields, profile and avatar.
//!
//! `full_name` rules: it follows first/last name changes while it has never been chosen; a
//! request that sets it marks it chosen (`full_name_custom`), after which name changes leave
//! it alone; setting it to the empty string hands it back to the names. Logins and refreshes
//! never touch it.

use shared::db::{Db, Tx};
use shared::time::Micros;

use crate::clock::Clock;
use crate::config::AccountConfig;
use crate::domain::Client;
use crate::domain::register::{full_name, map_taken};
use crate::domain::security_events::{self, EventType, SecurityEvent};
use crate::domain::values::{Bio, BirthDate, Email, Name, Notes};
use crate::domain::verification::{self, Purpose};
use crate::error::{Error, Result};
use crate::mail::{self, Outgoing, Template};
use crate::store::account_tokens::{self, VERIFY_EMAIL};
use crate::store::avatars;
use crate::store::users::{self, ProfileFields, UserFields, UserRow};

/// Largest accepted avatar, in bytes.
const MAX_AVATAR_BYTES: usize = 1024 * 1024;

/// A validated partial update; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub(crate) struct Patch {
    /// New given name.
    pub first_name: Option<Name>,
    /// New family name.
    pub last_name: Option<Name>,
    /// New email.
    pub email: Option<Email>,
    /// New display name (empty: follow the names again).
    pub full_name: Option<Name>,
    /// New biography.
    pub bio: Option<Bio>,
    /// New birth date (`None` inside: cleared).
    pub birth_date: Option<Option<BirthDate>>,
    /// New notes.
    pub notes: Option<Notes>,
    /// New language code (`EN`, `ES`, `FR`, `AR`).
    pub language: Option<&'static str>,
    /// The mask paths applied, for the security event.
    pub paths: Vec<&'static str>,
}

/// The user with its profile; NOT_FOUND if it is gone.
pub(crate) async fn get_me(db: &Db, user_id: &str) -> Result<UserRow> {
    let mut conn = db.read().await?;
    users::get(&mut conn, user_id)
        .await?
        .ok_or(Error::NotFound("user"))
}

/// Applies `patch` to the user's fields and profile in one transaction, with a
/// `PROFILE_UPDATED` event naming the changed paths.
///
/// A new email address (other than the current one in any case) does not replace the email:
/// it becomes the pending address, a verification link goes to it and the current address is
/// told (`domain::verification`). Asking for the current address again cancels a pending
/// change; a change of case only is applied at once (the same mailbox).
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn update_me(
    db: &Db,
    clock: &Clock,
    account: &AccountConfig,
    user_id: &str,
    patch: Patch,
    client: &Client,
) -> Result<UserRow> {
    let now = clock.now();
    let mut tx = db.begin().await?;
    let current = users::get(&mut tx, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if patch.paths.is_empty() {
        return Ok(current);
    }
    let first_name = patch
        .first_name
        .as_ref()
        .map_or(&*current.first_name, Name::as_str);
    let last_name = patch
        .last_name
        .as_ref()
        .map_or(&*current.last_name, Name::as_str);
    let requested = patch.email.as_ref().map(Email::as_str);
    let new_address = requested.filter(|e| e.to_lowercase() != current.email.to_lowercase());
    // The email itself changes only in case; a new address waits for its verification.
    let email = match requested {
        Some(e) if new_address.is_none() => e,
        _ => &*current.email,
    };
    let names_changed = first_name != current.first_name || last_name != current.last_name;
    let (full, custom) = match patch.full_name.as_ref().map(Name::as_str) {
        Some("") => (full_name(first_name, last_name), false),
        Some(chosen) => (chosen.to_owned(), true),
        None if names_changed && !current.full_name_custom.0 => {
            (full_name(first_name, last_name), false)
        }
        None => (current.full_name.clone(), current.full_name_custom.0),
    };
    if let Some(address) = new_address {
        if users::email_taken_by_other(&mut tx, &address.to_lowercase(), user_id).await? {
            return Err(Error::AlreadyExists("EMAIL_TAKEN"));
        }
        if current.pending_email.as_deref() != Some(address) {
            users::set_pending_email(&mut tx, user_id, Some(address), now).await?;
            verification::send(
                &mut tx,
                account,
                user_id,
                &current.username,
                address,
                Purpose::Change,
                client,
                now,
            )
            .await?;
            let notice = Outgoing {
                to: current.email.clone(),
                username: current.username.clone(),
                template: Template::EmailChangeRequested {
                    new_email: address.to_owned(),
                },
            };
            mail::enqueue(&mut tx, now, &notice).await?;
        }
    } else if requested.is_some() && current.pending_email.is_some() {
        users::set_pending_email(&mut tx, user_id, None, now).await?;
        account_tokens::forget_unused(&mut tx, user_id, VERIFY_EMAIL).await?;
    }
    if patch.first_name.is_some() || patch.last_name.is_some() || patch.email.is_some() {
        let fields = UserFields {
            first_name,
            last_name,
            email,
        };
        users::update_fields(&mut tx, user_id, &fields, now)
            .await
            .map_err(map_taken)?;
    }
    let birth_date = match patch.birth_date {
        Some(date) => date.map(BirthDate::into_string),
        None => current.birth_date.clone(),
    };
    let fields = ProfileFields {
        full_name: &full,
        full_name_custom: custom,
        bio: patch.bio.as_ref().map_or(&*current.bio, Bio::as_str),
        birth_date: birth_date.as_deref(),
        notes: patch.notes.as_ref().map_or(&*current.notes, Notes::as_str),
        language: patch.language.unwrap_or(&current.language),
    };
    users::update_profile(&mut tx, user_id, &fields, now).await?;
    let detail = format!("fields: {}", patch.paths.join(", "));
    record(
        &mut tx,
        EventType::ProfileUpdated,
        user_id,
        client,
        detail,
        now,
    )
    .await?;
    let user = users::get(&mut tx, user_id)
        .await?
        .ok_or(Error::NotFound("user"))?;
    tx.commit().await?;
    Ok(user)
}

/// An avatar: a PNG, JPEG or WebP image (recognised by its magic bytes) of at most 1 MiB.
#[derive(Debug)]
pub(crate) struct Avatar {
    /// The image bytes.
    pub image: Vec<u8>,
    /// Its media type.
    pub content_type: &'static str,
}

impl Avatar {
    /// Parses an uploaded image.
    pub(crate) fn parse(image: Vec<u8>) -> Result<Self, String> {
        if image.len() > MAX_AVATAR_BYTES {
            return Err("must be at most 1 MiB".into());
        }
        let content_type = sniff(&image).ok_or("must be a PNG, JPEG or WebP image")?;
        Ok(Self {
            image,
            content_type,
        })
    }
}

/// The media type of an image recognised by its magic bytes: PNG, JPEG or WebP.
fn sniff(image: &[u8]) -> Option<&'static str> {
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

/// Stores or replaces the avatar, with an `AVATAR_UPDATED` event.
#[tracing::instrument(skip_all, fields(user_id))]
pub(crate) async fn set_avatar(
    db: &Db,
    clock: &Clock,
    user_id: &str,
    avatar: &Avatar,
    client: &Client,
) -> Result<()> {
    let now = clock.now();
    let mut tx = db.begin().await?;
    avatars::upsert(&mut tx, user_id, avatar.content_type, &avatar.image, now).await?;
    let detail = format!("{}, {} bytes", avatar.content_type, avatar.image.len());
    record(
        &mut tx,
        EventType::AvatarUpdated,
        user_id,
        client,
        detail,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The user's avatar: `(content_type, image)`; NOT_FOUND when none is stored.
pub(crate) async fn get_avatar(db: &Db, user_id: &str) -> Result<(String, Vec<u8>)> {
    let mut conn = db.read().await?;
    avatars::get(&mut conn, user_id)
        .await?
        .ok_or(Error::NotFound("avatar"))
}

async fn record(
    tx: &mut Tx,
    kind: EventType,
    user_id: &str,
    client: &Client,
    detail: String,
    now: Micros,
) -> Result<()> {
    let event = SecurityEvent::new(kind)
        .user(user_id)
        .by(client)
        .detail(detail);
    security_events::record(tx, &event, now).await?;
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

    #[test]
    fn avatars_are_bounded() {
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_AVATAR_BYTES + 1, 0);
        assert!(Avatar::parse(big).is_err());
        assert!(Avatar::parse(b"\x89PNG\r\n\x1a\n".to_vec()).is_ok());
    }
}
