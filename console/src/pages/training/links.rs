//! Linking exercises to a workout from the workout's page. The API models a link on the
//! exercise (`Exercise.workout_ids`, replaced as a whole by an update), so linking and
//! unlinking read the exercise's links, change them, and update the exercise.

use axum::extract::Path;
use axum::response::{IntoResponse as _, Redirect};
use prost_types::FieldMask;
use shared::pb::fitness::v1::{Exercise, GetExerciseRequest, UpdateExerciseRequest};

use super::forms::{Fields, with_link, without_link};
use super::workouts::{Detail, Forms, detail_page};
use super::{Refusal, fold_unshown, missing, reason_for, refusal, workout_href};
use crate::error::{ConsoleError, PageResult};
use crate::extract::{CsrfForm, SignedIn};
use crate::feedback::Feedback;

/// A POSTed form's fields, the CSRF token checked.
type Posted = CsrfForm<Vec<(String, String)>>;

/// Replaces the links of exercise `exercise_id` by `change` of them (nothing when `change`
/// has nothing to do). The API replaces an exercise's links as a whole, so this reads them
/// first; a change to the same exercise's links made between the two calls is overwritten.
async fn relink(
    user: &SignedIn,
    exercise_id: &str,
    change: impl Fn(&[String]) -> Option<Vec<String>>,
) -> Result<(), ConsoleError> {
    let get = GetExerciseRequest {
        id: exercise_id.to_owned(),
    };
    let exercise = user
        .api
        .call(|c| {
            let get = get.clone();
            async move { c.exercises().get_exercise(get).await }
        })
        .await
        .map_err(missing)?;
    let Some(workout_ids) = change(&exercise.workout_ids) else {
        return Ok(());
    };
    let request = UpdateExerciseRequest {
        exercise: Some(Exercise {
            id: exercise.id,
            workout_ids,
            ..Exercise::default()
        }),
        update_mask: Some(FieldMask {
            paths: vec!["workout_ids".to_owned()],
        }),
    };
    user.api
        .call(|c| {
            let request = request.clone();
            async move { c.exercises().update_exercise(request).await }
        })
        .await?;
    Ok(())
}

/// The workout's page again, with why the link or unlink was refused beside the link form.
async fn refused_link(user: &SignedIn, id: &str, refused: Refusal) -> PageResult {
    let detail = Detail::load(user, id).await?;
    let mut feedback = refused.feedback;
    if let Some(reason) = reason_for(&feedback, "exercise.workout_ids").map(str::to_owned) {
        feedback.fields.insert("exercise_id".to_owned(), reason);
    }
    let mut forms = Forms::fresh(&detail);
    forms.link = fold_unshown(feedback, &["exercise_id"]);
    Ok((refused.status, detail_page(user, &detail, &forms, None)).into_response())
}

/// `POST /training/workouts/{id}/exercises`: links the chosen exercise to this workout.
pub(super) async fn link(
    user: SignedIn,
    Path(id): Path<String>,
    CsrfForm(pairs): Posted,
) -> PageResult {
    let exercise_id = Fields::new(pairs).get("exercise_id");
    if exercise_id.is_empty() {
        let feedback = Feedback::field("exercise_id", "Choose an exercise to link.");
        return refused_link(&user, &id, Refusal::local(feedback)).await;
    }
    match relink(&user, &exercise_id, |links| with_link(links, &id)).await {
        Ok(()) => Ok(
            Redirect::to(&format!("{}?done=exercise-linked", workout_href(&id))).into_response(),
        ),
        Err(err) => refused_link(&user, &id, refusal(err)?).await,
    }
}

/// `POST /training/workouts/{id}/exercises/{exercise_id}/unlink`.
pub(super) async fn unlink(
    user: SignedIn,
    Path((id, exercise_id)): Path<(String, String)>,
    CsrfForm(_): Posted,
) -> PageResult {
    match relink(&user, &exercise_id, |links| without_link(links, &id)).await {
        Ok(()) => Ok(
            Redirect::to(&format!("{}?done=exercise-unlinked", workout_href(&id))).into_response(),
        ),
        Err(err) => refused_link(&user, &id, refusal(err)?).await,
    }
}
