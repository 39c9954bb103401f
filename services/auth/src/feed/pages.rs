//! The last page of events read for the streams, shared: when a revocation moves the head,
//! every stream of this replica wakes at the same cursor and asks for the same range; one of
//! them reads it from the database and the others take its copy (without this each follower
//! cost its replica a query per revocation: docs/SCALING.md).
//!
//! A page is known by the range it answers and by the feed's rewind count, so a page read
//! before the database went backwards (a restore) is never served after it.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::store::revocation_events::EventRow;

/// What a page answers: events in `(after, upto]` (the first `limit` of them), in the history
/// after `rewinds` rewinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Range {
    pub rewinds: u64,
    pub after: i64,
    pub upto: i64,
}

/// A page and the range it answers.
type Page = (Range, Arc<Vec<EventRow>>);

/// The last page read, behind a lock held while it is read, so concurrent streams asking for
/// the same range wait for one query instead of each making it.
#[derive(Debug, Clone, Default)]
pub(crate) struct SharedPage {
    last: Arc<Mutex<Option<Page>>>,
}

impl SharedPage {
    /// The events of `range`: the shared copy when the last page read answers it, else what
    /// `read` returns (which becomes the shared copy).
    pub(crate) async fn get<F, Fut, E>(
        &self,
        range: Range,
        read: F,
    ) -> Result<Arc<Vec<EventRow>>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Vec<EventRow>, E>>,
    {
        let mut last = self.last.lock().await;
        if let Some((held, rows)) = last.as_ref()
            && *held == range
        {
            return Ok(Arc::clone(rows));
        }
        let rows = Arc::new(read().await?);
        *last = Some((range, Arc::clone(&rows)));
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(sequence: i64) -> EventRow {
        EventRow {
            sequence,
            kind: "SESSION".into(),
            jti: None,
            session_id: Some(format!("s{sequence}")),
            user_id: "u".into(),
            revoked_at: 0,
            expires_at: 1,
        }
    }

    #[tokio::test]
    async fn a_range_is_read_once_and_any_other_range_or_rewind_reads_again() {
        let page = SharedPage::default();
        let reads = std::sync::atomic::AtomicUsize::new(0);
        let read = |rows: Vec<i64>| {
            reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async move { Ok::<_, ()>(rows.into_iter().map(row).collect()) }
        };
        let range = Range {
            rewinds: 0,
            after: 4,
            upto: 6,
        };
        let first = page.get(range, || read(vec![5, 6])).await.unwrap();
        let again = page.get(range, || read(vec![99])).await.unwrap();
        assert_eq!(again.iter().map(|r| r.sequence).collect::<Vec<_>>(), [5, 6]);
        assert!(Arc::ptr_eq(&first, &again));
        let rewound = Range {
            rewinds: 1,
            ..range
        };
        let other = page.get(rewound, || read(vec![5])).await.unwrap();
        assert_eq!(
            other.len(),
            1,
            "a rewind never serves the old history's page"
        );
        let later = Range { upto: 7, ..rewound };
        page.get(later, || read(vec![5, 7])).await.unwrap();
        assert_eq!(reads.load(std::sync::atomic::Ordering::Relaxed), 3);
    }
}
