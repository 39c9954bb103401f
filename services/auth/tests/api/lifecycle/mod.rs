//! The account lifecycle: deletion (by the user and by an admin), the data export, email
//! verification and password reset by mail.

mod deletion;
mod export;
mod reset;
mod verification;

use shared::pb::auth::v1::{DeleteMeRequest, GetMeRequest};
use testkit::mail::Mailbox;
use testkit::{Backend, TestAuth};
use tonic::Status;

use crate::helpers::*;

/// `UserService.DeleteMe` with `password` (empty: rely on a recent sign-in).
async fn delete_me(auth: &TestAuth, token: &str, password: &str) -> Result<(), Status> {
    user_client(auth)
        .await
        .delete_me(bearer(
            DeleteMeRequest {
                password: password.to_owned(),
                mfa_code: String::new(),
            },
            token,
        ))
        .await
        .map(|_| ())
}

/// `GetMe`'s status with `token`.
async fn get_me(auth: &TestAuth, token: &str) -> Result<shared::pb::auth::v1::User, Status> {
    user_client(auth)
        .await
        .get_me(bearer(GetMeRequest {}, token))
        .await
        .map(|r| r.into_inner())
}

/// An auth service sending its mail to a fresh SMTP server (`None`: skipped).
async fn with_mailbox(
    backend: Backend,
    adjust: impl FnOnce(&mut stride_auth::Config),
) -> Option<(TestAuth, Mailbox)> {
    let mailbox = Mailbox::start().await?;
    let auth = TestAuth::spawn_with(backend, |c| {
        mailbox.configure(c);
        adjust(c);
    })
    .await;
    Some((auth, mailbox))
}

/// Rows of `table` whose `column` is `user_id`.
async fn rows_of(auth: &TestAuth, table: &str, column: &str, user_id: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1"))
        .bind(user_id)
        .fetch_one(auth.db.pool())
        .await
        .unwrap()
}
