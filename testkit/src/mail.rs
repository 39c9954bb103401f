//! A real SMTP server for tests (skeleton).
