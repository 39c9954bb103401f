//! `stride workouts list|create|get|update|delete`.

use clap::{Args, Subcommand, ValueEnum};
use shared::pb::fitness::v1::workout_service_client::WorkoutServiceClient;
use shared::pb::fitness::v1::{
    CreateWorkoutRequest, DeleteWorkoutRequest, GetWorkoutRequest, ListWorkoutsRequest,
    UpdateWorkoutRequest, Workout, WorkoutOrder, WorkoutType,
};

use super::exercises::exercises_table;
use super::sessions::{Page, more};
use super::{Client, answer};
use crate::error::Failure;
use crate::output::{self, enum_label, fields, timestamp};

/// `stride workouts …`
#[derive(Debug, Subcommand)]
pub enum WorkoutsCommand {
    /// List your workouts (newest date first)
    List(ListArgs),
    /// Create a workout
    Create(CreateArgs),
    /// Show one workout
    Get {
        /// Workout id
        id: String,
        /// Also list its exercises
        #[arg(long)]
        exercises: bool,
    },
    /// Change some fields of a workout (only the flags given)
    Update(UpdateArgs),
    /// Delete a workout (its exercises are kept, unlinked)
    Delete {
        /// Workout id
        id: String,
    },
}

/// Kind of training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Strength training
    Strength,
    /// Cardiovascular training
    Cardio,
    /// Flexibility and mobility
    Flexibility,
    /// Balance training
    Balance,
    /// Endurance training
    Endurance,
}

impl From<Kind> for WorkoutType {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::Strength => WorkoutType::Strength,
            Kind::Cardio => WorkoutType::Cardio,
            Kind::Flexibility => WorkoutType::Flexibility,
            Kind::Balance => WorkoutType::Balance,
            Kind::Endurance => WorkoutType::Endurance,
        }
    }
}

/// Sort order of `workouts list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Order {
    /// Newest workout date first
    Date,
    /// Most recently created first
    Created,
}

/// `stride workouts list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only workouts of this type
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<Kind>,
    /// Only workouts on or after this date (YYYY-MM-DD)
    #[arg(
        long,
        value_name = "DATE",
        default_value = "",
        hide_default_value = true
    )]
    pub from: String,
    /// Only workouts on or before this date (YYYY-MM-DD)
    #[arg(
        long,
        value_name = "DATE",
        default_value = "",
        hide_default_value = true
    )]
    pub to: String,
    /// Only workouts whose title contains this text (case-insensitive)
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "",
        hide_default_value = true
    )]
    pub title_contains: String,
    /// Sort order
    #[arg(long, default_value = "date")]
    pub order: Order,
    #[command(flatten)]
    pub page: Page,
}

/// `stride workouts create`
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Title, 1–255 characters
    #[arg(long)]
    pub title: String,
    /// Date of the workout (YYYY-MM-DD)
    #[arg(long)]
    pub date: String,
    /// Kind of training
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Kind,
    /// Free-text notes
    #[arg(long, default_value = "", hide_default_value = true)]
    pub notes: String,
    /// Idempotency key: retrying with the same key creates nothing new
    #[arg(long, default_value = "", hide_default_value = true)]
    pub request_id: String,
    /// Print only the new workout's id
    #[arg(long, short)]
    pub quiet: bool,
}

/// `stride workouts update`
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Workout id
    pub id: String,
    /// New title
    #[arg(long)]
    pub title: Option<String>,
    /// New date (YYYY-MM-DD)
    #[arg(long)]
    pub date: Option<String>,
    /// New kind of training
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<Kind>,
    /// New notes ("" clears them)
    #[arg(long)]
    pub notes: Option<String>,
}

/// Runs `stride workouts …`.
pub async fn workouts(client: &Client, command: WorkoutsCommand) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let mut api = WorkoutServiceClient::new(signed_in.fitness().await?);
    let out = client.out;
    match command {
        WorkoutsCommand::List(args) => {
            let response = answer(
                api.list_workouts(ListWorkoutsRequest {
                    page_size: args.page.page_size,
                    page_token: args.page.page_token,
                    workout_type: args.kind.map_or(0, |k| WorkoutType::from(k) as i32),
                    date_from: args.from,
                    date_to: args.to,
                    title_contains: args.title_contains,
                    order_by: match args.order {
                        Order::Date => WorkoutOrder::DateDesc,
                        Order::Created => WorkoutOrder::CreatedAtDesc,
                    } as i32,
                })
                .await,
            )?;
            out.show(&response, "stride.fitness.v1.ListWorkoutsResponse", || {
                workouts_table(&response.workouts) + &more(&response.next_page_token)
            })
        }
        WorkoutsCommand::Create(args) => {
            let workout = answer(
                api.create_workout(CreateWorkoutRequest {
                    workout: Some(Workout {
                        title: args.title,
                        date: args.date,
                        notes: args.notes,
                        workout_type: WorkoutType::from(args.kind) as i32,
                        ..Workout::default()
                    }),
                    request_id: args.request_id,
                })
                .await,
            )?;
            if args.quiet {
                output::line(&workout.id);
                return Ok(());
            }
            out.show(&workout, "stride.fitness.v1.Workout", || {
                workout_fields(&workout)
            })
        }
        WorkoutsCommand::Get { id, exercises } => {
            let response = answer(
                api.get_workout(GetWorkoutRequest {
                    include_entries: false,
                    id,
                    include_exercises: exercises,
                })
                .await,
            )?;
            out.show(&response, "stride.fitness.v1.GetWorkoutResponse", || {
                let mut text = workout_fields(&response.workout.clone().unwrap_or_default());
                if exercises {
                    text.push('\n');
                    text.push_str(&exercises_table(&response.exercises));
                }
                text
            })
        }
        WorkoutsCommand::Update(args) => {
            let (workout, paths) = update_request(args)?;
            let workout = answer(
                api.update_workout(UpdateWorkoutRequest {
                    workout: Some(workout),
                    update_mask: Some(prost_types::FieldMask { paths }),
                })
                .await,
            )?;
            out.show(&workout, "stride.fitness.v1.Workout", || {
                workout_fields(&workout)
            })
        }
        WorkoutsCommand::Delete { id } => {
            answer(
                api.delete_workout(DeleteWorkoutRequest { id: id.clone() })
                    .await,
            )?;
            out.done(&format!("deleted workout {id}"));
            Ok(())
        }
    }
}

