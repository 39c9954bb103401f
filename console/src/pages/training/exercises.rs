//! An exercise's pages: the form to create one (optionally for a workout, whose page it goes
//! back to), and its own page with the form to edit it, where its workouts are ticked, and the
//! button to delete it.

use axum::extract::{Path, Query};
use axum::response::{IntoResponse as _, Redirect};
use futures::{StreamExt as _, TryStreamExt as _};
use maud::{Markup, html};
use prost_types::FieldMask;
use shared::pb::fitness::v1::{
    CreateExerciseRequest, DeleteExerciseRequest, Exercise, GetExerciseRequest, GetWorkoutRequest,
    ListWorkoutsRequest, UpdateExerciseRequest, Workout,
};
use tonic::Code;

use super::forms::{ExerciseValues, Fields, ORIGINAL, merged_links};
use super::{
    Refusal, day, done_message, exercise_href, fold_unshown, hidden, minutes, missing, reason_for,
    refusal, request_id, type_label, workout_href,
};
use crate::error::{ConsoleError, PageResult};
use crate::extract::{CsrfForm, SignedIn};
use crate::feedback::Feedback;
use crate::ui::layout::{self, Section};
use crate::ui::{self, form};

/// The exercise form's fields, by their API names.
const SHOWN: [&str; 4] = [
    "exercise.name",
    "exercise.description",
    "exercise.duration_minutes",
    "exercise.workout_ids",
];

/// Workouts offered to tick: the most recent ones by date, plus any already ticked.
const RECENT_WORKOUTS: i32 = 50;
/// Most ticked workouts fetched one by one when they are not among the recent ones, and how
/// many such calls run at once. The ticked ids of a re-shown form come from the browser, so
/// this bounds what one POST can make the console ask of fitness; older links beyond it stay
/// on the exercise (updates merge with its current links) but are not offered as checkboxes.
const MAX_TICKED: usize = 20;
const FETCHES_AT_ONCE: usize = 4;

/// A POSTed form's fields, the CSRF token checked.
type Posted = CsrfForm<Vec<(String, String)>>;

/// Workout `id`, or `None` when it is gone or not an id.
async fn workout(user: &SignedIn, id: String) -> Result<Option<Workout>, ConsoleError> {
    let request = GetWorkoutRequest {
        include_entries: false,
        id,
        include_exercises: false,
    };
    let found = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.workouts().get_workout(request).await }
        })
        .await;
    match found {
        Ok(response) => Ok(response.workout),
        Err(ConsoleError::Rpc(status))
            if matches!(status.code(), Code::NotFound | Code::InvalidArgument) =>
        {
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// The workouts the form offers: the recent ones, then those of `ticked` not among them.
async fn offered_workouts(
    user: &SignedIn,
    ticked: &[String],
) -> Result<Vec<Workout>, ConsoleError> {
    let request = ListWorkoutsRequest {
        page_size: RECENT_WORKOUTS,
        ..ListWorkoutsRequest::default()
    };
    let mut offered = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.workouts().list_workouts(request).await }
        })
        .await?
        .workouts;
    let missing: Vec<String> = ticked
        .iter()
        .filter(|id| !offered.iter().any(|w| &w.id == *id))
        .take(MAX_TICKED)
        .cloned()
        .collect();
    let older: Vec<Option<Workout>> = futures::stream::iter(missing)
        .map(|id| workout(user, id))
        .buffered(FETCHES_AT_ONCE)
        .try_collect()
        .await?;
    offered.extend(older.into_iter().flatten());
    Ok(offered)
}

/// The workouts to tick, as a table of checkboxes.
fn workouts_fieldset(offered: &[Workout], ticked: &[String], feedback: &Feedback) -> Markup {
    let error = reason_for(feedback, "exercise.workout_ids");
    html! {
        fieldset class={ "field" @if error.is_some() { " invalid" } } id="f-workout_ids"
            aria-describedby=[error.map(|_| "f-workout_ids-error")] {
            legend { "Workouts" }
            @if offered.is_empty() {
                p class="muted" { "You have no workouts yet." }
            } @else {
                div class="table-wrap" {
                    table id="workout-choices" {
                        thead {
                            tr {
                                th scope="col" { "Linked" }
                                th scope="col" { "Date" }
                                th scope="col" { "Workout" }
                                th scope="col" { "Type" }
                            }
                        }
                        tbody {
                            @for (i, w) in offered.iter().enumerate() {
                                @let id = format!("f-workout-{i}");
                                tr {
                                    td {
                                        input type="checkbox" id=(id) name="workout_ids" value=(w.id)
                                            checked[ticked.contains(&w.id)];
                                    }
                                    td { (day(&w.date)) }
                                    td { label for=(id) { (w.title) } }
                                    td { (type_label(w.workout_type)) }
                                }
                            }
                            // Ticked workouts beyond those fetched stay ticked, shown by id.
                            @for (i, unknown) in ticked.iter().filter(|t| !offered.iter().any(|w| &w.id == *t)).enumerate() {
                                @let id = format!("f-workout-more-{i}");
                                tr {
                                    td {
                                        input type="checkbox" id=(id) name="workout_ids" value=(unknown) checked;
                                    }
                                    td { "—" }
                                    td { label for=(id) { "Workout " code { (unknown) } } }
                                    td { "—" }
                                }
                            }
                        }
                    }
                }
                p class="muted" { "Your most recent workouts, and any already linked." }
            }
            @if let Some(error) = error {
                p class="field-error" id="f-workout_ids-error" { (error) }
            }
        }
    }
}

