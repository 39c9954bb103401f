//! Where secrets and confirmations come from: a flag, its environment variable, or a prompt
//! when stdin is a terminal (passwords typed without echo). A script without any of them gets
//! a usage error rather than a command that hangs waiting for input.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::{Command, Stdio};

use crate::error::Failure;

/// The password given on the command line or in the environment, else one read from the
/// terminal (twice when `confirm`, for a new password).
pub fn password(given: Option<String>, confirm: bool) -> Result<String, Failure> {
    secret(
        given,
        "Password: ",
        confirm.then_some("Repeat password: "),
        "no password: pass --password, set STRIDE_PASSWORD, or run in a terminal to be prompted",
    )
}

/// A new password (`--new-password`, `STRIDE_NEW_PASSWORD`), else one typed twice at the
/// terminal.
pub fn new_password(given: Option<String>) -> Result<String, Failure> {
    secret(
        given,
        "New password: ",
        Some("Repeat new password: "),
        "no new password: pass --new-password, set STRIDE_NEW_PASSWORD, or run in a terminal to \
         be prompted",
    )
}

/// A password the server may do without (it accepts a session that signed in recently
/// instead): the one given, else one typed at the terminal (possibly empty), else empty.
pub fn optional_password(given: Option<String>) -> Result<String, Failure> {
    match given.filter(|p| !p.is_empty()) {
        Some(password) => Ok(password),
        None if interactive() => {
            read_hidden("Password (Enter to skip if you signed in within the last minutes): ")
        }
        None => Ok(String::new()),
    }
}

/// A second-factor code: the one given (`--code`, `STRIDE_MFA_CODE`), else one typed at the
/// terminal; `None` without a terminal, so the caller can say which command to run instead.
pub fn code(given: Option<String>) -> Result<Option<String>, Failure> {
    if let Some(code) = given.filter(|c| !c.trim().is_empty()) {
        return Ok(Some(code));
    }
    if !interactive() {
        return Ok(None);
    }
    let code = read_visible("Code from your authenticator app (or a recovery code): ")?;
    Ok(Some(code).filter(|c| !c.trim().is_empty()))
}

/// Asks the person at the terminal to type `expected` to go ahead with something that cannot
/// be undone; `Ok(false)` when they type anything else. Without a terminal it is a usage
/// error naming `--yes`.
pub fn confirm(question: &str, expected: &str) -> Result<bool, Failure> {
    if !interactive() {
        return Err(Failure::Usage(
            "this cannot be undone: pass --yes to go ahead without a terminal to confirm in"
                .to_owned(),
        ));
    }
    let typed = read_visible(&format!("{question}\nType {expected} to confirm: "))?;
    Ok(typed.trim() == expected)
}

/// Whether prompts can be answered: stdin is a terminal.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

/// `given`, else a hidden prompt (repeated when `repeat` is set), else the usage error
/// `missing`.
fn secret(
    given: Option<String>,
    prompt: &str,
    repeat: Option<&str>,
    missing: &str,
) -> Result<String, Failure> {
    if let Some(secret) = given.filter(|p| !p.is_empty()) {
        return Ok(secret);
    }
    if !interactive() {
        return Err(Failure::Usage(missing.to_owned()));
    }
    let first = read_hidden(prompt)?;
    if let Some(repeat) = repeat
        && read_hidden(repeat)? != first
    {
        return Err(Failure::Usage("the passwords do not match".to_owned()));
    }
    Ok(first)
}

/// Reads one line from the terminal, shown as it is typed.
fn read_visible(prompt: &str) -> Result<String, Failure> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    read_line()
}

/// Reads one line from the terminal with echo off (through `stty`, so no terminal library is
/// needed); if echo cannot be turned off the password is read visibly, with a warning.
fn read_hidden(prompt: &str) -> Result<String, Failure> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    let hidden = stty("-echo");
    if !hidden {
        let _ = write!(stderr, "(echo could not be turned off) ");
        let _ = stderr.flush();
    }
    let line = read_line();
    if hidden {
        stty("echo");
        let _ = writeln!(stderr);
    }
    line
}

fn read_line() -> Result<String, Failure> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::Other(format!("cannot read from the terminal: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn stty(setting: &str) -> bool {
    Command::new("stty")
        .arg(setting)
        .stdin(Stdio::inherit())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
