//! A workout's pages: the form to create one, and its own page with its numbers, the form to
//! edit it, its exercises (linked and unlinked from here, see [`super::links`]) and the button
//! to delete it.

use axum::extract::{Path, Query};
use axum::response::{IntoResponse as _, Redirect};
use maud::{Markup, html};
use prost_types::FieldMask;
use shared::pb::fitness::v1::{
    CreateWorkoutRequest, DeleteWorkoutRequest, Exercise, GetWorkoutRequest, GetWorkoutResponse,
    ListExercisesRequest, UpdateWorkoutRequest, Workout,
};
use time::OffsetDateTime;

use super::forms::{Fields, ORIGINAL, WorkoutValues};
use super::{
    day, done_message, exercise_href, fold_unshown, hidden, minutes, missing, refusal, request_id,
    segment, type_label, type_options, workout_href,
};
use crate::error::{ConsoleError, PageResult};
use crate::extract::{CsrfForm, SignedIn};
use crate::feedback::Feedback;
use crate::ui::layout::{self, Section};
use crate::ui::{self, form};

/// The workout form's fields, by their API names.
const SHOWN: [&str; 4] = [
    "workout.title",
    "workout.date",
    "workout.workout_type",
    "workout.notes",
];

/// Exercises offered in the "link an exercise" list: the most recently created ones. An
/// older exercise is linked from its own page.
const LINKABLE: i32 = 100;

/// A POSTed form's fields, the CSRF token checked.
type Posted = CsrfForm<Vec<(String, String)>>;

/// The title, date, type and notes inputs, showing `values` and the reasons in `feedback`.
fn fields(values: &WorkoutValues, feedback: &Feedback) -> Markup {
    html! {
        (form::input("title", "Title", "text", &values.title, feedback, "workout.title"))
        (form::input("date", "Date", "date", &values.date, feedback, "workout.date"))
        (form::select("workout_type", "Type", &type_options("Choose a type"), &values.workout_type, feedback, "workout.workout_type"))
        (form::textarea("notes", "Notes", &values.notes, feedback, "workout.notes"))
    }
}

/// The page of the creation form.
fn new_page(user: &SignedIn, values: &WorkoutValues, key: &str, feedback: &Feedback) -> Markup {
    let body = html! {
        section class="card" {
            (ui::notice(feedback))
            form method="post" action="/training/workouts" class="stack" id="workout-form" {
                (form::csrf(user.csrf()))
                (hidden("request_id", key))
                (fields(values, feedback))
                div class="actions" {
                    button type="submit" class="primary" { "Create workout" }
                    a href="/training" { "Cancel" }
                }
            }
        }
    };
    layout::page(&user.chrome(Section::Training), "New workout", body)
}

/// `GET /training/workouts/new`: the form, dated today (UTC).
pub(super) async fn new(user: SignedIn) -> PageResult {
    let values = WorkoutValues {
        date: OffsetDateTime::now_utc().date().to_string(),
        ..WorkoutValues::default()
    };
    Ok(new_page(&user, &values, &request_id(), &Feedback::default()).into_response())
}

/// `POST /training/workouts`: creates the workout and goes back to the list, or shows the
/// form again with the reasons (and the same idempotency key).
pub(super) async fn create(user: SignedIn, CsrfForm(pairs): Posted) -> PageResult {
    let posted = Fields::new(pairs);
    let values = WorkoutValues::read(&posted, "");
    let key = posted.get("request_id");
    let request = CreateWorkoutRequest {
        workout: Some(values.to_workout("")),
        request_id: key.clone(),
    };
    let created = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.workouts().create_workout(request).await }
        })
        .await;
    match created {
        Ok(_) => Ok(Redirect::to("/training?done=workout-created").into_response()),
        Err(err) => {
            let refused = refusal(err)?;
            let feedback = fold_unshown(refused.feedback, &SHOWN);
            Ok((refused.status, new_page(&user, &values, &key, &feedback)).into_response())
        }
    }
}

/// What a workout's page shows besides its forms.
#[derive(Debug)]
pub(super) struct Detail {
    found: GetWorkoutResponse,
    /// Recent exercises not linked to this workout yet.
    linkable: Vec<Exercise>,
}

