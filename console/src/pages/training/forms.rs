//! What the workout and exercise forms hold, read from a submitted body, turned into API
//! messages, and compared with what the form was shown with to build an update mask: only
//! the fields the user changed are sent, so a change made elsewhere to another field since
//! the page was shown is kept.

use shared::pb::fitness::v1::{Exercise, Workout, WorkoutType};

use super::{parse_type, type_value};
use crate::feedback::Feedback;

/// Prefix of the hidden fields holding the values a form was shown with.
pub(super) const ORIGINAL: &str = "orig_";

/// A submitted form's (or query's) fields in order; a repeated name (the workouts of an
/// exercise) appears once per value. Forms are read this way because the console's form
/// decoder does not gather repeated names into lists.
#[derive(Debug, Clone, Default)]
pub(super) struct Fields(Vec<(String, String)>);

impl Fields {
    /// The fields of a decoded body or query.
    pub(super) fn new(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// The last value of `name`, or "".
    pub(super) fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Every value of `name`, in order.
    pub(super) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The fields of the workout form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct WorkoutValues {
    pub(super) title: String,
    /// `YYYY-MM-DD`, as the date input sends it.
    pub(super) date: String,
    /// The form value of the type ("strength", …); empty when none was chosen.
    pub(super) workout_type: String,
    pub(super) notes: String,
}

impl WorkoutValues {
    /// The values of a workout as the service has it.
    pub(super) fn of(workout: &Workout) -> Self {
        Self {
            title: workout.title.clone(),
            date: workout.date.clone(),
            workout_type: type_value(workout.workout_type).to_owned(),
            notes: workout.notes.clone(),
        }
    }

    /// The values in `fields`, each named `prefix` + its name.
    pub(super) fn read(fields: &Fields, prefix: &str) -> Self {
        let get = |name: &str| fields.get(&format!("{prefix}{name}"));
        Self {
            title: get("title"),
            date: get("date"),
            workout_type: get("workout_type"),
            notes: get("notes"),
        }
    }

    /// The workout to send; an unknown type goes as unspecified, which the service refuses
    /// beside the type field.
    pub(super) fn to_workout(&self, id: &str) -> Workout {
        let kind = parse_type(&self.workout_type).unwrap_or(WorkoutType::Unspecified);
        Workout {
            id: id.to_owned(),
            title: self.title.clone(),
            date: self.date.clone(),
            notes: self.notes.clone(),
            workout_type: kind as i32,
            ..Workout::default()
        }
    }

    /// The update mask's paths: the fields that differ from `original`, in the API's names.
    pub(super) fn changed_from(&self, original: &Self) -> Vec<String> {
        [
            ("title", self.title != original.title),
            ("date", self.date != original.date),
            ("notes", self.notes != original.notes),
            ("workout_type", self.workout_type != original.workout_type),
        ]
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(path, _)| path.to_owned())
        .collect()
    }
}

/// The fields of the exercise form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ExerciseValues {
    pub(super) name: String,
    pub(super) description: String,
    /// Minutes as typed; empty means unknown.
    pub(super) duration: String,
    /// The workouts ticked.
    pub(super) workout_ids: Vec<String>,
}

/// The API's name of the duration field, where its errors are shown.
pub(super) const DURATION_FIELD: &str = "exercise.duration_minutes";

impl ExerciseValues {
    /// The values of an exercise as the service has it.
    pub(super) fn of(exercise: &Exercise) -> Self {
        Self {
            name: exercise.name.clone(),
            description: exercise.description.clone(),
            duration: exercise
                .duration_minutes
                .map(|m| m.to_string())
                .unwrap_or_default(),
            workout_ids: exercise.workout_ids.clone(),
        }
    }

    /// The values in `fields`, each named `prefix` + its name.
    pub(super) fn read(fields: &Fields, prefix: &str) -> Self {
        Self {
            name: fields.get(&format!("{prefix}name")),
            description: fields.get(&format!("{prefix}description")),
            duration: fields.get(&format!("{prefix}duration_minutes")),
            workout_ids: fields.all(&format!("{prefix}workout_ids")),
        }
    }

    /// The duration: `None` when left empty; a reason when it is not a whole number (the
    /// service checks the range).
    pub(super) fn duration_minutes(&self) -> Result<Option<i32>, String> {
        let typed = self.duration.trim();
        if typed.is_empty() {
            return Ok(None);
        }
        typed
            .parse::<i32>()
            .map(Some)
            .map_err(|_| "Must be a whole number of minutes.".to_owned())
    }

    /// The exercise to send, or the feedback of a duration the console cannot read.
    pub(super) fn to_exercise(&self, id: &str) -> Result<Exercise, Feedback> {
        let duration_minutes = self
            .duration_minutes()
            .map_err(|reason| Feedback::field(DURATION_FIELD, reason))?;
        Ok(Exercise {
            id: id.to_owned(),
            name: self.name.clone(),
            description: self.description.clone(),
            duration_minutes,
            workout_ids: self.workout_ids.clone(),
            ..Exercise::default()
        })
    }

    /// The update mask's paths: the fields that differ from `original` (the duration by its
    /// number, the workouts as a set), in the API's names.
    pub(super) fn changed_from(&self, original: &Self) -> Vec<String> {
        let same_set = |a: &[String], b: &[String]| {
            a.iter().all(|id| b.contains(id)) && b.iter().all(|id| a.contains(id))
        };
        [
            ("name", self.name != original.name),
            ("description", self.description != original.description),
            (
                "duration_minutes",
                self.duration_minutes() != original.duration_minutes(),
            ),
            (
                "workout_ids",
                !same_set(&self.workout_ids, &original.workout_ids),
            ),
        ]
        .into_iter()
        .filter(|(_, changed)| *changed)
        .map(|(path, _)| path.to_owned())
        .collect()
    }
}