/// The workout and field mask of an update: exactly the fields given on the command line, so
/// `--notes ""` clears the notes instead of being ignored as a default value.
pub fn update_request(args: UpdateArgs) -> Result<(Workout, Vec<String>), Failure> {
    let mut workout = Workout {
        id: args.id,
        ..Workout::default()
    };
    let mut paths = Vec::new();
    if let Some(title) = args.title {
        workout.title = title;
        paths.push("title".to_owned());
    }
    if let Some(date) = args.date {
        workout.date = date;
        paths.push("date".to_owned());
    }
    if let Some(notes) = args.notes {
        workout.notes = notes;
        paths.push("notes".to_owned());
    }
    if let Some(kind) = args.kind {
        workout.workout_type = WorkoutType::from(kind) as i32;
        paths.push("workout_type".to_owned());
    }
    if paths.is_empty() {
        return Err(Failure::Usage(
            "nothing to update: pass at least one of --title, --date, --type, --notes".to_owned(),
        ));
    }
    Ok((workout, paths))
}

fn kind_label(workout_type: i32) -> String {
    WorkoutType::try_from(workout_type)
        .map(|t| enum_label(t.as_str_name(), "WORKOUT_TYPE_"))
        .unwrap_or_default()
}

/// One workout as aligned key/value lines.
pub fn workout_fields(w: &Workout) -> String {
    fields(&[
        ("id", w.id.clone()),
        ("title", w.title.clone()),
        ("date", w.date.clone()),
        ("type", kind_label(w.workout_type)),
        ("notes", w.notes.clone()),
        ("exercises", w.exercise_count.to_string()),
        ("minutes", w.total_duration_minutes.to_string()),
        ("sets", w.set_count.to_string()),
        ("volume kg", super::units::decimal(w.volume_kg)),
        ("started", timestamp(w.started_at.as_ref())),
        ("ended", timestamp(w.ended_at.as_ref())),
        ("time zone", w.time_zone.clone()),
        ("created", timestamp(w.created_at.as_ref())),
        ("updated", timestamp(w.updated_at.as_ref())),
    ])
}

/// Workouts as a table.
pub fn workouts_table(workouts: &[Workout]) -> String {
    let rows: Vec<Vec<String>> = workouts
        .iter()
        .map(|w| {
            vec![
                w.id.clone(),
                w.date.clone(),
                kind_label(w.workout_type),
                w.title.clone(),
                w.exercise_count.to_string(),
                w.total_duration_minutes.to_string(),
            ]
        })
        .collect();
    output::table(
        &["ID", "DATE", "TYPE", "TITLE", "EXERCISES", "MINUTES"],
        &rows,
        "no workouts",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(title: Option<&str>, notes: Option<&str>) -> UpdateArgs {
        UpdateArgs {
            id: "w1".into(),
            title: title.map(Into::into),
            date: None,
            kind: None,
            notes: notes.map(Into::into),
        }
    }

    #[test]
    fn an_update_masks_exactly_the_given_flags() {
        let (workout, paths) = update_request(update(Some("Legs"), Some(""))).unwrap();
        assert_eq!(paths, ["title", "notes"]);
        assert_eq!(
            (workout.id.as_str(), workout.title.as_str()),
            ("w1", "Legs")
        );
    }

    #[test]
    fn an_update_without_fields_is_a_usage_error() {
        assert!(matches!(
            update_request(update(None, None)),
            Err(Failure::Usage(_))
        ));
    }

    #[test]
    fn workouts_read_as_a_table() {
        let text = workouts_table(&[Workout {
            id: "w1".into(),
            title: "Leg day".into(),
            date: "2025-06-01".into(),
            workout_type: WorkoutType::Strength as i32,
            exercise_count: 2,
            total_duration_minutes: 45,
            ..Workout::default()
        }]);
        assert_eq!(
            text,
            "ID  DATE        TYPE      TITLE    EXERCISES  MINUTES\n\
             w1  2025-06-01  strength  Leg day  2          45\n"
        );
    }
}
