//! A forgotten password, reset through the mailed link, then changed.

use testkit::Backend;

use super::harness::{Lab, Person};
use super::mailbox::{link, mail, token};

pub(super) fn a_forgotten_password_is_reset_through_the_mailed_link_and_changed_after(
    backend: Backend,
) {
    let Some(lab) = Lab::start(backend) else {
        return;
    };
    let stack = &lab.stack;
    let bob = Person::new(&lab, "bob");
    bob.register();
    bob.ok(&["logout"]);

    let asked = bob.ok(&["password", "reset", "bob"]);
    assert!(asked.contains("reset link is on its way"), "{asked}");
    let reset_link = link(&mail(stack, "bob@example.com", "reset-password?token="));
    const NEW: &str = "quince-Ladder-41-ember";
    let reset = bob.ok(&[
        "password",
        "reset",
        "--token",
        token(&reset_link),
        "--new-password",
        NEW,
    ]);
    assert!(reset.contains("password reset"), "{reset}");
    // The link works once.
    bob.fails(
        &[
            "password",
            "reset",
            "--token",
            &reset_link,
            "--new-password",
            NEW,
        ],
        1,
        "stride password reset LOGIN",
    );
    bob.fails(&["login", "bob"], 1, "UNAUTHENTICATED");
    let bob = bob.with_password(NEW);
    bob.ok(&["login", "bob"]);

    const NEWER: &str = "saffron-Window-58-delta";
    bob.with_password("wrong-Password-00").fails(
        &["password", "change", "--new-password", NEWER],
        1,
        "INVALID_CREDENTIALS",
    );
    bob.ok(&["password", "change", "--new-password", NEWER]);
    bob.ok(&["logout"]);
    bob.fails(&["login", "bob"], 1, "UNAUTHENTICATED");
    bob.with_password(NEWER).ok(&["login", "bob"]);
    // Reset requests for accounts that do not exist look the same.
    bob.ok(&["password", "reset", "nobody-here"]);
}
