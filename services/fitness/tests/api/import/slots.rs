//! Imports run one per user and two in all: another is refused at once with
//! RESOURCE_EXHAUSTED and a retry time, and a slot is given back when its import ends.

use std::time::Duration;

use shared::pb::fitness::v1 as pb;
use shared::pb::fitness::v1::import_workouts_request::Part;
use testkit::{Backend, backend_tests};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;
use tonic_types::StatusExt as _;

use super::{STRONG_KG, import, options};
use crate::helpers::{Stack, User};

/// Starts an import that sends its options and then waits: it holds its slot until the
/// returned sender is dropped (the stream then ends and the import finishes).
async fn open_import(
    user: &User,
) -> (
    mpsc::Sender<pb::ImportWorkoutsRequest>,
    tokio::task::JoinHandle<Result<pb::ImportWorkoutsResponse, tonic::Status>>,
) {
    let (tx, rx) = mpsc::channel(4);
    tx.send(pb::ImportWorkoutsRequest {
        part: Some(Part::Options(options(
            pb::ImportSource::Strong,
            "UTC",
            pb::WeightUnit::Kg,
        ))),
    })
    .await
    .unwrap();
    let mut data = user.data.clone();
    let call = tokio::spawn(async move {
        data.import_workouts(ReceiverStream::new(rx))
            .await
            .map(tonic::Response::into_inner)
    });
    (tx, call)
}

/// Imports a small file as `user`.
async fn probe(user: &mut User) -> Result<pb::ImportWorkoutsResponse, tonic::Status> {
    import(
        user,
        options(pb::ImportSource::Strong, "UTC", pb::WeightUnit::Kg),
        STRONG_KG,
        4096,
    )
    .await
}

/// The reason of a refusal.
fn reason(status: &tonic::Status) -> Option<String> {
    status.get_details_error_info().map(|info| info.reason)
}

/// An open import of `user` that holds its slot: proven by a second import of the same user
/// being refused with IMPORT_IN_PROGRESS (an open import that lost a race to such a probe is
/// opened again).
async fn hold(
    user: &mut User,
) -> (
    mpsc::Sender<pb::ImportWorkoutsRequest>,
    tokio::task::JoinHandle<Result<pb::ImportWorkoutsResponse, tonic::Status>>,
) {
    for _ in 0..20 {
        let (open, call) = open_import(user).await;
        for _ in 0..20 {
            if call.is_finished() {
                break;
            }
            match probe(user).await {
                Err(status) if reason(&status).as_deref() == Some("IMPORT_IN_PROGRESS") => {
                    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
                    assert!(status.get_details_retry_info().is_some(), "with RetryInfo");
                    return (open, call);
                }
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
    panic!("an open import never held its slot");
}

async fn imports_run_one_per_user_and_two_in_all(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("slots_ada").await;
    let mut bob = stack.user("slots_bob").await;
    let mut cy = stack.user("slots_cy").await;

    let (ada_open, ada_call) = hold(&mut ada).await;
    let (bob_open, bob_call) = hold(&mut bob).await;
    let status = probe(&mut cy).await.expect_err("every slot is taken");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(&status).as_deref(), Some("TOO_MANY_IMPORTS"));
    assert!(status.get_details_retry_info().is_some(), "with RetryInfo");

    // Ending the open imports gives their slots back.
    drop(ada_open);
    drop(bob_open);
    // (An import of no file at all is refused as empty; only its end matters here.)
    let _ = ada_call.await.unwrap();
    let _ = bob_call.await.unwrap();
    let report = probe(&mut cy).await.expect("a slot is free again");
    assert!(report.workouts_created + report.workouts_skipped > 0);
    let again = probe(&mut bob).await.expect("bob's slot is free again");
    assert!(again.workouts_created + again.workouts_skipped > 0);
    stack.stop().await;
}

backend_tests!(imports_run_one_per_user_and_two_in_all);