/// The name, minutes, description and workouts inputs.
fn fields(values: &ExerciseValues, offered: &[Workout], feedback: &Feedback) -> Markup {
    html! {
        (form::input("name", "Name", "text", &values.name, feedback, "exercise.name"))
        (form::input("duration_minutes", "Minutes (leave empty if unknown)", "number", &values.duration, feedback, "exercise.duration_minutes"))
        (form::textarea("description", "Description", &values.description, feedback, "exercise.description"))
        (workouts_fieldset(offered, &values.workout_ids, feedback))
    }
}

/// What the creation form carries besides the exercise.
#[derive(Debug)]
struct NewForm {
    values: ExerciseValues,
    /// The idempotency key of this submission.
    key: String,
    /// The workout whose page the form was opened from, to go back to.
    back: String,
}

fn new_page(user: &SignedIn, form: &NewForm, offered: &[Workout], feedback: &Feedback) -> Markup {
    let cancel = if form.back.is_empty() {
        "/training".to_owned()
    } else {
        workout_href(&form.back)
    };
    let body = html! {
        section class="card" {
            (ui::notice(feedback))
            form method="post" action="/training/exercises" class="stack" id="exercise-form" {
                (form::csrf(user.csrf()))
                (hidden("request_id", &form.key))
                (hidden("back", &form.back))
                (fields(&form.values, offered, feedback))
                div class="actions" {
                    button type="submit" class="primary" { "Create exercise" }
                    a href=(cancel) { "Cancel" }
                }
            }
        }
    };
    layout::page(&user.chrome(Section::Training), "New exercise", body)
}

/// `GET /training/exercises/new[?workout=<id>]`: the form, with that workout ticked.
pub(super) async fn new(user: SignedIn, Query(query): Query<Vec<(String, String)>>) -> PageResult {
    let back = Fields::new(query).get("workout");
    let form = NewForm {
        values: ExerciseValues {
            workout_ids: if back.is_empty() {
                Vec::new()
            } else {
                vec![back.clone()]
            },
            ..ExerciseValues::default()
        },
        key: request_id(),
        back,
    };
    let offered = offered_workouts(&user, &form.values.workout_ids).await?;
    Ok(new_page(&user, &form, &offered, &Feedback::default()).into_response())
}

/// `POST /training/exercises`: creates the exercise and goes back to where the form was
/// opened, or shows the form again with the reasons (and the same idempotency key).
pub(super) async fn create(user: SignedIn, CsrfForm(pairs): Posted) -> PageResult {
    let posted = Fields::new(pairs);
    let form = NewForm {
        values: ExerciseValues::read(&posted, ""),
        key: posted.get("request_id"),
        back: posted.get("back"),
    };
    let refused = match form.values.to_exercise("") {
        Err(feedback) => Refusal::local(feedback),
        Ok(exercise) => {
            let request = CreateExerciseRequest {
                exercise: Some(exercise),
                request_id: form.key.clone(),
            };
            let created = user
                .api
                .call(|c| {
                    let request = request.clone();
                    async move { c.exercises().create_exercise(request).await }
                })
                .await;
            match created {
                Ok(_) if form.back.is_empty() => {
                    return Ok(Redirect::to("/training?done=exercise-created").into_response());
                }
                Ok(_) => {
                    let to = format!("{}?done=exercise-created", workout_href(&form.back));
                    return Ok(Redirect::to(&to).into_response());
                }
                Err(err) => refusal(err)?,
            }
        }
    };
    let offered = offered_workouts(&user, &form.values.workout_ids).await?;
    let feedback = fold_unshown(refused.feedback, &SHOWN);
    Ok((refused.status, new_page(&user, &form, &offered, &feedback)).into_response())
}

/// The state of an exercise's edit form.
#[derive(Debug)]
struct EditForm {
    values: ExerciseValues,
    original: ExerciseValues,
    feedback: Feedback,
}

