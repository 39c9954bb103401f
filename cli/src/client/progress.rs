//! `stride records`, `stride history` and `stride weeks`: what the sets add up to.

use std::collections::HashMap;

use clap::{Args, ValueEnum};
use shared::pb::fitness::v1::exercise_service_client::ExerciseServiceClient;
use shared::pb::fitness::v1::stats_service_client::StatsServiceClient;
use shared::pb::fitness::v1::{
    HistorySet, ListExerciseHistoryRequest, ListExercisesRequest, ListPersonalRecordsRequest,
    ListWeeklySummariesRequest, PersonalRecord, RecordKind, WeeklySummary,
};

use super::sessions::{Page, more};
use super::sets::{SET_HEADERS, set_cells};
use super::units::{decimal, show_seconds};
use super::{Authed, Client, answer};
use crate::error::Failure;
use crate::output::{self, enum_label};

/// Most pages of exercises read to name the exercises of a page of records.
const NAME_PAGES: usize = 10;

/// Kind of personal record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Heaviest weight in one set
    HeaviestWeight,
    /// Best estimated one-rep max (Epley)
    #[value(name = "best-1rm")]
    Best1rm,
    /// Most reps in one set
    MostReps,
    /// Longest distance in one set
    LongestDistance,
    /// Fastest pace over a set with distance and duration
    FastestPace,
}

impl From<Kind> for RecordKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::HeaviestWeight => RecordKind::HeaviestWeight,
            Kind::Best1rm => RecordKind::BestEstimated1rm,
            Kind::MostReps => RecordKind::MostReps,
            Kind::LongestDistance => RecordKind::LongestDistance,
            Kind::FastestPace => RecordKind::FastestPace,
        }
    }
}

/// `stride records`
#[derive(Debug, Args)]
pub struct RecordsArgs {
    /// Only the records of this exercise
    #[arg(
        long,
        value_name = "EXERCISE_ID",
        default_value = "",
        hide_default_value = true
    )]
    pub exercise: String,
    /// Only records of this kind
    #[arg(long)]
    pub kind: Option<Kind>,
    #[command(flatten)]
    pub page: Page,
}

/// `stride history`
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Exercise id
    pub exercise_id: String,
    #[command(flatten)]
    pub page: Page,
}

/// `stride weeks`
#[derive(Debug, Args)]
pub struct WeeksArgs {
    /// Only weeks from the one of this date (YYYY-MM-DD)
    #[arg(
        long,
        value_name = "DATE",
        default_value = "",
        hide_default_value = true
    )]
    pub from: String,
    /// Only weeks up to the one of this date (YYYY-MM-DD)
    #[arg(
        long,
        value_name = "DATE",
        default_value = "",
        hide_default_value = true
    )]
    pub to: String,
    #[command(flatten)]
    pub page: Page,
}

/// Shows the signed-in user's personal records.
pub async fn records(client: &Client, args: RecordsArgs) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let channel = signed_in.fitness().await?;
    let response = answer(
        StatsServiceClient::new(channel.clone())
            .list_personal_records(ListPersonalRecordsRequest {
                exercise_id: args.exercise,
                kind: args.kind.map_or(0, |k| RecordKind::from(k) as i32),
                page_size: args.page.page_size,
                page_token: args.page.page_token,
            })
            .await,
    )?;
    if client.out.json {
        return client.out.show(
            &response,
            "stride.fitness.v1.ListPersonalRecordsResponse",
            String::new,
        );
    }
    let names = exercise_names(channel, &response.records).await?;
    client.out.show(
        &response,
        "stride.fitness.v1.ListPersonalRecordsResponse",
        || records_table(&response.records, &names) + &more(&response.next_page_token),
    )
}

/// The names of the exercises of `records`, from the caller's exercises (at most
/// [`NAME_PAGES`] pages of them; an exercise not found by then shows its id).
async fn exercise_names(
    channel: Authed,
    records: &[PersonalRecord],
) -> Result<HashMap<String, String>, Failure> {
    let mut api = ExerciseServiceClient::new(channel);
    let mut names = HashMap::new();
    let mut page_token = String::new();
    for _ in 0..NAME_PAGES {
        if records.iter().all(|r| names.contains_key(&r.exercise_id)) {
            break;
        }
        let page = answer(
            api.list_exercises(ListExercisesRequest {
                page_size: 500,
                page_token,
                ..ListExercisesRequest::default()
            })
            .await,
        )?;
        names.extend(page.exercises.into_iter().map(|e| (e.id, e.name)));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    Ok(names)
}

/// Shows every set of one exercise, newest workout first.
pub async fn history(client: &Client, args: HistoryArgs) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let response = answer(
        ExerciseServiceClient::new(signed_in.fitness().await?)
            .list_exercise_history(ListExerciseHistoryRequest {
                exercise_id: args.exercise_id,
                page_size: args.page.page_size,
                page_token: args.page.page_token,
            })
            .await,
    )?;
    client.out.show(
        &response,
        "stride.fitness.v1.ListExerciseHistoryResponse",
        || history_table(&response.sets) + &more(&response.next_page_token),
    )
}

/// Shows the signed-in user's weekly summaries, newest week first.
pub async fn weeks(client: &Client, args: WeeksArgs) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let response = answer(
        StatsServiceClient::new(signed_in.fitness().await?)
            .list_weekly_summaries(ListWeeklySummariesRequest {
                from_date: args.from,
                to_date: args.to,
                page_size: args.page.page_size,
                page_token: args.page.page_token,
            })
            .await,
    )?;
    client.out.show(
        &response,
        "stride.fitness.v1.ListWeeklySummariesResponse",
        || weeks_table(&response.weeks) + &more(&response.next_page_token),
    )
}

