//! Personal records, exercise history and weekly summaries.
