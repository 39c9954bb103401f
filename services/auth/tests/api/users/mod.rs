//! UserService: profile updates with masks, full_name rules, password change, avatars.

mod account;
mod profile;

use prost_types::FieldMask;
use shared::pb::auth::v1::{
    ChangePasswordRequest, GetAvatarRequest, GetMeRequest, Language, Profile, SetAvatarRequest,
    UpdateMeRequest, User,
};
use testkit::{Backend, TestAuth};
use tonic::Code;

use crate::helpers::*;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

fn update(user: User, paths: &[&str]) -> UpdateMeRequest {
    UpdateMeRequest {
        user: Some(user),
        update_mask: if paths.is_empty() { None } else { mask(paths) },
        ..UpdateMeRequest::default()
    }
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];
const WEBP: &[u8] = b"RIFF\x24\0\0\0WEBPVP8 ";
