//! The query of `/training`: the filters and page of the workouts list and, under their own
//! `ex_` names, those of the exercises list, so each list pages without resetting the other.
//! Each becomes the `List` request it stands for, or the reasons the console cannot read it.

use shared::pb::fitness::v1::{ListExercisesRequest, ListWorkoutsRequest};

use super::forms::Fields;
use super::parse_type;
use crate::feedback::Feedback;

/// Rows per page of each list.
pub(super) const PAGE_SIZE: i32 = 20;

/// The workouts list's filters, as in the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct WorkoutFilters {
    /// `from`: first date, `YYYY-MM-DD`.
    pub(super) from: String,
    /// `to`: last date, `YYYY-MM-DD`.
    pub(super) to: String,
    /// `type`: a workout type's form value; empty for any.
    pub(super) kind: String,
    /// `q`: text the title contains.
    pub(super) title: String,
    /// `page_token`: the page.
    pub(super) page_token: String,
}

/// The exercises list's filters, as in the URL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ExerciseFilters {
    /// `ex_q`: text the name contains.
    pub(super) name: String,
    /// `ex_min`: least minutes.
    pub(super) min: String,
    /// `ex_max`: most minutes.
    pub(super) max: String,
    /// `ex_workout`: only the exercises of this workout.
    pub(super) workout: String,
    /// `ex_page_token`: the page.
    pub(super) page_token: String,
}

/// Everything `/training` reads from its URL.
#[derive(Debug, Clone, Default)]
pub(super) struct IndexQuery {
    pub(super) workouts: WorkoutFilters,
    pub(super) exercises: ExerciseFilters,
    /// The `?done=` key of a redirect.
    pub(super) done: Option<String>,
}

impl IndexQuery {
    /// Reads the query's fields; unknown ones are ignored.
    pub(super) fn read(fields: &Fields) -> Self {
        let done = fields.get("done");
        Self {
            workouts: WorkoutFilters {
                from: fields.get("from").trim().to_owned(),
                to: fields.get("to").trim().to_owned(),
                kind: fields.get("type"),
                title: fields.get("q"),
                page_token: fields.get("page_token"),
            },
            exercises: ExerciseFilters {
                name: fields.get("ex_q"),
                min: fields.get("ex_min").trim().to_owned(),
                max: fields.get("ex_max").trim().to_owned(),
                workout: fields.get("ex_workout").trim().to_owned(),
                page_token: fields.get("ex_page_token"),
            },
            done: (!done.is_empty()).then_some(done),
        }
    }

    /// The URL query of the workouts pager: everything but the workouts' page.
    pub(super) fn workouts_pager_query(&self) -> String {
        let mut pairs = self.workouts.pairs();
        pairs.extend(self.exercises.pairs());
        push(&mut pairs, "ex_page_token", &self.exercises.page_token);
        encode(&pairs)
    }

    /// The URL query of the exercises pager: everything but the exercises' page.
    pub(super) fn exercises_pager_query(&self) -> String {
        let mut pairs = self.workouts.pairs();
        push(&mut pairs, "page_token", &self.workouts.page_token);
        pairs.extend(self.exercises.pairs());
        encode(&pairs)
    }
}

fn push<'a>(pairs: &mut Vec<(&'static str, &'a str)>, name: &'static str, value: &'a str) {
    if !value.is_empty() {
        pairs.push((name, value));
    }
}

/// `pairs` URL-encoded.
fn encode(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

impl WorkoutFilters {
    /// The filters set, by URL name, without the page.
    pub(super) fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "from", &self.from);
        push(&mut pairs, "to", &self.to);
        push(&mut pairs, "type", &self.kind);
        push(&mut pairs, "q", &self.title);
        pairs
    }

    /// True when any filter is set.
    pub(super) fn any(&self) -> bool {
        !self.pairs().is_empty()
    }

    /// The `ListWorkouts` request; the service checks the dates and the text.
    pub(super) fn request(&self) -> Result<ListWorkoutsRequest, Feedback> {
        let kind = parse_type(&self.kind)
            .ok_or_else(|| Feedback::field("workout_type", "Choose one of the listed types."))?;
        Ok(ListWorkoutsRequest {
            page_size: PAGE_SIZE,
            page_token: self.page_token.clone(),
            workout_type: kind as i32,
            date_from: self.from.clone(),
            date_to: self.to.clone(),
            title_contains: self.title.clone(),
            ..ListWorkoutsRequest::default()
        })
    }
}

