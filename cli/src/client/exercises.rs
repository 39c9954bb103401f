//! `stride exercises list|create|get|update|delete`.

use clap::{Args, Subcommand};
use shared::pb::fitness::v1::exercise_service_client::ExerciseServiceClient;
use shared::pb::fitness::v1::{
    CreateExerciseRequest, DeleteExerciseRequest, Exercise, GetExerciseRequest,
    ListExercisesRequest, TrackingMode, UpdateExerciseRequest,
};

use super::catalogue::{Mode, mode_label};
use super::sessions::{Page, more};
use super::{Client, answer};
use crate::error::Failure;
use crate::output::{self, fields, timestamp};

/// `stride exercises …`
#[derive(Debug, Subcommand)]
pub enum ExercisesCommand {
    /// List your exercises (most recently created first)
    List(ListArgs),
    /// Create an exercise, optionally linked to workouts
    Create(CreateArgs),
    /// Show one exercise
    Get {
        /// Exercise id
        id: String,
    },
    /// Change some fields of an exercise (only the flags given)
    Update(UpdateArgs),
    /// Delete an exercise
    Delete {
        /// Exercise id
        id: String,
    },
}

/// `stride exercises list`
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only exercises linked to this workout
    #[arg(
        long,
        value_name = "WORKOUT_ID",
        default_value = "",
        hide_default_value = true
    )]
    pub workout: String,
    /// Only exercises whose name contains this text (case-insensitive)
    #[arg(
        long,
        value_name = "TEXT",
        default_value = "",
        hide_default_value = true
    )]
    pub name_contains: String,
    /// Only exercises of at least this many minutes
    #[arg(long, value_name = "MINUTES")]
    pub min_duration: Option<i32>,
    /// Only exercises of at most this many minutes
    #[arg(long, value_name = "MINUTES")]
    pub max_duration: Option<i32>,
    #[command(flatten)]
    pub page: Page,
}

/// `stride exercises create`
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Name, 1–255 characters
    #[arg(long)]
    pub name: String,
    /// Free-text description
    #[arg(long, default_value = "", hide_default_value = true)]
    pub description: String,
    /// Duration in minutes (0–1440)
    #[arg(long, value_name = "MINUTES")]
    pub duration: Option<i32>,
    /// A workout to link the exercise to (repeat for several)
    #[arg(long = "workout", value_name = "WORKOUT_ID")]
    pub workouts: Vec<String>,
    /// The catalogue entry this is an instance of (a slug such as barbell-bench-press, or the
    /// id of a custom entry); its tracking mode becomes the exercise's
    #[arg(long, value_name = "ENTRY_ID", conflicts_with = "mode")]
    pub catalogue: Option<String>,
    /// How its sets are measured, without a catalogue entry [default: weight-reps]
    #[arg(long)]
    pub mode: Option<Mode>,
    /// Idempotency key: retrying with the same key creates nothing new
    #[arg(long, default_value = "", hide_default_value = true)]
    pub request_id: String,
    /// Print only the new exercise's id
    #[arg(long, short)]
    pub quiet: bool,
}

/// `stride exercises update`
#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// Exercise id
    pub id: String,
    /// New name
    #[arg(long)]
    pub name: Option<String>,
    /// New description ("" clears it)
    #[arg(long)]
    pub description: Option<String>,
    /// New duration in minutes
    #[arg(long, value_name = "MINUTES", conflicts_with = "clear_duration")]
    pub duration: Option<i32>,
    /// Forget the duration
    #[arg(long)]
    pub clear_duration: bool,
    /// Link to exactly these workouts (repeat for several; replaces every link)
    #[arg(
        long = "workout",
        value_name = "WORKOUT_ID",
        conflicts_with = "no_workouts"
    )]
    pub workouts: Vec<String>,
    /// Unlink the exercise from every workout
    #[arg(long)]
    pub no_workouts: bool,
}

