//! The leaderboard and evaluations: users are refused; staff and admins evaluate and see
//! everyone ranked by evaluation, paged.

use shared::pb::fitness::v1 as pb;
use testkit::{Backend, backend_tests};
use tonic::Code;

use crate::helpers::{Stack, User, assert_bad, assert_code};

/// Users ada, bob, cat and dan; bob promoted to staff, cat to admin.
struct Board {
    stack: Stack,
    ada: User,
    bob: User,
    cat: User,
    dan: User,
    staff: User,
    admin: User,
}

async fn board(backend: Backend) -> Board {
    let stack = Stack::spawn(backend).await;
    let ada = stack.user("ada").await;
    let bob = stack.user("bob").await;
    let cat = stack.user("cat").await;
    let dan = stack.user("dan").await;
    let staff = stack.promote(&bob, "STAFF").await;
    let admin = stack.promote(&cat, "ADMIN").await;
    Board {
        stack,
        ada,
        bob,
        cat,
        dan,
        staff,
        admin,
    }
}

/// Evaluations: ada 70 (by staff), dan 90 (by admin), bob 70, cat unevaluated.
async fn evaluate(b: &mut Board) {
    for (by_admin, user, value) in [
        (false, &b.ada.id, 70),
        (true, &b.dan.id, 90),
        (false, &b.bob.id, 70),
    ] {
        let client = if by_admin { &mut b.admin } else { &mut b.staff };
        let stat = client
            .stats
            .set_evaluation(pb::SetEvaluationRequest {
                user_id: user.clone(),
                evaluation: value,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(
            (stat.user_id.as_str(), stat.evaluation),
            (user.as_str(), Some(value))
        );
    }
    b.admin.my_stats().await; // cat's row exists, unevaluated.
    assert_eq!(b.ada.my_stats().await.evaluation, Some(70));
}

/// The leaderboard's expected order: by evaluation, ties by user id, unevaluated last.
fn ranking(b: &Board) -> Vec<String> {
    let mut tie = [b.ada.id.clone(), b.bob.id.clone()];
    tie.sort();
    vec![
        b.dan.id.clone(),
        tie[0].clone(),
        tie[1].clone(),
        b.cat.id.clone(),
    ]
}

async fn users_are_refused_the_leaderboard_and_evaluations(backend: Backend) {
    let stack = Stack::spawn(backend).await;
    let mut ada = stack.user("ada").await;
    // Users are refused.
    assert_code(
        ada.stats
            .list_leaderboard(pb::ListLeaderboardRequest::default())
            .await,
        Code::PermissionDenied,
    );
    let denied = assert_code(
        ada.stats
            .set_evaluation(pb::SetEvaluationRequest {
                user_id: ada.id.clone(),
                evaluation: 100,
            })
            .await,
        Code::PermissionDenied,
    );
    assert_eq!(crate::helpers::reason(&denied), "PERMISSION_DENIED");
    assert_eq!(ada.my_stats().await.evaluation, None, "nothing was written");

    stack.stop().await;
}

async fn staff_and_admins_set_evaluations_the_user_then_sees(backend: Backend) {
    let mut b = board(backend).await;
    evaluate(&mut b).await;
    b.stack.stop().await;
}

async fn invalid_evaluations_and_leaderboard_parameters_are_named(backend: Backend) {
    let mut b = board(backend).await;
    // Validation.
    assert_bad(
        b.staff
            .stats
            .set_evaluation(pb::SetEvaluationRequest {
                user_id: "x".into(),
                evaluation: 101,
            })
            .await,
        &["evaluation", "user_id"],
    );
    assert_bad(
        b.staff
            .stats
            .set_evaluation(pb::SetEvaluationRequest {
                user_id: b.ada.id.clone(),
                evaluation: -1,
            })
            .await,
        &["evaluation"],
    );
    assert_bad(
        b.staff
            .stats
            .list_leaderboard(pb::ListLeaderboardRequest {
                page_size: -1,
                page_token: "??".into(),
            })
            .await,
        &["page_size", "page_token"],
    );

    b.stack.stop().await;
}

async fn the_leaderboard_ranks_by_evaluation_then_id_with_the_unevaluated_last(backend: Backend) {
    let mut b = board(backend).await;
    evaluate(&mut b).await;
    let expected = ranking(&b);
    let all = b
        .admin
        .stats
        .list_leaderboard(pb::ListLeaderboardRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        all.stats
            .iter()
            .map(|s| s.user_id.clone())
            .collect::<Vec<_>>(),
        expected
    );
    assert!(all.next_page_token.is_empty());
    b.stack.stop().await;
}

async fn leaderboard_pages_of_one_follow_the_ranking(backend: Backend) {
    let mut b = board(backend).await;
    evaluate(&mut b).await;
    let expected = ranking(&b);
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = b
            .staff
            .stats
            .list_leaderboard(pb::ListLeaderboardRequest {
                page_size: 1,
                page_token: token,
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.stats.into_iter().map(|s| s.user_id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, expected);
    b.stack.stop().await;
}

backend_tests!(
    users_are_refused_the_leaderboard_and_evaluations,
    staff_and_admins_set_evaluations_the_user_then_sees,
    invalid_evaluations_and_leaderboard_parameters_are_named,
    the_leaderboard_ranks_by_evaluation_then_id_with_the_unevaluated_last,
    leaderboard_pages_of_one_follow_the_ranking,
);