impl Detail {
    /// The workout with its exercises, and the exercises that could be linked to it.
    pub(super) async fn load(user: &SignedIn, id: &str) -> Result<Self, ConsoleError> {
        let get = GetWorkoutRequest {
            include_entries: false,
            id: id.to_owned(),
            include_exercises: true,
        };
        let list = ListExercisesRequest {
            page_size: LINKABLE,
            ..ListExercisesRequest::default()
        };
        let (found, listed) = tokio::join!(
            user.api.call(|c| {
                let get = get.clone();
                async move { c.workouts().get_workout(get).await }
            }),
            user.api.call(|c| {
                let list = list.clone();
                async move { c.exercises().list_exercises(list).await }
            }),
        );
        let found = found.map_err(missing)?;
        let linkable = listed?
            .exercises
            .into_iter()
            .filter(|e| !e.workout_ids.iter().any(|w| w == id))
            .collect();
        Ok(Self { found, linkable })
    }
}

/// The state of the page's two forms.
#[derive(Debug, Default)]
pub(super) struct Forms {
    /// The edit form's values as typed.
    values: WorkoutValues,
    /// The values the edit form was first shown with.
    original: WorkoutValues,
    /// Why the edit was refused.
    edit: Feedback,
    /// Why a link or unlink was refused.
    pub(super) link: Feedback,
}

impl Forms {
    /// Both forms fresh, showing `detail`'s workout.
    pub(super) fn fresh(detail: &Detail) -> Self {
        let values = detail
            .found
            .workout
            .as_ref()
            .map(WorkoutValues::of)
            .unwrap_or_default();
        Self {
            original: values.clone(),
            values,
            ..Self::default()
        }
    }
}

/// The workout's page.
pub(super) fn detail_page(
    user: &SignedIn,
    detail: &Detail,
    forms: &Forms,
    done: Option<&str>,
) -> Markup {
    let workout = detail.found.workout.clone().unwrap_or_default();
    let href = workout_href(&workout.id);
    let body = html! {
        (ui::flash(done_message(done)))
        (summary_card(&workout))
        (edit_card(user, &href, forms))
        (exercises_card(user, detail, &href, &forms.link))
        section class="card" aria-labelledby="delete-heading" {
            h2 id="delete-heading" { "Delete" }
            p { "Deleting the workout unlinks its exercises; the exercises are kept." }
            (form::button_form(&format!("{href}/delete"), user.csrf(), "Delete workout", "danger",
                Some("Delete this workout? Its exercises are kept.")))
        }
        p { a href="/training" { "« All workouts" } }
    };
    layout::page(&user.chrome(Section::Training), &workout.title, body)
}

fn summary_card(workout: &Workout) -> Markup {
    html! {
        section class="card" aria-labelledby="summary-heading" {
            h2 id="summary-heading" { "Summary" }
            dl class="facts" {
                dt { "Date" } dd id="workout-date" { (day(&workout.date)) }
                dt { "Type" } dd { (type_label(workout.workout_type)) }
                dt { "Exercises" } dd id="workout-exercises" { (workout.exercise_count) }
                dt { "Minutes" } dd id="workout-minutes" { (workout.total_duration_minutes) }
                dt { "Created" } dd { (ui::time(workout.created_at.as_ref())) }
                dt { "Changed" } dd { (ui::time(workout.updated_at.as_ref())) }
                @if !workout.notes.is_empty() {
                    dt { "Notes" } dd id="workout-notes" { (workout.notes) }
                }
            }
        }
    }
}

/// The edit form; the values it was first shown with ride along in hidden fields, so the
/// update names only the fields changed since.
fn edit_card(user: &SignedIn, href: &str, forms: &Forms) -> Markup {
    html! {
        section class="card" aria-labelledby="edit-heading" {
            h2 id="edit-heading" { "Edit" }
            (ui::notice(&forms.edit))
            form method="post" action=(href) class="stack" id="workout-form" {
                (form::csrf(user.csrf()))
                (hidden(&format!("{ORIGINAL}title"), &forms.original.title))
                (hidden(&format!("{ORIGINAL}date"), &forms.original.date))
                (hidden(&format!("{ORIGINAL}workout_type"), &forms.original.workout_type))
                (hidden(&format!("{ORIGINAL}notes"), &forms.original.notes))
                (fields(&forms.values, &forms.edit))
                div class="actions" { button type="submit" class="primary" { "Save changes" } }
            }
        }
    }
}

