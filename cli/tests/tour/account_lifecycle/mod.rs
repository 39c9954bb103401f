//! The account's lifecycle through the `stride` binary against a real stack: the mailed
//! verification link, a TOTP second factor (enrolled in two non-interactive halves, with the
//! codes an authenticator app would show computed here from the secret), the two-step login,
//! recovery codes, the data export of both services, deletion, a password reset by mail, and
//! an admin acting on other accounts over the API.
//!
//! `stride dev` writes mail to `./data/mail`; the tests read the links out of those files as a
//! person would out of their mailbox. Each test runs on SQLite (`sqlite::…`) and on PostgreSQL
//! (`postgres::…`, skipped unless `STRIDE_TEST_POSTGRES_URL` is set).
//!
//! Map: `harness` (the stack on a backend, and a person running `stride`), `authenticator`
//! (the codes of the app), `mailbox` (messages and their links); the tests are `own_account`,
//! `password_reset` and `admin`.

mod admin;
mod authenticator;
mod harness;
mod mailbox;
mod own_account;
mod password_reset;

/// Each `module::test`, as `sqlite::<test>` and `postgres::<test>`.
macro_rules! on_both_backends {
    ($($module:ident::$test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $test() {
                    super::$module::$test(testkit::Backend::Sqlite);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $test() {
                    super::$module::$test(testkit::Backend::Postgres);
                }
            )*
        }
    };
}

on_both_backends!(
    own_account::an_account_lives_verifies_signs_in_with_a_second_factor_exports_and_is_deleted,
    password_reset::a_forgotten_password_is_reset_through_the_mailed_link_and_changed_after,
    admin::an_admin_resets_a_second_factor_and_deletes_an_account_over_the_api,
);
