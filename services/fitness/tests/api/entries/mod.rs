//! Entries and sets: ReplaceWorkoutEntries, validation per tracking mode, reading them back,
//! and every derived value kept in the same transaction.
