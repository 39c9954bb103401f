//! `stride.auth.v1.UserService`: the signed-in user's own account.

use shared::error::Violations;
use shared::pb::auth::v1::user_service_server::UserService;
use shared::pb::auth::v1::{
    BeginTotpEnrollmentRequest, BeginTotpEnrollmentResponse, ChangePasswordRequest,
    ConfirmTotpEnrollmentRequest, ConfirmTotpEnrollmentResponse, DeleteMeRequest,
    DisableTotpRequest, ExportMyDataRequest, ExportMyDataResponse, GetAvatarRequest,
    GetAvatarResponse, GetMeRequest, Language, RegenerateRecoveryCodesRequest,
    RegenerateRecoveryCodesResponse, ResendVerificationRequest, SetAvatarRequest,
    SetAvatarResponse, UpdateMeRequest, User,
};
use shared::time::Micros;
use tonic::{Request, Response, Status};
use zeroize::Zeroizing;

use crate::app::AppState;
use crate::domain::password_change::PasswordChange;
use crate::domain::profile::{self, Avatar, Patch};
use crate::domain::values::{Bio, BirthDate, Email, Name, Notes, PresentedPassword};
use crate::domain::{reauth, verification};
use crate::error::{Error, Result};
use crate::rpc::{account, convert, mfa, valid};
use tonic::codegen::BoxStream;

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
pub(crate) struct UserApi {
    state: AppState,
}

impl UserApi {
    /// A handler over the shared state.
    pub(crate) fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl UserService for UserApi {
    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "GetMe", user_id))]
    async fn get_me(&self, request: Request<GetMeRequest>) -> Result<Response<User>, Status> {
        let caller = self.state.caller(&request).await?;
        let user = profile::get_me(&self.state.db, &caller.user_id).await?;
        Ok(Response::new(convert::user(user)))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "UpdateMe", user_id))]
    async fn update_me(&self, request: Request<UpdateMeRequest>) -> Result<Response<User>, Status> {
        let s = &self.state;
        let caller = s.caller(&request).await?;
        let client = s.client(&request);
        let mut req = request.into_inner();
        let password = std::mem::take(&mut req.password);
        let code = Zeroizing::new(std::mem::take(&mut req.mfa_code));
        let patch = Patch::try_from((req, s.clock.now()))?;
        if let Some(email) = &patch.email {
            // Moving the account's address (where reset links go) needs more than a token.
            let current = profile::get_me(&s.db, &caller.user_id).await?;
            let new = email.as_str().to_lowercase() != current.email.to_lowercase()
                && current.pending_email.as_deref() != Some(email.as_str());
            if new {
                let password = match password.is_empty() {
                    true => None,
                    false => Some(
                        PresentedPassword::parse(password, &s.config.password)
                            .map_err(|why| Error::invalid("password", why))?,
                    ),
                };
                reauth::confirm(s, &caller, password, &code, &client).await?;
                verification::count_request(
                    &s.db,
                    &s.clock,
                    &s.config.account,
                    &caller.user_id,
                    &client,
                )
                .await?;
            }
        }
        let user = profile::update_me(
            &s.db,
            &s.clock,
            &s.config.account,
            &caller.user_id,
            patch,
            &client,
        )
        .await?;
        Ok(Response::new(convert::user(user)))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "ChangePassword", user_id))]
    async fn change_password(
        &self,
        request: Request<ChangePasswordRequest>,
    ) -> Result<Response<()>, Status> {
        let s = &self.state;
        let caller = s.caller(&request).await?;
        let client = s.client(&request);
        let req = request.into_inner();
        let current = PresentedPassword::parse(req.current_password, &s.config.password)
            .map_err(|why| Error::invalid("current_password", why))?;
        let change = PasswordChange {
            db: &s.db,
            hasher: &s.hasher,
            clock: &s.clock,
            feed: &s.feed,
            policy: &s.config.password,
            lockout: &s.config.lockout,
        };
        let code = Zeroizing::new(req.mfa_code);
        let second_factor = crate::domain::mfa::require_second_factor(s, &caller, &code, &client);
        change
            .change(
                &caller,
                current,
                Zeroizing::new(req.new_password),
                &client,
                second_factor,
            )
            .await?;
        Ok(Response::new(()))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "SetAvatar", user_id))]
    async fn set_avatar(
        &self,
        request: Request<SetAvatarRequest>,
    ) -> Result<Response<SetAvatarResponse>, Status> {
        let s = &self.state;
        let caller = s.caller(&request).await?;
        let client = s.client(&request);
        let avatar = Avatar::parse(request.into_inner().image)
            .map_err(|why| Error::invalid("image", why))?;
        profile::set_avatar(&s.db, &s.clock, &caller.user_id, &avatar, &client).await?;
        Ok(Response::new(SetAvatarResponse {
            content_type: avatar.content_type.to_owned(),
            size_bytes: i64::try_from(avatar.image.len()).unwrap_or(i64::MAX),
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "GetAvatar", user_id))]
    async fn get_avatar(
        &self,
        request: Request<GetAvatarRequest>,
    ) -> Result<Response<GetAvatarResponse>, Status> {
        let caller = self.state.caller(&request).await?;
        let (content_type, image) = profile::get_avatar(&self.state.db, &caller.user_id).await?;
        Ok(Response::new(GetAvatarResponse {
            image,
            content_type,
        }))
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "ResendVerification", user_id))]
    async fn resend_verification(
        &self,
        request: Request<ResendVerificationRequest>,
    ) -> Result<Response<()>, Status> {
        account::resend_verification(&self.state, request).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "DeleteMe", user_id))]
    async fn delete_me(&self, request: Request<DeleteMeRequest>) -> Result<Response<()>, Status> {
        account::delete_me(&self.state, request).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "ExportMyData", user_id))]
    async fn export_my_data(
        &self,
        request: Request<ExportMyDataRequest>,
    ) -> Result<Response<BoxStream<ExportMyDataResponse>>, Status> {
        account::export_my_data(&self.state, request).await
    }

    #[tracing::instrument(
        level = "debug",
        skip_all,
        fields(rpc = "BeginTotpEnrollment", user_id)
    )]
    async fn begin_totp_enrollment(
        &self,
        request: Request<BeginTotpEnrollmentRequest>,
    ) -> Result<Response<BeginTotpEnrollmentResponse>, Status> {
        mfa::begin_enrollment(&self.state, request).await
    }

    #[tracing::instrument(
        level = "debug",
        skip_all,
        fields(rpc = "ConfirmTotpEnrollment", user_id)
    )]
    async fn confirm_totp_enrollment(
        &self,
        request: Request<ConfirmTotpEnrollmentRequest>,
    ) -> Result<Response<ConfirmTotpEnrollmentResponse>, Status> {
        mfa::confirm_enrollment(&self.state, request).await
    }

    #[tracing::instrument(level = "debug", skip_all, fields(rpc = "DisableTotp", user_id))]
    async fn disable_totp(
        &self,
        request: Request<DisableTotpRequest>,
    ) -> Result<Response<()>, Status> {
        mfa::disable(&self.state, request).await
    }

    #[tracing::instrument(
        level = "debug",
        skip_all,
        fields(rpc = "RegenerateRecoveryCodes", user_id)
    )]
    async fn regenerate_recovery_codes(
        &self,
        request: Request<RegenerateRecoveryCodesRequest>,
    ) -> Result<Response<RegenerateRecoveryCodesResponse>, Status> {
        mfa::regenerate_recovery_codes(&self.state, request).await
    }
}

