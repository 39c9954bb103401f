//! The second factor's tables (skeleton).
