//! `stride stats`, `leaderboard` and `evaluate`.

use shared::pb::fitness::v1::stats_service_client::StatsServiceClient;
use shared::pb::fitness::v1::{
    GetMyStatsRequest, ListLeaderboardRequest, SetEvaluationRequest, Stat,
};

use super::sessions::{Page, more};
use super::units::{decimal, show_seconds};
use super::{Client, answer};
use crate::error::Failure;
use crate::output::{self, fields, timestamp};

/// Shows the signed-in user's statistics.
pub async fn stats(client: &Client) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let stat = answer(
        StatsServiceClient::new(signed_in.fitness().await?)
            .get_my_stats(GetMyStatsRequest {})
            .await,
    )?;
    client
        .out
        .show(&stat, "stride.fitness.v1.Stat", || stat_fields(&stat))
}

/// Shows the leaderboard (staff and admins).
pub async fn leaderboard(client: &Client, page: Page) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let response = answer(
        StatsServiceClient::new(signed_in.fitness().await?)
            .list_leaderboard(ListLeaderboardRequest {
                page_size: page.page_size,
                page_token: page.page_token,
            })
            .await,
    )?;
    client.out.show(
        &response,
        "stride.fitness.v1.ListLeaderboardResponse",
        || leaderboard_table(&response.stats) + &more(&response.next_page_token),
    )
}

/// Sets a user's evaluation (staff and admins).
pub async fn evaluate(client: &Client, user_id: String, score: i32) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let stat = answer(
        StatsServiceClient::new(signed_in.fitness().await?)
            .set_evaluation(SetEvaluationRequest {
                user_id,
                evaluation: score,
            })
            .await,
    )?;
    client
        .out
        .show(&stat, "stride.fitness.v1.Stat", || stat_fields(&stat))
}

fn evaluation(stat: &Stat) -> String {
    stat.evaluation
        .map_or_else(|| "-".to_owned(), |e| e.to_string())
}

/// One user's statistics as aligned key/value lines.
pub fn stat_fields(stat: &Stat) -> String {
    fields(&[
        ("user", stat.user_id.clone()),
        ("workouts", stat.total_workouts.to_string()),
        ("exercises", stat.total_exercises.to_string()),
        ("minutes", stat.total_duration_minutes.to_string()),
        ("sets", stat.total_sets.to_string()),
        ("reps", stat.total_reps.to_string()),
        ("volume kg", decimal(stat.total_volume_kg)),
        ("distance m", decimal(stat.total_distance_meters)),
        ("set time", show_seconds(stat.total_set_seconds)),
        ("evaluation", evaluation(stat)),
        ("updated", timestamp(stat.updated_at.as_ref())),
    ])
}

/// The leaderboard as a ranked table (`-`: not evaluated yet).
pub fn leaderboard_table(stats: &[Stat]) -> String {
    let rows: Vec<Vec<String>> = stats
        .iter()
        .map(|s| {
            vec![
                s.user_id.clone(),
                evaluation(s),
                s.total_workouts.to_string(),
                s.total_exercises.to_string(),
                s.total_duration_minutes.to_string(),
            ]
        })
        .collect();
    output::table(
        &["USER", "EVALUATION", "WORKOUTS", "EXERCISES", "MINUTES"],
        &rows,
        "no statistics yet",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unevaluated_user_shows_a_dash() {
        let text = stat_fields(&Stat {
            user_id: "u1".into(),
            total_workouts: 2,
            ..Stat::default()
        });
        assert_eq!(
            text,
            "user        u1\nworkouts    2\nexercises   0\nminutes     0\nsets        0\n\
             reps        0\nvolume kg   0\ndistance m  0\nset time    0s\nevaluation  -\n"
        );
    }
}
