//! `ExportMyData`: everything this service holds about the caller, as one UTF-8 JSON document
//! streamed in chunks of at most `shared::chunks::CHUNK_BYTES` (64 KiB):
//!
//! ```json
//! {"service":"fitness","user_id":"…","exported_at":"2025-01-02T03:04:05.678Z",
//!  "stats":{…} or null,"workouts":[…],"exercises":[…],
//!  "workout_exercises":[{"workout_id":"…","exercise_id":"…"},…],
//!  "entries":[…],"sets":[…],"catalogue_entries":[…],"personal_records":[…],
//!  "weekly_summaries":[…]}
//! ```
//!
//! or, as CSV, one row per set (see [`csv`]). Times are RFC 3339; training measures are in
//! their stored integer units (grams, millimetres, seconds, RPE × 2). A producer task reads each table in keyset pages of [`PAGE_ROWS`], a
//! connection held only for one page's query, and writes into a bounded channel: an export of
//! any size holds one page and a few chunks in memory, and a client that reads slowly slows
//! the producer instead of growing a buffer. Pages are read one after another, not in one
//! snapshot: a row the caller writes during their own export may be missing, or a link may
//! name an exercise created after the exercises were read. An error while producing ends the
//! stream with that error, after the chunks already sent: the document is then incomplete.

/// Declares `$section`, the [`Section`] `$name` of the document: rows of type `$row`, exported
/// as `$out`, read a page at a time by the store call `$page` with the connection, the user
/// and the key after which to start (of type `$key`, taken from the last row by `$position`).
macro_rules! section {
    (
        $(#[$doc:meta])*
        $section:ident = $name:literal: $row:ty => $out:ty,
        page($conn:ident, $user_id:ident, $after:ident: $key:ty) $page:expr,
        key($r:ident) $position:expr $(,)?
    ) => {
        $(#[$doc])*
        pub struct $section;

        impl Section for $section {
            const NAME: &'static str = $name;
            type Row = $row;
            type Key = $key;
            type Out = $out;

            async fn page<'a>(
                $conn: &'a mut sqlx::AnyConnection,
                $user_id: &'a str,
                $after: Option<&'a $key>,
            ) -> sqlx::Result<Vec<$row>> {
                $page.await
            }

            fn key($r: &$row) -> $key {
                $position
            }
        }
    };
}

mod csv;
mod shapes;
mod training;

use serde::Serialize;
use shared::db::Db;
use shared::time::{Micros, now_micros};
use sqlx::AnyConnection;

use self::shapes::{ExerciseOut, LinkOut, StatOut, WorkoutOut, time};
use super::ids::UserId;
use crate::error::{Fitness, Result};
use crate::store::exercises::{self, ExerciseRow};
use crate::store::links;
use crate::store::stats;
use crate::store::workouts::{self, After, Order, WorkoutRow};
use shared::chunks::{ChunkStream, Chunks};

/// Rows read per page: at most about 4 MiB even if every row carries the longest notes.
const PAGE_ROWS: i64 = 100;

/// What an export is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON document with every table.
    Json,
    /// One CSV row per set.
    Csv,
}

/// The export of `user_id`, as a stream of chunks to concatenate.
pub fn export(db: &Db, user_id: &UserId, format: Format) -> ChunkStream<Fitness> {
    let (mut out, stream) = Chunks::channel();
    let (db, user_id) = (db.clone(), user_id.clone());
    tokio::spawn(async move {
        let result = match format {
            Format::Json => produce(&db, &user_id, now_micros(), &mut out).await,
            Format::Csv => csv::produce(&db, &user_id, &mut out).await,
        };
        out.finish(result).await;
    });
    stream
}

