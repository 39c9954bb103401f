//! The console in a real browser: headless Chromium driven through WebDriver (chromedriver)
//! against the real services started in-process, on both backends.
//!
//! Without Chromium the tests skip with one line saying how to install it, unless
//! `STRIDE_TEST_BROWSER=required` (CI), where they fail instead.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// `#[macro_use]`: `browser_tests!` is in scope in every module below, by name or as
// `crate::browser_tests!`.
#[macro_use]
mod harness;

mod accessibility;
mod admin;
mod login;
mod profile;
mod security;
mod sessions;
mod training;