fn exercises_card(user: &SignedIn, detail: &Detail, href: &str, feedback: &Feedback) -> Markup {
    let workout_id = detail
        .found
        .workout
        .as_ref()
        .map(|w| w.id.as_str())
        .unwrap_or_default();
    let options: Vec<(String, String)> =
        std::iter::once((String::new(), "Choose an exercise".to_owned()))
            .chain(detail.linkable.iter().map(|e| {
                let text = match e.duration_minutes {
                    Some(m) => format!("{} ({m} min)", e.name),
                    None => e.name.clone(),
                };
                (e.id.clone(), text)
            }))
            .collect();
    let options: Vec<(&str, &str)> = options
        .iter()
        .map(|(v, t)| (v.as_str(), t.as_str()))
        .collect();
    let all_of_it = format!(
        "/training?{}#exercises",
        serde_urlencoded::to_string([("ex_workout", workout_id)]).unwrap_or_default()
    );
    html! {
        section class="card" id="linked" aria-labelledby="linked-heading" {
            h2 id="linked-heading" { "Exercises" }
            (ui::notice(feedback))
            @if detail.found.exercises.is_empty() {
                (ui::empty("No exercises linked yet."))
            } @else {
                div class="table-wrap" {
                    table id="linked-table" {
                        thead {
                            tr {
                                th scope="col" { "Name" }
                                th scope="col" { "Minutes" }
                                th scope="col" { "Actions" }
                            }
                        }
                        tbody {
                            @for e in &detail.found.exercises {
                                tr {
                                    td { a href=(exercise_href(&e.id)) { (e.name) } }
                                    td { (minutes(e.duration_minutes)) }
                                    td {
                                        (form::button_form(&format!("{href}/exercises/{}/unlink", segment(&e.id)),
                                            user.csrf(), "Unlink", "", None))
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if detail.found.exercises_truncated {
                p { "Only the first 100 are shown: see " a href=(all_of_it) { "all the exercises of this workout" } "." }
            }
            form method="post" action={ (href) "/exercises" } class="filters" id="link-form" {
                (form::csrf(user.csrf()))
                (form::select("exercise_id", "Link an exercise", &options, "", feedback, "exercise_id"))
                div class="actions" { button type="submit" { "Link" } }
            }
            p {
                a href={ "/training/exercises/new?" (serde_urlencoded::to_string([("workout", workout_id)]).unwrap_or_default()) }
                    id="new-exercise-here" { "New exercise for this workout" }
            }
        }
    }
}

/// `GET /training/workouts/{id}`.
pub(super) async fn show(
    user: SignedIn,
    Path(id): Path<String>,
    Query(query): Query<Vec<(String, String)>>,
) -> PageResult {
    let detail = Detail::load(&user, &id).await?;
    let done = Fields::new(query).get("done");
    let page = detail_page(&user, &detail, &Forms::fresh(&detail), Some(&done));
    Ok(page.into_response())
}

/// `POST /training/workouts/{id}`: saves the fields the user changed (the update mask names
/// only those), or shows the page again with the reasons and what was typed.
pub(super) async fn update(
    user: SignedIn,
    Path(id): Path<String>,
    CsrfForm(pairs): Posted,
) -> PageResult {
    let posted = Fields::new(pairs);
    let values = WorkoutValues::read(&posted, "");
    let original = WorkoutValues::read(&posted, ORIGINAL);
    let paths = values.changed_from(&original);
    let href = workout_href(&id);
    if paths.is_empty() {
        return Ok(Redirect::to(&format!("{href}?done=unchanged")).into_response());
    }
    let request = UpdateWorkoutRequest {
        workout: Some(values.to_workout(&id)),
        update_mask: Some(FieldMask { paths }),
    };
    let updated = user
        .api
        .call(|c| {
            let request = request.clone();
            async move { c.workouts().update_workout(request).await }
        })
        .await;
    let Err(err) = updated else {
        return Ok(Redirect::to(&format!("{href}?done=workout-updated")).into_response());
    };
    let refused = refusal(err)?;
    let detail = Detail::load(&user, &id).await?;
    let forms = Forms {
        values,
        original,
        edit: fold_unshown(refused.feedback, &SHOWN),
        link: Feedback::default(),
    };
    Ok((refused.status, detail_page(&user, &detail, &forms, None)).into_response())
}

/// `POST /training/workouts/{id}/delete`.
pub(super) async fn delete(
    user: SignedIn,
    Path(id): Path<String>,
    CsrfForm(_): Posted,
) -> PageResult {
    let request = DeleteWorkoutRequest { id };
    user.api
        .call(|c| {
            let request = request.clone();
            async move { c.workouts().delete_workout(request).await }
        })
        .await
        .map_err(missing)?;
    Ok(Redirect::to("/training?done=workout-deleted").into_response())
}