fn detail_page(
    user: &SignedIn,
    exercise: &Exercise,
    form: &EditForm,
    offered: &[Workout],
    done: Option<&str>,
) -> Markup {
    let href = exercise_href(&exercise.id);
    let body = html! {
        (ui::flash(done_message(done)))
        section class="card" aria-labelledby="summary-heading" {
            h2 id="summary-heading" { "Summary" }
            dl class="facts" {
                dt { "Minutes" } dd id="exercise-minutes" { (minutes(exercise.duration_minutes)) }
                dt { "Workouts" } dd id="exercise-workouts" { (exercise.workout_ids.len()) }
                dt { "Created" } dd { (ui::time(exercise.created_at.as_ref())) }
                dt { "Changed" } dd { (ui::time(exercise.updated_at.as_ref())) }
            }
        }
        section class="card" aria-labelledby="edit-heading" {
            h2 id="edit-heading" { "Edit" }
            (ui::notice(&form.feedback))
            form method="post" action=(href) class="stack" id="exercise-form" {
                (form::csrf(user.csrf()))
                (hidden(&format!("{ORIGINAL}name"), &form.original.name))
                (hidden(&format!("{ORIGINAL}duration_minutes"), &form.original.duration))
                (hidden(&format!("{ORIGINAL}description"), &form.original.description))
                @for id in &form.original.workout_ids {
                    (hidden(&format!("{ORIGINAL}workout_ids"), id))
                }
                (fields(&form.values, offered, &form.feedback))
                div class="actions" { button type="submit" class="primary" { "Save changes" } }
            }
        }
        section class="card" aria-labelledby="delete-heading" {
            h2 id="delete-heading" { "Delete" }
            p { "Deleting the exercise removes it from its workouts." }
            (form::button_form(&format!("{href}/delete"), user.csrf(), "Delete exercise", "danger",
                Some("Delete this exercise? It is removed from its workouts.")))
        }
        p { a href="/training#exercises" { "« All exercises" } }
    };
    layout::page(&user.chrome(Section::Training), &exercise.name, body)
}

/// Exercise `id`; a malformed id is "not found".
async fn exercise(user: &SignedIn, id: &str) -> Result<Exercise, ConsoleError> {
    let request = GetExerciseRequest { id: id.to_owned() };
    user.api
        .call(|c| {
            let request = request.clone();
            async move { c.exercises().get_exercise(request).await }
        })
        .await
        .map_err(missing)
}

/// `GET /training/exercises/{id}`.
pub(super) async fn show(
    user: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> PageResult {
    let found = exercise(&user, &id).await?;
    let offered = offered_workouts(&user, &found.workout_ids).await?;
    let values = ExerciseValues::of(&found);
    let form = EditForm {
        original: values.clone(),
        values,
        feedback: Feedback::default(),
    };
    let done = Fields::new(query).get("done");
    Ok(detail_page(&user, &found, &form, &offered, Some(&done)).into_response())
}

/// The update request for the fields the user changed; the links are merged with those the
/// exercise has now, so a link made elsewhere meanwhile is kept.
async fn update_request(
    user: &SignedIn,
    id: &str,
    form: &EditForm,
    paths: Vec<String>,
) -> Result<Result<UpdateExerciseRequest, Refusal>, ConsoleError> {
    let mut exercise = match form.values.to_exercise(id) {
        Ok(exercise) => exercise,
        Err(feedback) => return Ok(Err(Refusal::local(feedback))),
    };
    if paths.iter().any(|p| p == "workout_ids") {
        let now = self::exercise(user, id).await?;
        exercise.workout_ids = merged_links(
            &now.workout_ids,
            &form.original.workout_ids,
            &form.values.workout_ids,
        );
    }
    Ok(Ok(UpdateExerciseRequest {
        exercise: Some(exercise),
        update_mask: Some(FieldMask { paths }),
    }))
}

/// `POST /training/exercises/{id}`: saves the fields the user changed, or shows the page
/// again with the reasons and what was typed.
pub(super) async fn update(
    user: SignedIn,
    Path(id): Path<String>,
    CsrfForm(pairs): Posted,
) -> PageResult {
    let posted = Fields::new(pairs);
    let mut form = EditForm {
        values: ExerciseValues::read(&posted, ""),
        original: ExerciseValues::read(&posted, ORIGINAL),
        feedback: Feedback::default(),
    };
    let paths = form.values.changed_from(&form.original);
    let href = exercise_href(&id);
    if paths.is_empty() {
        return Ok(Redirect::to(&format!("{href}?done=unchanged")).into_response());
    }
    let refused = match update_request(&user, &id, &form, paths).await? {
        Err(refused) => refused,
        Ok(request) => {
            let updated = user
                .api
                .call(|c| {
                    let request = request.clone();
                    async move { c.exercises().update_exercise(request).await }
                })
                .await;
            match updated {
                Ok(_) => {
                    return Ok(
                        Redirect::to(&format!("{href}?done=exercise-updated")).into_response()
                    );
                }
                Err(err) => refusal(err)?,
            }
        }
    };
    let found = exercise(&user, &id).await?;
    let offered = offered_workouts(&user, &form.values.workout_ids).await?;
    form.feedback = fold_unshown(refused.feedback, &SHOWN);
    Ok((
        refused.status,
        detail_page(&user, &found, &form, &offered, None),
    )
        .into_response())
}

/// `POST /training/exercises/{id}/delete`.
pub(super) async fn delete(
    user: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): Posted,
) -> PageResult {
    let request = DeleteExerciseRequest { id };
    user.api
        .call(|c| {
            let request = request.clone();
            async move { c.exercises().delete_exercise(request).await }
        })
        .await
        .map_err(missing)?;
    Ok(Redirect::to("/training?done=exercise-deleted").into_response())
}
