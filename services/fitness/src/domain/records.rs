//! Personal records: the best set of each exercise by each measure, recomputed from that
//! exercise's sets alone (never the whole history) in the transaction of every write that
//! changes them; and their listing.

use std::collections::{HashMap, HashSet};

use shared::db::Db;
use shared::paging::{Page, PageRequest};
use sqlx::AnyConnection;

use super::ids::{Id, UserId};
use super::training::{SetType, TrackingMode, thousandths};
use crate::error::{Error, Result};
use crate::store::exercises;
use crate::store::history::{self, SetRow};
use crate::store::records::{self, Filter, RecordAfter};

/// Most exercises recomputed together: a bound on a statement's placeholders.
const CHUNK: usize = 200;

/// The best claim found so far to one record: its value, rank and set.
type Best = (i64, (i64, i64), SetRow);

/// Recomputes every record of each of `exercise_ids` (the user's) from their current sets,
/// inside the caller's transaction: one pass over those exercises' sets (O(sets of those
/// exercises), never the user's whole history, holding only the best set per kind), ranked by
/// [`claim`], the one place the rules of a record live.
#[tracing::instrument(level = "debug", skip_all, fields(exercises = exercise_ids.len()))]
pub(crate) async fn recompute(
    conn: &mut AnyConnection,
    user_id: &str,
    exercise_ids: &[String],
    now: i64,
) -> Result<()> {
    let mut ids = exercise_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for chunk in ids.chunks(CHUNK) {
        let modes: HashMap<String, TrackingMode> = exercises::modes_of(conn, user_id, chunk)
            .await?
            .into_iter()
            .filter_map(|(id, _, mode)| Some((id, TrackingMode::from_db_name(&mode)?)))
            .collect();
        let mut best: HashMap<(String, RecordKind), Best> = HashMap::new();
        records::each_candidate(conn, user_id, chunk, |set| {
            let Some(&mode) = modes.get(&set.exercise_id) else {
                return;
            };
            for kind in RecordKind::ALL {
                let Some(new) = claim(kind, mode, &set) else {
                    continue;
                };
                let key = (set.exercise_id.clone(), kind);
                let wins = best.get(&key).is_none_or(|(value, rank, held)| {
                    new.beats(&Claim {
                        value: *value,
                        rank: *rank,
                        set: held,
                    })
                });
                if wins {
                    let (value, rank) = (new.value, new.rank);
                    best.insert(key, (value, rank, set.clone()));
                }
            }
        })
        .await?;
        records::delete_of(conn, user_id, chunk).await?;
        let rows: Vec<records::NewRecord<'_>> = best
            .iter()
            .map(|((exercise, kind), (value, _, set))| {
                (exercise.as_str(), kind.db_name(), *value, set)
            })
            .collect();
        records::upsert(conn, user_id, &rows, now).await?;
    }
    Ok(())
}

/// A set's claim to a record of one kind: the value, and its rank (higher is better, then
/// the earliest set by workout date, workout id and position).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Claim<'a> {
    value: i64,
    rank: (i64, i64),
    set: &'a SetRow,
}

impl Claim<'_> {
    /// True when this claim takes the record from `other`.
    fn beats(&self, other: &Claim<'_>) -> bool {
        let earlier = (
            &self.set.workout_date,
            &self.set.workout_id,
            self.set.position,
        ) < (
            &other.set.workout_date,
            &other.set.workout_id,
            other.set.position,
        );
        self.rank > other.rank || (self.rank == other.rank && earlier)
    }

    /// True when both claim alike from the same place.
    fn same_as(&self, other: &Claim<'_>) -> bool {
        self.value == other.value
            && self.rank == other.rank
            && (
                &self.set.id,
                &self.set.workout_date,
                &self.set.workout_id,
                self.set.position,
            ) == (
                &other.set.id,
                &other.set.workout_date,
                &other.set.workout_id,
                other.set.position,
            )
    }
}