/// Writes the whole document into `out`.
async fn produce(db: &Db, user_id: &UserId, now: Micros, out: &mut Chunks<Fitness>) -> Result<()> {
    let stat = {
        let mut conn = db.read().await?;
        stats::get(&mut conn, user_id).await?
    };
    out.write(br#"{"service":"fitness","user_id":"#).await?;
    out.json(&**user_id).await?;
    out.write(br#","exported_at":"#).await?;
    out.json(&time(now)).await?;
    out.write(br#","stats":"#).await?;
    out.json(&stat.map(StatOut::from)).await?;

    section::<Workouts>(db, out, user_id).await?;
    section::<Exercises>(db, out, user_id).await?;
    section::<Links>(db, out, user_id).await?;
    section::<training::Entries>(db, out, user_id).await?;
    section::<training::Sets>(db, out, user_id).await?;
    section::<training::Catalogue>(db, out, user_id).await?;
    section::<training::Records>(db, out, user_id).await?;
    section::<training::Weeks>(db, out, user_id).await?;
    out.write(b"}").await
}

/// A table as a section of the document: how its rows are paged and shown.
trait Section {
    /// The section's name in the document.
    const NAME: &'static str;
    /// A stored row.
    type Row: Send;
    /// The keyset position after a row.
    type Key: Send + Sync;
    /// A row as exported.
    type Out: Serialize + From<Self::Row>;

    /// The page of the user's rows after `after`, at most [`PAGE_ROWS`].
    fn page<'a>(
        conn: &'a mut AnyConnection,
        user_id: &'a str,
        after: Option<&'a Self::Key>,
    ) -> impl Future<Output = sqlx::Result<Vec<Self::Row>>> + Send + 'a;

    /// The position after `row`.
    fn key(row: &Self::Row) -> Self::Key;
}

section! {
    /// `workouts`, most recently created first.
    Workouts = "workouts": WorkoutRow => WorkoutOut,
    page(conn, user_id, after: After) workouts::list(
        conn,
        user_id,
        &workouts::Filter::default(),
        Order::CreatedDesc,
        after,
        PAGE_ROWS,
    ),
    key(row) After::Created(row.created_at, row.id.clone()),
}

section! {
    /// `exercises`, most recently created first.
    Exercises = "exercises": ExerciseRow => ExerciseOut,
    page(conn, user_id, after: (i64, String))
        exercises::list(conn, user_id, &exercises::Filter::default(), after, PAGE_ROWS),
    key(row) (row.created_at, row.id.clone()),
}

section! {
    /// `workout_exercises`, in key order.
    Links = "workout_exercises": (String, String) => LinkOut,
    page(conn, user_id, after: (String, String)) links::list(conn, user_id, after, PAGE_ROWS),
    key(row) row.clone(),
}

/// Writes `,"<name>":[…]` of section `S`: every row of its keyset pages, each page read
/// after the last row of the previous one.
async fn section<S: Section>(db: &Db, out: &mut Chunks<Fitness>, user_id: &str) -> Result<()> {
    out.write(format!(",\"{}\":[", S::NAME).as_bytes()).await?;
    let mut after = None;
    let mut first = true;
    loop {
        // The connection goes back before the rows are sent to a possibly slow reader.
        let rows = {
            let mut conn = db.read().await?;
            S::page(&mut conn, user_id, after.as_ref()).await?
        };
        let full = rows.len() == usize::try_from(PAGE_ROWS).unwrap_or(usize::MAX);
        after = rows.last().map(S::key);
        for row in rows {
            if !first {
                out.write(b",").await?;
            }
            first = false;
            out.json(&S::Out::from(row)).await?;
        }
        if !full {
            break;
        }
    }
    out.write(b"]").await
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt as _;

    use super::*;
    use crate::domain::deletion::tests::Scratch;
    use shared::chunks::CHUNK_BYTES;

    /// The export of `user_id`, concatenated, and its chunks' sizes.
    async fn document(db: &Db, user_id: &str) -> (serde_json::Value, Vec<usize>) {
        let user_id = UserId::parse(user_id.to_owned()).unwrap();
        let chunks: Vec<Vec<u8>> = export(db, &user_id, Format::Json)
            .map(|chunk| chunk.unwrap())
            .collect()
            .await;
        let sizes = chunks.iter().map(Vec::len).collect();
        (serde_json::from_slice(&chunks.concat()).unwrap(), sizes)
    }

    #[tokio::test]
    async fn an_export_pages_through_every_table_in_chunks_of_at_most_64_kib() {
        let scratch = Scratch::new().await;
        // More rows than two pages, so every section is read in three, and more than 64 KiB.
        for _ in 0..2 * PAGE_ROWS + 5 {
            scratch.seed("ada").await;
        }
        scratch.seed("bob").await;
        let (doc, sizes) = document(&scratch.db, "ada").await;
        let rows = usize::try_from(2 * PAGE_ROWS + 5).unwrap();
        for section in ["workouts", "exercises", "workout_exercises"] {
            assert_eq!(doc[section].as_array().unwrap().len(), rows, "{section}");
        }
        assert_eq!(doc["service"], "fitness");
        assert_eq!(doc["user_id"], "ada");
        assert!(doc["stats"].is_object());
        assert!(sizes.len() > 1, "{sizes:?}");
        assert!(
            sizes.iter().all(|&n| n > 0 && n <= CHUNK_BYTES),
            "{sizes:?}"
        );
    }

    #[tokio::test]
    async fn a_user_with_no_rows_exports_empty_sections() {
        let scratch = Scratch::new().await;
        let (doc, sizes) = document(&scratch.db, "nobody").await;
        assert_eq!(sizes.len(), 1);
        assert!(doc["stats"].is_null());
        for section in ["workouts", "exercises", "workout_exercises"] {
            assert_eq!(doc[section], serde_json::json!([]), "{section}");
        }
    }
}
