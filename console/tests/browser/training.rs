//! Browser tests of the console (being written).