/// The claim of `set` (of an exercise tracked in `mode`) to the record of `kind`, if any:
///
/// - heaviest weight: weight_g above 0, reps ≥ 1, modes counting volume;
/// - best estimated 1RM: Epley in integer grams, weight_g × (30 + reps) / 30, the weight
///   itself for a single; the same sets;
/// - most reps: reps ≥ 1, ties by the heavier weight (none counts as 0);
/// - longest distance: distance_mm above 0;
/// - fastest pace: milliseconds per km, duration_s × 10^9 / distance_mm, over sets with both
///   above 0; lower is better.
///
/// Warm-ups never claim.
fn claim(kind: RecordKind, mode: TrackingMode, set: &SetRow) -> Option<Claim<'_>> {
    if SetType::from_db_name(&set.set_type) == Some(SetType::Warmup) {
        return None;
    }
    let reps = i64::from(set.reps.unwrap_or(0));
    let weight = set.weight_g.unwrap_or(0);
    let distance = set.distance_mm.unwrap_or(0);
    let duration = i64::from(set.duration_s.unwrap_or(0));
    let (value, rank) = match kind {
        RecordKind::HeaviestWeight | RecordKind::BestEstimated1rm => {
            if !mode.counts_volume() || weight <= 0 || reps < 1 {
                return None;
            }
            let value = match kind {
                RecordKind::HeaviestWeight => weight,
                _ if reps == 1 => weight,
                _ => weight.saturating_mul(30 + reps) / 30,
            };
            (value, (value, 0))
        }
        RecordKind::MostReps if reps >= 1 => (reps, (reps, weight)),
        RecordKind::LongestDistance if distance > 0 => (distance, (distance, 0)),
        RecordKind::FastestPace if distance > 0 && duration > 0 => {
            let pace = duration.saturating_mul(1_000_000_000) / distance;
            (pace, (-pace, 0))
        }
        _ => return None,
    };
    Some(Claim { value, rank, set })
}

/// Brings the records of `exercises` up to date after one workout's sets were rewritten:
/// `before` are their records as they stood (read with [`records_of`] before the write),
/// `removed` the ids of the workout's sets before it, `added` its sets after it, `modes` the
/// tracking mode of each exercise with added sets.
///
/// A record whose set was removed, or rewritten so that it claims otherwise, has its
/// exercise's records recomputed from all its sets (O(sets of that exercise)). Every other
/// record can only be taken by an added set, so only those are compared with it: the usual
/// edit, adding or changing sets of a workout that does not hold the record, costs
/// O(added sets) and two statements whatever the history.
#[tracing::instrument(level = "debug", skip_all, fields(exercises = exercises.len()))]
#[allow(clippy::too_many_arguments)]
pub(crate) async fn update(
    conn: &mut AnyConnection,
    user_id: &str,
    exercises: &[String],
    before: &[records::RecordRow],
    removed: &HashSet<&str>,
    added: &[SetRow],
    modes: &HashMap<String, TrackingMode>,
    now: i64,
) -> Result<()> {
    let added_by_id: HashMap<&str, &SetRow> = added.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut stale: HashSet<&str> = HashSet::new();
    let mut held: HashMap<(&str, RecordKind), Claim<'_>> = HashMap::new();
    for record in before {
        let Some(kind) = RecordKind::from_db_name(&record.kind) else {
            stale.insert(record.exercise_id.as_str());
            continue;
        };
        let mode = modes.get(&record.exercise_id).copied();
        let old = mode.and_then(|mode| claim(kind, mode, &record.set));
        if removed.contains(record.set.id.as_str()) {
            // Its set was rewritten: still the record only if it claims exactly as before.
            let now_claims = added_by_id
                .get(record.set.id.as_str())
                .filter(|set| set.exercise_id == record.exercise_id)
                .and_then(|set| mode.and_then(|mode| claim(kind, mode, set)));
            match (&old, now_claims) {
                (Some(old), Some(new)) if old.same_as(&new) => {}
                _ => {
                    stale.insert(record.exercise_id.as_str());
                    continue;
                }
            }
        }
        if let Some(old) = old {
            held.insert((record.exercise_id.as_str(), kind), old);
        } else if mode.is_some() {
            // A record its set no longer claims under the exercise's mode: recompute.
            stale.insert(record.exercise_id.as_str());
        }
    }
    let mut best: HashMap<(&str, RecordKind), Claim<'_>> = HashMap::new();
    for set in added {
        let exercise = set.exercise_id.as_str();
        let Some(&mode) = modes.get(exercise) else {
            continue;
        };
        if stale.contains(exercise) {
            continue;
        }
        for kind in RecordKind::ALL {
            let Some(new) = claim(kind, mode, set) else {
                continue;
            };
            let key = (exercise, kind);
            let wins = best.get(&key).is_none_or(|b| new.beats(b))
                && held.get(&key).is_none_or(|h| new.beats(h));
            if wins {
                best.insert(key, new);
            }
        }
    }
    let changed: Vec<records::NewRecord<'_>> = best
        .iter()
        .filter(|(key, new)| held.get(key).is_none_or(|h| new.beats(h)))
        .map(|((exercise, kind), new)| (*exercise, kind.db_name(), new.value, new.set))
        .collect();
    records::upsert(conn, user_id, &changed, now).await?;
    let stale: Vec<String> = exercises
        .iter()
        .filter(|e| stale.contains(e.as_str()))
        .cloned()
        .collect();
    recompute(conn, user_id, &stale, now).await
}

