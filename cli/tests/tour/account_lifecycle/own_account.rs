//! One person's account from registration to deletion.

use testkit::Backend;

use super::authenticator::{code, enroll, wrong_code};
use super::harness::{Lab, Person};
use super::mailbox::{link, mail};

pub(super) fn an_account_lives_verifies_signs_in_with_a_second_factor_exports_and_is_deleted(
    backend: Backend,
) {
    let Some(lab) = Lab::start(backend) else {
        return;
    };
    let stack = &lab.stack;
    let banner = std::fs::read_to_string(stack.dir().join("stack.out")).unwrap();
    assert!(
        banner.contains(
            "  mail     data/mail/  (messages are written here; STRIDE_SMTP_URL sends them)"
        ),
        "the banner does not say where mail goes:\n{banner}"
    );
    let ada = Person::new(&lab, "ada");
    let registered = ada.ok(&[
        "register",
        "--username",
        "ada",
        "--email",
        "ada@example.com",
    ]);
    assert!(registered.contains("registered as ada"), "{registered}");

    // The registration mailed a verification link into data/mail.
    let verification = mail(stack, "ada@example.com", "verify-email?token=");
    let me = ada.json(&["me"]);
    assert_ne!(me["emailVerified"], true, "verified before the link: {me}");
    ada.fails(
        &["account", "verify", "not-a-real-token"],
        1,
        "resend-verification",
    );
    let verified = ada.ok(&["account", "verify", &link(&verification)]);
    assert!(verified.contains("email address verified"), "{verified}");
    let me = ada.json(&["me"]);
    assert_eq!(me["emailVerified"], true, "{me}");

    // A second factor, enrolled as a script does it.
    let (totp, confirmed_step, recovery) = enroll(ada);
    let shown = ada.ok(&["me"]);
    assert!(shown.contains("mfa enabled     yes"), "{shown}");
    assert!(shown.contains("email verified  yes"), "{shown}");

    // Signing in now takes a code: none is a usage error, a wrong one is refused, the app's
    // next code or a recovery code works, and a recovery code works once.
    ada.ok(&["logout"]);
    ada.fails(&["login", "ada"], 2, "--code");
    assert!(!ada.credentials().exists(), "no session without the code");
    let refused = ada.fails(
        &["login", "ada", "--code", &wrong_code(&totp)],
        1,
        "UNAUTHENTICATED",
    );
    assert!(
        !refused.contains("sign in again"),
        "a wrong code is not a lost session:\n{refused}"
    );
    let signed_in = ada.ok(&["login", "ada", "--code", &code(&totp, confirmed_step + 1)]);
    assert!(signed_in.contains("signed in as ada"), "{signed_in}");
    ada.ok(&["logout"]);
    ada.ok(&["login", "ada", "--code", &recovery[0]]);
    ada.ok(&["logout"]);
    ada.fails(
        &["login", "ada", "--code", &recovery[0]],
        1,
        "UNAUTHENTICATED",
    );
    ada.ok(&["login", "ada", "--code", &recovery[1]]);

    // The export holds both services' sections.
    ada.ok(&[
        "workouts",
        "create",
        "--title",
        "Leg day",
        "--date",
        "2025-06-01",
        "--type",
        "strength",
    ]);
    let file = stack.dir().join("ada-export.json");
    ada.ok(&["account", "export", "--out", file.to_str().unwrap()]);
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let keys: Vec<&String> = export.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["auth", "fitness"], "{export}");
    assert!(
        export["auth"].is_object() && export["fitness"].is_object(),
        "{export}"
    );
    assert!(
        export["auth"].to_string().contains("ada@example.com"),
        "{export}"
    );
    assert!(
        export["fitness"].to_string().contains("Leg day"),
        "{export}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the export is personal data: mode {mode:o}"
        );
    }
    let to_stdout: serde_json::Value =
        serde_json::from_str(&ada.ok(&["account", "export"])).unwrap();
    assert!(
        to_stdout["fitness"].to_string().contains("Leg day"),
        "{to_stdout}"
    );

    // Turning the second factor off takes the password and a code (a recovery code will do).
    ada.ok(&["mfa", "disable", "--code", &recovery[2]]);
    assert_ne!(ada.json(&["me"])["mfaEnabled"], true);

    // Deletion asks first; without a terminal that means --yes.
    ada.fails(&["account", "delete"], 2, "--yes");
    assert!(
        ada.credentials().exists(),
        "nothing deleted, still signed in"
    );
    let kept = std::fs::read(ada.credentials()).unwrap();
    // Minutes after signing in, no password is needed.
    let deleted = ada.with_password("").ok(&["account", "delete", "--yes"]);
    assert!(deleted.contains("deleted the account ada"), "{deleted}");
    assert!(
        !ada.credentials().exists(),
        "deletion signs out like logout"
    );
    ada.fails(&["me"], 1, "not signed in");
    // The tokens themselves stopped working, and the account is gone.
    std::fs::write(ada.credentials(), kept).unwrap();
    ada.fails(&["me"], 1, "UNAUTHENTICATED");
    ada.fails(&["login", "ada"], 1, "UNAUTHENTICATED");
}
