//! Two processes on one SQLite file: the second server is refused with a clear error, the
//! first keeps serving, and the file is free again as soon as the first is gone, even killed.

use crate::clients::signed_in;
use crate::process::{Kind, Process, Secrets};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_one_sqlite_file_is_refused_and_the_first_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = Secrets::new();
    let settings = [(
        "STRIDE_AUTH_DATABASE_URL",
        format!("sqlite://{}", dir.path().join("auth.db").display()),
    )];
    let first = Process::start(Kind::Auth, dir.path(), &secrets, &settings);

    let refused = Process::try_start(Kind::Auth, dir.path(), &secrets, &settings)
        .err()
        .expect("a second server on the same file is refused");
    assert!(
        refused.contains("is already served by another process")
            && refused.contains("auth.db")
            && refused.contains("PostgreSQL"),
        "{refused}"
    );
    signed_in(first.addr, "ada").await;

    // Killed without a chance to clean up, the first leaves the file free.
    first.kill();
    let next = Process::start(Kind::Auth, dir.path(), &secrets, &settings);
    signed_in(next.addr, "bob").await;
}
