//! Where a password comes from: `--password`, `STRIDE_PASSWORD`, or a prompt when stdin is a
//! terminal (typed without echo). A script without any of them gets a usage error rather than
//! a command that hangs waiting for input.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::{Command, Stdio};

use crate::error::Failure;

/// The password given on the command line or in the environment, else one read from the
/// terminal (twice when `confirm`, for a new password).
pub fn password(given: Option<String>, confirm: bool) -> Result<String, Failure> {
    if let Some(password) = given.filter(|p| !p.is_empty()) {
        return Ok(password);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::Usage(
            "no password: pass --password, set STRIDE_PASSWORD, or run in a terminal to be \
             prompted"
                .to_owned(),
        ));
    }
    let first = read_hidden("Password: ")?;
    if confirm && read_hidden("Repeat password: ")? != first {
        return Err(Failure::Usage("the passwords do not match".to_owned()));
    }
    Ok(first)
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
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if hidden {
        stty("echo");
        let _ = writeln!(stderr);
    }
    read.map_err(|e| Failure::Other(format!("cannot read the password: {e}")))?;
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
