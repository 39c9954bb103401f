//! Personal records: the best set of each exercise by each measure, recomputed from that
//! exercise's sets alone (never the whole history) in the transaction of every write that
//! changes them; and their listing.

use shared::db::Db;
use shared::paging::{Page, PageRequest};
use sqlx::AnyConnection;

use super::ids::{Id, UserId};
use crate::error::{Error, Result};
use crate::store::history::{self, SetRow};
use crate::store::records::{self, Filter, RecordAfter};

/// Most exercises recomputed by one statement: a bound on its placeholders.
const CHUNK: usize = 200;

/// Recomputes every record of each of `exercise_ids` (the user's) from their current sets,
/// inside the caller's transaction: O(sets of those exercises), two statements per
/// [`CHUNK`] exercises.
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
        records::delete_of(conn, user_id, chunk).await?;
        records::insert_best(conn, user_id, chunk, now).await?;
    }
    Ok(())
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
            | Self::FastestPace => value as f64 / 1000.0,
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
