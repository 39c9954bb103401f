//! An admin acting on another person's account over the API (`stride users …`).

use testkit::Backend;

use super::authenticator::{code, enroll};
use super::harness::{Lab, PASSWORD, Person};

pub(super) fn an_admin_resets_a_second_factor_and_deletes_an_account_over_the_api(
    backend: Backend,
) {
    let Some(lab) = Lab::start(backend) else {
        return;
    };
    let root = Person::new(&lab, "root");
    root.ok(&[
        "admin",
        "create",
        "--username",
        "root",
        "--email",
        "root@example.com",
        "--password",
        PASSWORD,
    ]);
    root.ok(&["login", "root"]);

    let carol = Person::new(&lab, "carol");
    let carol_id = carol.register();
    let (totp, confirmed_step, _) = enroll(carol);
    let regenerated = carol.json(&[
        "mfa",
        "recovery-codes",
        "--code",
        &code(&totp, confirmed_step + 1),
    ]);
    assert!(
        regenerated["recoveryCodes"]
            .as_array()
            .is_some_and(|c| c.len() >= 5),
        "{regenerated}"
    );

    // Only admins act on other accounts.
    carol.fails(&["users", "reset-mfa", &carol_id], 1, "PERMISSION_DENIED");
    carol.fails(
        &["users", "delete", &carol_id, "--yes"],
        1,
        "PERMISSION_DENIED",
    );

    // Carol lost her phone and her recovery codes: an admin removes the second factor.
    carol.ok(&["logout"]);
    carol.fails(&["login", "carol"], 2, "--code");
    root.ok(&["users", "reset-mfa", &carol_id]);
    carol.ok(&["login", "carol"]);
    assert_ne!(carol.json(&["me"])["mfaEnabled"], true);

    // Deleting another account asks first, then ends it everywhere.
    root.fails(&["users", "delete", &carol_id], 2, "--yes");
    carol.ok(&["me"]);
    root.ok(&["users", "delete", &carol_id, "--yes"]);
    carol.fails(&["me"], 1, "UNAUTHENTICATED");
    carol.fails(&["login", "carol"], 1, "UNAUTHENTICATED");
    root.fails(&["users", "delete", &carol_id, "--yes"], 1, "NOT_FOUND");
    let own_id = root.json(&["me"])["id"].as_str().unwrap().to_owned();
    root.fails(
        &["users", "delete", &own_id, "--yes"],
        1,
        "CANNOT_DELETE_SELF",
    );
}