/// Resolves the mask and parses every addressed field (violations named `user.<path>`), given
/// "now" for the birth date.
impl TryFrom<(UpdateMeRequest, Micros)> for Patch {
    type Error = Error;

    fn try_from((req, now): (UpdateMeRequest, Micros)) -> Result<Self> {
        let user = req.user.unwrap_or_default();
        let p = user.profile.unwrap_or_default();
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
                    patch.first_name = v.check(&field, Name::parse(user.first_name.clone()));
                }
                "last_name" => {
                    patch.last_name = v.check(&field, Name::parse(user.last_name.clone()));
                }
                "email" => patch.email = v.check(&field, Email::parse(user.email.clone())),
                "profile.full_name" => {
                    patch.full_name = v.check(&field, Name::parse(p.full_name.clone()));
                }
                "profile.bio" => patch.bio = v.check(&field, Bio::parse(p.bio.clone())),
                "profile.notes" => patch.notes = v.check(&field, Notes::parse(p.notes.clone())),
                "profile.birth_date" if p.birth_date.is_empty() => patch.birth_date = Some(None),
                "profile.birth_date" => {
                    let date = v.check(&field, BirthDate::parse(p.birth_date.clone(), now));
                    patch.birth_date = date.map(Some);
                }
                "profile.language" => match language(p.language) {
                    Some(code) => patch.language = Some(code),
                    None => v.add(&field, "must be one of EN, ES, FR, AR"),
                },
                _ => {}
            }
        }
        valid(v)?;
        Ok(patch)
    }
}

/// The stored code of a proto language; `None` for UNSPECIFIED and unknown values.
fn language(value: i32) -> Option<&'static str> {
    match Language::try_from(value).ok()? {
        Language::En => Some("EN"),
        Language::Es => Some("ES"),
        Language::Fr => Some("FR"),
        Language::Ar => Some("AR"),
        Language::Unspecified => None,
    }
}
