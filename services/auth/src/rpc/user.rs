//! `stride.auth.v1.UserService`: the signed-in user's own account.

use shared::error::Violations;
use shared::pb::auth::v1::user_service_server::UserService;
use shared::pb::auth::v1::{
    ChangePasswordRequest, GetAvatarRequest, GetAvatarResponse, GetMeRequest, Language,
    SetAvatarRequest, SetAvatarResponse, UpdateMeRequest, User,
};
use tonic::{Request, Response, Status};
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::authn::authenticate;
use crate::domain::profile::{self, Patch};
use crate::domain::{account, validate};
use crate::error::Error;
use crate::rpc::{client_info, convert};
use crate::store::{avatars, users};

/// Longest biography, in characters.
const MAX_BIO_CHARS: usize = 1000;
/// Longest notes, in characters.
const MAX_NOTES_CHARS: usize = 2000;

/// Paths `UpdateMe` accepts in its mask.
const UPDATE_ME_PATHS: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "profile.full_name",
    "profile.bio",
    "profile.birth_date",
    "profile.notes",
    "profile.language",
];

/// Handler of `UserService`.
#[derive(Debug, Clone)]
pub struct UserApi {
    state: AppState,
}

impl UserApi {
    /// A handler over the shared state.
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl UserService for UserApi {
    #[tracing::instrument(skip_all, fields(rpc = "GetMe", user_id))]
    async fn get_me(&self, request: Request<GetMeRequest>) -> Result<Response<User>, Status> {
        let caller = authenticate(&self.state, &request).await?;
        let mut conn = self.state.db.pool().acquire().await.map_err(Error::from)?;
        let user = users::get(&mut conn, &caller.user_id)
            .await
            .map_err(Error::from)?
            .ok_or(Error::NotFound("user"))?;
        Ok(Response::new(convert::user(user)))
    }

    #[tracing::instrument(skip_all, fields(rpc = "UpdateMe", user_id))]
    async fn update_me(&self, request: Request<UpdateMeRequest>) -> Result<Response<User>, Status> {
        let caller = authenticate(&self.state, &request).await?;
        let client = client_info(&request, self.state.config.trust_forwarded_for);
        let patch = parse_patch(request.into_inner(), self.state.clock.now())?;
        let user = profile::update_me(&self.state, &caller.user_id, patch, &client).await?;
        Ok(Response::new(convert::user(user)))
    }

    #[tracing::instrument(skip_all, fields(rpc = "ChangePassword", user_id))]
    async fn change_password(
        &self,
        request: Request<ChangePasswordRequest>,
    ) -> Result<Response<()>, Status> {
        let caller = authenticate(&self.state, &request).await?;
        let client = client_info(&request, self.state.config.trust_forwarded_for);
        let req = request.into_inner();
        let mut v = Violations::new();
        if req.current_password.is_empty() {
            v.add("current_password", "must not be empty");
        } else if req.current_password.chars().count() > self.state.config.password.max_length {
            v.add("current_password", "is longer than any stored password");
        }
        if !v.is_empty() {
            return Err(Error::from(v).into());
        }
        account::change_password(
            &self.state,
            &caller,
            Zeroizing::new(req.current_password),
            Zeroizing::new(req.new_password),
            &client,
        )
        .await?;
        Ok(Response::new(()))
    }

    #[tracing::instrument(skip_all, fields(rpc = "SetAvatar", user_id))]
    async fn set_avatar(
        &self,
        request: Request<SetAvatarRequest>,
    ) -> Result<Response<SetAvatarResponse>, Status> {
        let caller = authenticate(&self.state, &request).await?;
        let client = client_info(&request, self.state.config.trust_forwarded_for);
        let image = request.into_inner().image;
        let content_type =
            profile::set_avatar(&self.state, &caller.user_id, &image, &client).await?;
        Ok(Response::new(SetAvatarResponse {
            content_type: content_type.to_owned(),
            size_bytes: i64::try_from(image.len()).unwrap_or(i64::MAX),
        }))
    }

    #[tracing::instrument(skip_all, fields(rpc = "GetAvatar", user_id))]
    async fn get_avatar(
        &self,
        request: Request<GetAvatarRequest>,
    ) -> Result<Response<GetAvatarResponse>, Status> {
        let caller = authenticate(&self.state, &request).await?;
        let mut conn = self.state.db.pool().acquire().await.map_err(Error::from)?;
        let (content_type, image) = avatars::get(&mut conn, &caller.user_id)
            .await
            .map_err(Error::from)?
            .ok_or(Error::NotFound("avatar"))?;
        Ok(Response::new(GetAvatarResponse {
            image,
            content_type,
        }))
    }
}

/// Resolves the mask and validates every addressed field (violations named `user.<path>`).
fn parse_patch(req: UpdateMeRequest, now: shared::time::Micros) -> Result<Patch, Error> {
    let user = req.user.unwrap_or_default();
    let p = user.profile.clone().unwrap_or_default();
    let mut populated = Vec::new();
    for (path, set) in [
        ("first_name", !user.first_name.is_empty()),
        ("last_name", !user.last_name.is_empty()),
        ("email", !user.email.is_empty()),
        ("profile.full_name", !p.full_name.is_empty()),
        ("profile.bio", !p.bio.is_empty()),
        ("profile.birth_date", !p.birth_date.is_empty()),
        ("profile.notes", !p.notes.is_empty()),
        ("profile.language", p.language != 0),
    ] {
        if set {
            populated.push(path);
        }
    }
    let paths = shared::mask::paths(req.update_mask.as_ref(), UPDATE_ME_PATHS, &populated)?;
    let mut v = Violations::new();
    let mut patch = Patch {
        paths: paths.clone(),
        ..Patch::default()
    };
    for path in paths {
        let field = format!("user.{path}");
        match path {
            "first_name" => {
                v.check(
                    &field,
                    validate::text(&user.first_name, validate::MAX_NAME_CHARS),
                );
                patch.first_name = Some(user.first_name.clone());
            }
            "last_name" => {
                v.check(
                    &field,
                    validate::text(&user.last_name, validate::MAX_NAME_CHARS),
                );
                patch.last_name = Some(user.last_name.clone());
            }
            "email" => {
                v.check(&field, validate::email(&user.email));
                patch.email = Some(user.email.clone());
            }
            "profile.full_name" => {
                v.check(
                    &field,
                    validate::text(&p.full_name, validate::MAX_NAME_CHARS),
                );
                patch.full_name = Some(p.full_name.clone());
            }
            "profile.bio" => {
                v.check(&field, validate::text(&p.bio, MAX_BIO_CHARS));
                patch.bio = Some(p.bio.clone());
            }
            "profile.notes" => {
                v.check(&field, validate::text(&p.notes, MAX_NOTES_CHARS));
                patch.notes = Some(p.notes.clone());
            }
            "profile.birth_date" => {
                if p.birth_date.is_empty() {
                    patch.birth_date = Some(None);
                } else if let Some(date) = v.check(&field, birth_date(&p.birth_date, now)) {
                    patch.birth_date = Some(Some(date));
                }
            }
            "profile.language" => {
                let code = match Language::try_from(p.language) {
                    Ok(Language::En) => Some("EN"),
                    Ok(Language::Es) => Some("ES"),
                    Ok(Language::Fr) => Some("FR"),
                    Ok(Language::Ar) => Some("AR"),
                    _ => None,
                };
                match code {
                    Some(code) => patch.language = Some(code),
                    None => v.add(&field, "must be one of EN, ES, FR, AR"),
                }
            }
            _ => {}
        }
    }
    v.into_result()?;
    Ok(patch)
}

/// An ISO `YYYY-MM-DD` date, not in the future.
fn birth_date(raw: &str, now: shared::time::Micros) -> Result<String, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(raw, &format)
        .map_err(|_| "must be a date written YYYY-MM-DD".to_owned())?;
    let today = time::OffsetDateTime::from_unix_timestamp(now.div_euclid(1_000_000))
        .map_err(|_| "cannot compare with today".to_owned())?
        .date();
    if date > today {
        return Err("must not be in the future".into());
    }
    Ok(raw.to_owned())
}
