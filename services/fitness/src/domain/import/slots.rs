//! How many imports run at once: one per user and [`AT_ONCE`] in all. An import keeps its
//! parsed upload in memory until it is written (bounded by the file's caps, but tens of MiB
//! at the largest) and then holds the writer for its transaction, so imports beyond these
//! are refused at once (RESOURCE_EXHAUSTED with RetryInfo) rather than piling up. A slot is
//! taken before the first chunk is read and given back when the call ends, however it ends.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, Result};

/// Imports running at once, over every user.
pub const AT_ONCE: usize = 2;

/// When a refused client should try again: an ordinary import takes a second or two.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// The import slots of one service.
#[derive(Debug)]
pub struct Slots {
    all: Arc<Semaphore>,
    users: Mutex<HashSet<String>>,
}

impl Default for Slots {
    fn default() -> Self {
        Self {
            all: Arc::new(Semaphore::new(AT_ONCE)),
            users: Mutex::new(HashSet::new()),
        }
    }
}

/// A running import's slot, given back when dropped.
#[derive(Debug)]
pub struct Slot {
    slots: Arc<Slots>,
    user_id: String,
    _permit: OwnedSemaphorePermit,
}

impl Slots {
    /// A slot for `user_id`'s import; RESOURCE_EXHAUSTED (`IMPORT_IN_PROGRESS` for the same
    /// user, `TOO_MANY_IMPORTS` when every slot is taken) with a retry time otherwise.
    pub fn take(self: &Arc<Self>, user_id: &str) -> Result<Slot> {
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if users.contains(user_id) {
            return Err(Error::RetryLater {
                reason: "IMPORT_IN_PROGRESS",
                retry_after: RETRY_AFTER,
            });
        }
        let permit = Arc::clone(&self.all)
            .try_acquire_owned()
            .map_err(|_| Error::RetryLater {
                reason: "TOO_MANY_IMPORTS",
                retry_after: RETRY_AFTER,
            })?;
        users.insert(user_id.to_owned());
        Ok(Slot {
            slots: Arc::clone(self),
            user_id: user_id.to_owned(),
            _permit: permit,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut users = self.slots.users.lock().unwrap_or_else(|p| p.into_inner());
        users.remove(&self.user_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_import_per_user_and_a_few_in_all() {
        let slots = Arc::new(Slots::default());
        let ada = slots.take("ada").expect("a free slot");
        assert!(matches!(
            slots.take("ada"),
            Err(Error::RetryLater {
                reason: "IMPORT_IN_PROGRESS",
                ..
            })
        ));
        let bob = slots.take("bob").expect("a second slot");
        assert!(matches!(
            slots.take("cy"),
            Err(Error::RetryLater {
                reason: "TOO_MANY_IMPORTS",
                ..
            })
        ));
        drop(ada);
        let _cy = slots.take("cy").expect("a slot given back");
        drop(bob);
        let _ada = slots.take("ada").expect("ada's slot given back");
    }
}