impl ExerciseFilters {
    /// The filters set, by URL name, without the page.
    pub(super) fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut pairs = Vec::new();
        push(&mut pairs, "ex_q", &self.name);
        push(&mut pairs, "ex_min", &self.min);
        push(&mut pairs, "ex_max", &self.max);
        push(&mut pairs, "ex_workout", &self.workout);
        pairs
    }

    /// True when any filter is set.
    pub(super) fn any(&self) -> bool {
        !self.pairs().is_empty()
    }

    /// The `ListExercises` request; the service checks the range of the bounds.
    pub(super) fn request(&self) -> Result<ListExercisesRequest, Feedback> {
        let mut feedback = Feedback::default();
        let mut bound = |typed: &str, field: &str| {
            if typed.is_empty() {
                return None;
            }
            typed.parse::<i32>().ok().or_else(|| {
                feedback.fields.insert(
                    field.to_owned(),
                    "Must be a whole number of minutes.".to_owned(),
                );
                None
            })
        };
        let min_duration_minutes = bound(&self.min, "min_duration_minutes");
        let max_duration_minutes = bound(&self.max, "max_duration_minutes");
        if !feedback.fields.is_empty() {
            feedback.message = "Please correct the fields marked below.".to_owned();
            return Err(feedback);
        }
        Ok(ListExercisesRequest {
            page_size: PAGE_SIZE,
            page_token: self.page_token.clone(),
            workout_id: self.workout.clone(),
            name_contains: self.name.clone(),
            min_duration_minutes,
            max_duration_minutes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::pb::fitness::v1::WorkoutType;

    fn query(pairs: &[(&str, &str)]) -> IndexQuery {
        IndexQuery::read(&Fields::new(
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        ))
    }

    #[test]
    fn workout_filters_become_the_list_request() {
        let q = query(&[
            ("from", " 2026-01-01 "),
            ("to", "2026-03-31"),
            ("type", "cardio"),
            ("q", "run"),
            ("page_token", "tok"),
        ]);
        let request = q.workouts.request().unwrap_or_default();
        assert_eq!(request.date_from, "2026-01-01");
        assert_eq!(request.date_to, "2026-03-31");
        assert_eq!(request.workout_type, WorkoutType::Cardio as i32);
        assert_eq!(request.title_contains, "run");
        assert_eq!(request.page_token, "tok");
        assert_eq!(request.page_size, PAGE_SIZE);
        assert!(q.workouts.any());
    }

    #[test]
    fn no_filters_list_everything() {
        let q = query(&[("done", "workout-created")]);
        let request = q.workouts.request().unwrap_or_default();
        assert_eq!(request.workout_type, 0);
        assert!(request.date_from.is_empty() && request.title_contains.is_empty());
        assert!(!q.workouts.any() && !q.exercises.any());
        assert_eq!(q.done.as_deref(), Some("workout-created"));
    }

    #[test]
    fn an_unknown_type_is_refused_beside_the_type_filter() {
        let refused = query(&[("type", "yoga")])
            .workouts
            .request()
            .err()
            .unwrap_or_default();
        assert!(refused.for_field("workout_type").is_some());
    }

    #[test]
    fn exercise_bounds_are_whole_numbers() {
        let q = query(&[
            ("ex_q", "row"),
            ("ex_min", "10"),
            ("ex_max", ""),
            ("ex_workout", "w1"),
        ]);
        let request = q.exercises.request().unwrap_or_default();
        assert_eq!(request.name_contains, "row");
        assert_eq!(request.min_duration_minutes, Some(10));
        assert_eq!(request.max_duration_minutes, None);
        assert_eq!(request.workout_id, "w1");
        let refused = query(&[("ex_min", "ten"), ("ex_max", "1e3")])
            .exercises
            .request()
            .err()
            .unwrap_or_default();
        assert!(refused.for_field("min_duration_minutes").is_some());
        assert!(refused.for_field("max_duration_minutes").is_some());
    }

    #[test]
    fn each_pager_keeps_the_other_lists_place() {
        let q = query(&[
            ("q", "a&b"),
            ("page_token", "W1"),
            ("ex_q", "row"),
            ("ex_page_token", "E1"),
            ("done", "unchanged"),
        ]);
        assert_eq!(
            q.workouts_pager_query(),
            "q=a%26b&ex_q=row&ex_page_token=E1"
        );
        assert_eq!(q.exercises_pager_query(), "q=a%26b&page_token=W1&ex_q=row");
    }
}