/// A record's value in its kind's unit: `142.5 kg`, `12 reps`, `5000 m`, `4:35 /km`.
pub fn record_value(record: &PersonalRecord) -> String {
    match RecordKind::try_from(record.kind) {
        Ok(RecordKind::HeaviestWeight | RecordKind::BestEstimated1rm) => {
            format!("{} kg", decimal(record.value))
        }
        Ok(RecordKind::MostReps) => format!("{} reps", decimal(record.value)),
        Ok(RecordKind::LongestDistance) => format!("{} m", decimal(record.value)),
        Ok(RecordKind::FastestPace) => {
            format!("{} /km", show_seconds(record.value.round() as i64))
        }
        _ => decimal(record.value),
    }
}

fn kind_label(kind: i32) -> String {
    match RecordKind::try_from(kind) {
        Ok(RecordKind::BestEstimated1rm) => "best-1rm".to_owned(),
        Ok(k) => enum_label(k.as_str_name(), "RECORD_KIND_").replace('_', "-"),
        Err(_) => kind.to_string(),
    }
}

/// Records as a table, each with the set that holds it.
pub fn records_table(records: &[PersonalRecord], names: &HashMap<String, String>) -> String {
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let set = r.set.clone().unwrap_or_default();
            let cells = set_cells(&set);
            vec![
                names
                    .get(&r.exercise_id)
                    .cloned()
                    .unwrap_or_else(|| r.exercise_id.clone()),
                kind_label(r.kind),
                record_value(r),
                r.date.clone(),
                [&cells[1], &cells[2], &cells[3], &cells[4]]
                    .iter()
                    .zip(["reps", "", "", ""])
                    .filter(|(c, _)| !c.is_empty())
                    .map(|(c, unit)| {
                        if unit.is_empty() {
                            (*c).clone()
                        } else {
                            format!("{c} {unit}")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                r.workout_id.clone(),
            ]
        })
        .collect();
    output::table(
        &["EXERCISE", "KIND", "RECORD", "DATE", "SET", "WORKOUT"],
        &rows,
        "no personal records yet",
    )
}

/// An exercise's sets as a table, newest first.
pub fn history_table(sets: &[HistorySet]) -> String {
    let rows: Vec<Vec<String>> = sets
        .iter()
        .map(|h| {
            let mut row = vec![h.date.clone(), (h.set_index + 1).to_string()];
            row.extend(set_cells(&h.set.clone().unwrap_or_default()));
            row.push(h.workout_id.clone());
            row
        })
        .collect();
    let mut headers = vec!["DATE", "#"];
    headers.extend(SET_HEADERS);
    headers.push("WORKOUT");
    output::table(&headers, &rows, "no sets yet")
}

/// Weekly summaries as a table, newest first.
pub fn weeks_table(weeks: &[WeeklySummary]) -> String {
    let rows: Vec<Vec<String>> = weeks
        .iter()
        .map(|w| {
            vec![
                w.week_start.clone(),
                w.workouts.to_string(),
                w.sets.to_string(),
                w.reps.to_string(),
                decimal(w.volume_kg),
                decimal(w.distance_meters),
                show_seconds(w.set_seconds),
            ]
        })
        .collect();
    output::table(
        &[
            "WEEK",
            "WORKOUTS",
            "SETS",
            "REPS",
            "VOLUME KG",
            "DISTANCE M",
            "SET TIME",
        ],
        &rows,
        "no weeks with workouts",
    )
}

#[cfg(test)]
mod tests {
    use shared::pb::fitness::v1::{WeightUnit, WorkoutSet};

    use super::*;

    #[test]
    fn records_read_in_their_units_with_the_set_and_the_exercise_name() {
        let set = WorkoutSet {
            reps: Some(5),
            weight: Some(100.0),
            weight_unit: WeightUnit::Kg as i32,
            ..WorkoutSet::default()
        };
        let record = |kind: RecordKind, value: f64| PersonalRecord {
            exercise_id: "e1".into(),
            kind: kind as i32,
            value,
            workout_id: "w1".into(),
            date: "2025-06-02".into(),
            set: Some(set.clone()),
        };
        let names = HashMap::from([("e1".to_owned(), "Squat".to_owned())]);
        let text = records_table(
            &[
                record(RecordKind::BestEstimated1rm, 116.667),
                record(RecordKind::FastestPace, 275.4),
            ],
            &names,
        );
        assert_eq!(
            text,
            "EXERCISE  KIND          RECORD      DATE        SET             WORKOUT\n\
             Squat     best-1rm      116.667 kg  2025-06-02  5 reps, 100 kg  w1\n\
             Squat     fastest-pace  4:35 /km    2025-06-02  5 reps, 100 kg  w1\n"
        );
    }

    #[test]
    fn weeks_read_as_a_table() {
        let text = weeks_table(&[WeeklySummary {
            week_start: "2025-06-02".into(),
            workouts: 2,
            sets: 7,
            reps: 30,
            volume_kg: 2550.5,
            distance_meters: 5000.0,
            set_seconds: 1500,
        }]);
        assert_eq!(
            text,
            "WEEK        WORKOUTS  SETS  REPS  VOLUME KG  DISTANCE M  SET TIME\n\
             2025-06-02  2         7     30    2550.5     5000        25:00\n"
        );
    }
}
