//! Importing Strong and Hevy CSV exports.
