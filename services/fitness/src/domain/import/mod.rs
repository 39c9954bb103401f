//! Importing a Strong or Hevy CSV export (`DataService.ImportWorkouts`).
//!
//! The file arrives in chunks and is parsed as they arrive ([`Parser`]): records with
//! csv-core ([`reader`]), each row read by its source's columns ([`strong`], [`hevy`]) into
//! compact workouts, entries and rows ([`upload`]). Anything malformed stops the import before
//! it writes: INVALID_ARGUMENT naming the line and column. Only once the whole file is read
//! does [`import`] begin its one transaction, so the writer is never held while a client
//! uploads.

mod fields;
mod hevy;
mod numbers;
mod reader;
mod sets;
mod slots;
mod strong;
mod upload;
mod write;

pub use reader::{MAX_FIELDS, Malformed};
pub use slots::Slots;
pub use upload::{
    MAX_ENTRIES, MAX_ENTRY_SETS, MAX_EXERCISES, MAX_ROWS, MAX_WORKOUT_SETS, MAX_WORKOUTS, Parser,
    Upload,
};
pub use write::import;

use super::training::WeightUnit;
use super::values::ZoneName;

/// Most bytes of one chunk.
pub const MAX_CHUNK_BYTES: usize = 1024 * 1024;
/// Most bytes of a whole file.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// The application a file comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Strong.
    Strong,
    /// Hevy.
    Hevy,
}

impl Source {
    /// The name import keys begin with.
    pub fn key_name(self) -> &'static str {
        match self {
            Self::Strong => "strong",
            Self::Hevy => "hevy",
        }
    }
}

/// How to read a file.
#[derive(Debug, Clone)]
pub struct Options {
    /// The application it comes from.
    pub source: Source,
    /// The zone of its local times.
    pub time_zone: ZoneName,
    /// Unit of Strong's weights (and so of its distances: miles with pounds).
    pub weight_unit: WeightUnit,
}