/// The links to send when the user turned `original` into `ticked` while the exercise now has
/// `current` (links made elsewhere since the form was shown, e.g. from a workout's page, are
/// kept unless the user unticked them): `current`, minus what was unticked, plus what was
/// ticked, without duplicates.
pub(super) fn merged_links(
    current: &[String],
    original: &[String],
    ticked: &[String],
) -> Vec<String> {
    let unticked = |id: &String| original.contains(id) && !ticked.contains(id);
    let mut links: Vec<String> = Vec::new();
    let kept = current.iter().filter(|id| !unticked(id));
    let added = ticked.iter().filter(|id| !original.contains(id));
    for id in kept.chain(added) {
        if !links.contains(id) {
            links.push(id.clone());
        }
    }
    links
}

/// `links` with `id` added, if it is not there yet.
pub(super) fn with_link(links: &[String], id: &str) -> Option<Vec<String>> {
    if links.iter().any(|l| l == id) {
        return None;
    }
    let mut out = links.to_vec();
    out.push(id.to_owned());
    Some(out)
}

/// `links` without `id`, if it was there.
pub(super) fn without_link(links: &[String], id: &str) -> Option<Vec<String>> {
    let out: Vec<String> = links.iter().filter(|l| *l != id).cloned().collect();
    (out.len() != links.len()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        Fields::new(
            pairs
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn repeated_fields_are_all_read_and_single_ones_take_the_last() {
        let f = fields(&[
            ("workout_ids", "a"),
            ("name", "x"),
            ("workout_ids", "b"),
            ("name", "y"),
        ]);
        assert_eq!(f.all("workout_ids"), ids(&["a", "b"]));
        assert_eq!(f.get("name"), "y");
        assert_eq!(f.get("missing"), "");
    }

    #[test]
    fn the_workout_mask_names_only_the_changed_fields() {
        let f = fields(&[
            ("title", "Leg day"),
            ("date", "2026-03-02"),
            ("workout_type", "strength"),
            ("notes", ""),
            ("orig_title", "Legs"),
            ("orig_date", "2026-03-02"),
            ("orig_workout_type", "strength"),
            ("orig_notes", "heavy"),
        ]);
        let now = WorkoutValues::read(&f, "");
        let before = WorkoutValues::read(&f, ORIGINAL);
        assert_eq!(now.changed_from(&before), ids(&["title", "notes"]));
        assert!(now.changed_from(&now).is_empty());
        let sent = now.to_workout("w1");
        assert_eq!(sent.workout_type, WorkoutType::Strength as i32);
        assert_eq!(
            sent.notes, "",
            "a cleared field is sent empty, with its path"
        );
    }

    #[test]
    fn an_unknown_type_is_sent_unspecified_for_the_service_to_refuse() {
        let values = WorkoutValues {
            workout_type: "yoga".into(),
            ..WorkoutValues::default()
        };
        assert_eq!(values.to_workout("").workout_type, 0);
    }

    #[test]
    fn the_exercise_mask_compares_minutes_as_numbers_and_links_as_sets() {
        let before = ExerciseValues {
            name: "Rowing".into(),
            description: String::new(),
            duration: "30".into(),
            workout_ids: ids(&["a", "b"]),
        };
        let reordered = ExerciseValues {
            duration: " 030 ".into(),
            workout_ids: ids(&["b", "a"]),
            ..before.clone()
        };
        assert!(reordered.changed_from(&before).is_empty());
        let changed = ExerciseValues {
            duration: String::new(),
            workout_ids: ids(&["a"]),
            ..before.clone()
        };
        assert_eq!(
            changed.changed_from(&before),
            ids(&["duration_minutes", "workout_ids"])
        );
    }

    #[test]
    fn a_duration_is_empty_or_a_whole_number() {
        let with = |d: &str| ExerciseValues {
            duration: d.into(),
            ..ExerciseValues::default()
        };
        assert_eq!(with("").duration_minutes(), Ok(None));
        assert_eq!(with(" 45 ").duration_minutes(), Ok(Some(45)));
        assert!(with("half an hour").duration_minutes().is_err());
        let refused = with("1.5").to_exercise("").err().unwrap_or_default();
        assert!(refused.for_field(DURATION_FIELD).is_some());
        assert_eq!(
            with("2000").to_exercise("").map(|e| e.duration_minutes),
            Ok(Some(2000))
        );
    }

    #[test]
    fn links_made_elsewhere_survive_an_edit() {
        // Shown with a and b; the user unticked b and ticked c; meanwhile d was linked.
        let merged = merged_links(&ids(&["a", "b", "d"]), &ids(&["a", "b"]), &ids(&["a", "c"]));
        assert_eq!(merged, ids(&["a", "d", "c"]));
        assert_eq!(merged_links(&[], &[], &ids(&["x", "x"])), ids(&["x"]));
    }

    #[test]
    fn linking_and_unlinking_say_when_there_is_nothing_to_do() {
        assert_eq!(with_link(&ids(&["a"]), "b"), Some(ids(&["a", "b"])));
        assert_eq!(with_link(&ids(&["a"]), "a"), None);
        assert_eq!(without_link(&ids(&["a", "b"]), "a"), Some(ids(&["b"])));
        assert_eq!(without_link(&ids(&["a"]), "z"), None);
    }
}