/// The records of the user's `exercises` with their sets, as [`update`] takes them: read
/// before the write that may change them.
pub(crate) async fn records_of(
    conn: &mut AnyConnection,
    user_id: &str,
    exercises: &[String],
) -> Result<Vec<records::RecordRow>> {
    Ok(records::of_exercises(conn, user_id, exercises).await?)
}

/// A measure a record is kept by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// Heaviest weight of one set, grams.
    HeaviestWeight,
    /// Best Epley estimate of one set, grams.
    BestEstimated1rm,
    /// Most reps of one set (ties by the heavier weight).
    MostReps,
    /// Longest distance of one set, millimetres.
    LongestDistance,
    /// Fastest pace of one set, milliseconds per km (lower is better).
    FastestPace,
}

impl RecordKind {
    /// Every kind.
    pub const ALL: [RecordKind; 5] = [
        Self::HeaviestWeight,
        Self::BestEstimated1rm,
        Self::MostReps,
        Self::LongestDistance,
        Self::FastestPace,
    ];

    /// The stored name.
    pub fn db_name(self) -> &'static str {
        match self {
            Self::HeaviestWeight => "HEAVIEST_WEIGHT",
            Self::BestEstimated1rm => "BEST_ESTIMATED_1RM",
            Self::MostReps => "MOST_REPS",
            Self::LongestDistance => "LONGEST_DISTANCE",
            Self::FastestPace => "FASTEST_PACE",
        }
    }

    /// The kind of a stored name.
    pub fn from_db_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.db_name() == name)
    }

    /// A stored value in the unit clients see: kilograms, reps, metres or seconds per km.
    pub fn output(self, value: i64) -> f64 {
        match self {
            Self::MostReps => value as f64,
            // Grams, millimetres and milliseconds are all thousandths of what is shown.
            Self::HeaviestWeight
            | Self::BestEstimated1rm
            | Self::LongestDistance
            | Self::FastestPace => thousandths(value),
        }
    }
}

/// A validated `ListPersonalRecords`.
#[derive(Debug, Clone)]
pub struct RecordQuery {
    /// Only this exercise's records (one of the caller's, else NOT_FOUND).
    pub exercise_id: Option<Id>,
    /// Only records of this kind.
    pub kind: Option<RecordKind>,
    /// Page size and the position after the previous page.
    pub page: PageRequest<RecordAfter>,
}

/// A record as returned: the measure, its stored value and the set holding it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The exercise's UUIDv7.
    pub exercise_id: String,
    /// The measure.
    pub kind: RecordKind,
    /// In the kind's integer unit (see [`RecordKind::output`]).
    pub value: i64,
    /// The set holding the record, with its workout.
    pub set: SetRow,
}

/// One page of the user's records, by exercise id then kind, each with its set: at most two
/// queries whatever the page size.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn list(db: &Db, user_id: &UserId, query: RecordQuery) -> Result<Page<Record>> {
    let mut conn = db.read().await?;
    if let Some(id) = &query.exercise_id
        && !history::exercise_exists(&mut conn, user_id, id.as_str()).await?
    {
        return Err(Error::NotFound("exercise"));
    }
    let filter = Filter {
        exercise_id: query.exercise_id.map(Id::into_string),
        kind: query.kind.map(|k| k.db_name().to_owned()),
    };
    let page = query.page;
    let rows = records::list(
        &mut conn,
        user_id,
        &filter,
        page.after.as_ref(),
        page.limit(),
    )
    .await?;
    let page = page.page(rows, |last| (last.exercise_id.clone(), last.kind.clone()));
    let items = page
        .items
        .into_iter()
        .map(|row| {
            let kind = RecordKind::from_db_name(&row.kind)
                .ok_or_else(|| Error::internal(format!("stored record kind {:?}", row.kind)))?;
            Ok(Record {
                exercise_id: row.exercise_id,
                kind,
                value: row.value,
                set: row.set,
            })
        })
        .collect::<Result<_>>()?;
    Ok(Page {
        items,
        next_page_token: page.next_page_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_their_stored_names() {
        for kind in RecordKind::ALL {
            assert_eq!(RecordKind::from_db_name(kind.db_name()), Some(kind));
        }
        assert_eq!(RecordKind::from_db_name("FASTEST"), None);
    }

    #[test]
    fn values_show_in_the_kinds_unit() {
        assert_eq!(RecordKind::HeaviestWeight.output(102_058), 102.058);
        assert_eq!(RecordKind::MostReps.output(12), 12.0);
        assert_eq!(RecordKind::LongestDistance.output(5_000_000), 5000.0);
        assert_eq!(RecordKind::FastestPace.output(300_000), 300.0);
    }
}
