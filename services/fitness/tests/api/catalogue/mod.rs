//! The exercise catalogue: built-in entries, filters, custom entries and their isolation.
