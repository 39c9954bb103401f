//! Checks of `shared`'s parsers on untrusted bytes, for the fuzz targets and for
//! `shared/tests/corpus.rs` (which compiles this file with `#[path]`). Each returns whether
//! the input was accepted, or `Err` naming an invariant the parser broke.

use std::str::FromStr as _;

use shared::config::{parse_duration, redact_url};
use shared::db::{Backend, DatabaseUrl};
use shared::error::Violations;
use shared::paging::{self, MAX_PAGE_SIZE, PageRequest};

/// The filters of the listing the page-token seeds were issued for.
pub const PAGE_FILTERS: [&str; 2] = ["fuzz", "listing"];

/// The keyset position most listings use: a sort key and an id.
type Position = (i64, String);

/// A page token for the listing of [`PAGE_FILTERS`]: accepted when it names a position.
/// Invariants: that position re-encodes to a token naming it again, and `PageRequest::parse`
/// agrees with `decode_token` and keeps the size within bounds whatever the token.
pub fn page_token(bytes: &[u8]) -> Result<bool, String> {
    let Ok(token) = std::str::from_utf8(bytes) else {
        return Ok(false);
    };
    let fingerprint = paging::fingerprint(&PAGE_FILTERS);
    let decoded = paging::decode_token::<Position>(token, &fingerprint)
        .ok()
        .flatten();
    if let Some(key) = &decoded {
        let again = paging::encode_token(&fingerprint, key);
        let round_trip = paging::decode_token::<Position>(&again, &fingerprint);
        if round_trip.as_ref().ok() != Some(&decoded) {
            return Err(format!(
                "{key:?} re-encoded as {again:?} reads {round_trip:?}"
            ));
        }
    }
    for size in [-1, 0, 1, i32::MAX] {
        let mut violations = Violations::new();
        let page = PageRequest::<Position>::parse(size, token, &PAGE_FILTERS, &mut violations);
        if !(1..=MAX_PAGE_SIZE).contains(&page.size) {
            return Err(format!("page_size {size} became {}", page.size));
        }
        if page.after != decoded {
            return Err(format!("parse read {:?}, decode {decoded:?}", page.after));
        }
    }
    Ok(decoded.is_some())
}

/// The fields of the update the mask seeds are written for.
const UPDATABLE: [&str; 4] = ["title", "date", "notes", "workout_type"];

/// A field mask, its paths separated by commas, for an update of [`UPDATABLE`] that
/// populates `notes`. Invariants: an accepted mask yields exactly its paths (or the populated
/// ones when empty) once each, in declaration order; a refused one names each unknown path on
/// `update_mask`.
pub fn field_mask(bytes: &[u8]) -> Result<bool, String> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(false);
    };
    let mask = prost_types::FieldMask {
        paths: text.split(',').map(str::to_owned).collect(),
    };
    let populated = ["notes"];
    let requested: Vec<&str> = if text.is_empty() {
        populated.to_vec()
    } else {
        mask.paths.iter().map(String::as_str).collect()
    };
    let mask = (!text.is_empty()).then_some(&mask);
    match shared::mask::paths(mask, &UPDATABLE, &populated) {
        Ok(paths) => {
            let expected: Vec<&str> = UPDATABLE
                .into_iter()
                .filter(|p| requested.contains(p))
                .collect();
            if paths != expected {
                return Err(format!("{requested:?} resolved to {paths:?}"));
            }
            Ok(true)
        }
        Err(violations) => {
            let unknown = requested.iter().filter(|p| !UPDATABLE.contains(p)).count();
            let fields = violations.fields();
            if fields.len() != unknown || fields.iter().any(|v| v.field != "update_mask") {
                return Err(format!("{unknown} unknown paths reported as {violations}"));
            }
            Ok(false)
        }
    }
}

/// A database URL (`STRIDE_DATABASE_URL`). Invariants: an accepted URL parses again to
/// itself, names a SQLite path exactly when it is SQLite, and neither its `Debug` form nor
/// `redact_url` (used when reporting a bad one) shows its password.
pub fn database_url(bytes: &[u8]) -> Result<bool, String> {
    let Ok(raw) = std::str::from_utf8(bytes) else {
        return Ok(false);
    };
    if let Some(password) = password(raw)
        && redact_url(raw).contains(&password)
    {
        return Err(format!("redact_url shows the password of {raw:?}"));
    }
    let Ok(parsed) = DatabaseUrl::from_str(raw) else {
        return Ok(false);
    };
    if DatabaseUrl::from_str(parsed.as_str()).as_ref() != Ok(&parsed) {
        return Err(format!("{raw:?} does not parse again to itself"));
    }
    if parsed.sqlite_path().is_some() != (parsed.backend() == Backend::Sqlite) {
        return Err(format!("{raw:?}: SQLite path and backend disagree"));
    }
    if let Some(password) = password(parsed.as_str())
        && format!("{parsed:?}").contains(&password)
    {
        return Err(format!("the Debug form of {raw:?} shows its password"));
    }
    Ok(true)
}

/// The password of a `scheme://user:password@host` URL as `:password@`, when the `url`
/// crate finds one that cannot be mistaken for other text: spelled once both in `raw` and in
/// the parsed URL (the parser drops tabs and newlines, so `secr\ret` in the userinfo and
/// `secret` elsewhere would otherwise look like a leak), and not `redacted` itself.
fn password(raw: &str) -> Option<String> {
    let url = url::Url::parse(raw).ok()?;
    let password = url.password()?;
    let marked = format!(":{password}@");
    let once = |text: &str| text.matches(&marked).count() == 1;
    (password != "redacted" && once(raw) && once(url.as_str())).then_some(marked)
}

/// A duration (`Env::duration`, through `parse_duration`). Invariant: every accepted
/// duration is whole milliseconds and reads back the same written in `ms`.
pub fn duration(bytes: &[u8]) -> Result<bool, String> {
    let Ok(raw) = std::str::from_utf8(bytes) else {
        return Ok(false);
    };
    let Ok(parsed) = parse_duration(raw) else {
        return Ok(false);
    };
    if parsed.subsec_nanos() % 1_000_000 != 0 {
        return Err(format!("{raw:?} is not whole milliseconds: {parsed:?}"));
    }
    let millis = parsed.as_millis();
    if u64::try_from(millis).is_ok() && parse_duration(&format!("{millis}ms")) != Ok(parsed) {
        return Err(format!(
            "{raw:?} = {parsed:?} does not read back as {millis}ms"
        ));
    }
    Ok(true)
}