/// Runs `stride exercises …`.
pub async fn exercises(client: &Client, command: ExercisesCommand) -> Result<(), Failure> {
    let signed_in = client.signed_in().await?;
    let mut api = ExerciseServiceClient::new(signed_in.fitness().await?);
    let out = client.out;
    match command {
        ExercisesCommand::List(args) => {
            let response = answer(
                api.list_exercises(ListExercisesRequest {
                    page_size: args.page.page_size,
                    page_token: args.page.page_token,
                    workout_id: args.workout,
                    name_contains: args.name_contains,
                    min_duration_minutes: args.min_duration,
                    max_duration_minutes: args.max_duration,
                })
                .await,
            )?;
            out.show(&response, "stride.fitness.v1.ListExercisesResponse", || {
                exercises_table(&response.exercises) + &more(&response.next_page_token)
            })
        }
        ExercisesCommand::Create(args) => {
            let exercise = answer(
                api.create_exercise(CreateExerciseRequest {
                    exercise: Some(Exercise {
                        name: args.name,
                        description: args.description,
                        duration_minutes: args.duration,
                        workout_ids: args.workouts,
                        catalogue_entry_id: args.catalogue.unwrap_or_default(),
                        tracking_mode: args.mode.map_or(0, |m| TrackingMode::from(m) as i32),
                        ..Exercise::default()
                    }),
                    request_id: args.request_id,
                })
                .await,
            )?;
            if args.quiet {
                output::line(&exercise.id);
                return Ok(());
            }
            out.show(&exercise, "stride.fitness.v1.Exercise", || {
                exercise_fields(&exercise)
            })
        }
        ExercisesCommand::Get { id } => {
            let exercise = answer(api.get_exercise(GetExerciseRequest { id }).await)?;
            out.show(&exercise, "stride.fitness.v1.Exercise", || {
                exercise_fields(&exercise)
            })
        }
        ExercisesCommand::Update(args) => {
            let (exercise, paths) = update_request(args)?;
            let exercise = answer(
                api.update_exercise(UpdateExerciseRequest {
                    exercise: Some(exercise),
                    update_mask: Some(prost_types::FieldMask { paths }),
                })
                .await,
            )?;
            out.show(&exercise, "stride.fitness.v1.Exercise", || {
                exercise_fields(&exercise)
            })
        }
        ExercisesCommand::Delete { id } => {
            answer(
                api.delete_exercise(DeleteExerciseRequest { id: id.clone() })
                    .await,
            )?;
            out.done(&format!("deleted exercise {id}"));
            Ok(())
        }
    }
}

/// The exercise and field mask of an update: exactly the fields given on the command line.
pub fn update_request(args: UpdateArgs) -> Result<(Exercise, Vec<String>), Failure> {
    let mut exercise = Exercise {
        id: args.id,
        ..Exercise::default()
    };
    let mut paths = Vec::new();
    if let Some(name) = args.name {
        exercise.name = name;
        paths.push("name".to_owned());
    }
    if let Some(description) = args.description {
        exercise.description = description;
        paths.push("description".to_owned());
    }
    if args.duration.is_some() || args.clear_duration {
        exercise.duration_minutes = args.duration;
        paths.push("duration_minutes".to_owned());
    }
    if !args.workouts.is_empty() || args.no_workouts {
        exercise.workout_ids = args.workouts;
        paths.push("workout_ids".to_owned());
    }
    if paths.is_empty() {
        return Err(Failure::Usage(
            "nothing to update: pass at least one of --name, --description, --duration, \
             --clear-duration, --workout, --no-workouts"
                .to_owned(),
        ));
    }
    Ok((exercise, paths))
}

fn minutes(duration: Option<i32>) -> String {
    duration.map(|m| m.to_string()).unwrap_or_default()
}

/// One exercise as aligned key/value lines.
pub fn exercise_fields(e: &Exercise) -> String {
    fields(&[
        ("id", e.id.clone()),
        ("name", e.name.clone()),
        ("description", e.description.clone()),
        ("minutes", minutes(e.duration_minutes)),
        ("catalogue", e.catalogue_entry_id.clone()),
        ("mode", mode_label(e.tracking_mode)),
        ("workouts", e.workout_ids.join(", ")),
        ("created", timestamp(e.created_at.as_ref())),
        ("updated", timestamp(e.updated_at.as_ref())),
    ])
}

/// Exercises as a table.
pub fn exercises_table(exercises: &[Exercise]) -> String {
    let rows: Vec<Vec<String>> = exercises
        .iter()
        .map(|e| {
            vec![
                e.id.clone(),
                e.name.clone(),
                minutes(e.duration_minutes),
                e.workout_ids.len().to_string(),
            ]
        })
        .collect();
    output::table(
        &["ID", "NAME", "MINUTES", "WORKOUTS"],
        &rows,
        "no exercises",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> UpdateArgs {
        UpdateArgs {
            id: "e1".into(),
            name: None,
            description: None,
            duration: None,
            clear_duration: false,
            workouts: Vec::new(),
            no_workouts: false,
        }
    }

    #[test]
    fn clearing_the_duration_and_the_links_is_in_the_mask() {
        let (exercise, paths) = update_request(UpdateArgs {
            clear_duration: true,
            no_workouts: true,
            ..args()
        })
        .unwrap();
        assert_eq!(paths, ["duration_minutes", "workout_ids"]);
        assert_eq!(exercise.duration_minutes, None);
        assert!(exercise.workout_ids.is_empty());
    }

    #[test]
    fn an_update_without_fields_is_a_usage_error() {
        assert!(matches!(update_request(args()), Err(Failure::Usage(_))));
    }

    #[test]
    fn an_exercise_without_duration_shows_an_empty_cell() {
        let text = exercises_table(&[Exercise {
            id: "e1".into(),
            name: "Squat".into(),
            workout_ids: vec!["w1".into()],
            ..Exercise::default()
        }]);
        assert_eq!(
            text,
            "ID  NAME   MINUTES  WORKOUTS\ne1  Squat           1\n"
        );
    }
}
