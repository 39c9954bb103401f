//! The training commands end to end: the README's training tour run verbatim, then the real
//! binary against a real stack for what the tour cannot show: a stale etag refused and nothing
//! lost, measures refused before any call, the server's per-field refusals, a malformed
//! import writing nothing, and the CSV export.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::readme;
use crate::stack::{STRIDE, Stack, clean_command, run_bounded};

const TIMEOUT: Duration = Duration::from_secs(60);
const PASSWORD: &str = "plum-Kettle-93-orbit";

#[test]
fn the_readme_training_tour_runs_verbatim_against_a_fresh_stack() {
    let script = readme::bash_block_of_subsection(
        &readme::text(),
        "Training: the catalogue, sets, records and imports",
    );
    let stack = Stack::start();
    let output = stack.run_script("training-tour", &script);
    let stdout = String::from_utf8_lossy(&output.stdout);
    for expected in [
        "barbell-bench-press",
        "Tyre flip",
        // sets list: the three bench sets as entered, then the run.
        "warmup  10",
        "60 kg",
        "225 lb",
        "RPE 8",
        "2 km",
        "10:30",
        // records, history and weeks.
        "heaviest-weight",
        "best-1rm",
        "116.666 kg",
        // weeks: the four sets of the week of Monday 2025-06-02, warm-up included.
        "2025-06-02  1         4     18    1406.174",
        // the import, then the same file again.
        "workouts created           1",
        "workouts skipped           1 (imported before)",
        "wrote your sets as CSV to sets.csv",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from the tour's output:\n{stdout}"
        );
    }
    let csv = std::fs::read_to_string(stack.dir().join("sets.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    // The header, the two replaced bench sets and the run, the imported warm-up and two sets.
    assert_eq!(rows.len(), 1 + 3 + 3, "{csv}");
    assert!(csv.contains("102.5"), "{csv}");
}

/// A signed-in user of a fresh stack, driving the `stride` binary.
struct Cli {
    stack: Stack,
    config: PathBuf,
}

impl Cli {
    fn new(username: &str) -> Cli {
        let stack = Stack::start();
        let config = stack.dir().join(format!("{username}-config"));
        let cli = Cli { stack, config };
        let email = format!("{username}@example.com");
        cli.ok(&[
            "register",
            "--username",
            username,
            "--email",
            &email,
            "--password",
            PASSWORD,
        ]);
        cli
    }

    fn dir(&self) -> &Path {
        self.stack.dir()
    }

    fn run(&self, args: &[&str]) -> Output {
        run_bounded(
            self.stack.client_command(STRIDE, &self.config).args(args),
            TIMEOUT,
            &self.dir().join("training"),
        )
    }

    /// Runs a command that must succeed; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "stride {args:?} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr),
            self.stack.log()
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Runs a command that must fail with `code`; its stderr.
    fn fails(&self, code: i32, args: &[&str]) -> String {
        let output = self.run(args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(
            output.status.code(),
            Some(code),
            "stride {args:?}: {stderr}\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
        stderr
    }

    /// `--json` output as JSON.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// A strength workout and a weight-and-reps exercise: their ids.
    fn workout_and_exercise(&self) -> (String, String) {
        let workout = self.ok(&[
            "workouts",
            "create",
            "--title",
            "Push",
            "--date",
            "2025-06-02",
            "--type",
            "strength",
            "--quiet",
        ]);
        let exercise = self.ok(&[
            "exercises",
            "create",
            "--name",
            "Bench press",
            "--catalogue",
            "barbell-bench-press",
            "--quiet",
        ]);
        (workout.trim().to_owned(), exercise.trim().to_owned())
    }

    /// The workout's sets, in order: `(reps, weight)`.
    fn sets(&self, workout: &str) -> Vec<(i64, f64)> {
        let got = self.json(&["sets", "list", workout]);
        got["entries"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .flat_map(|e| e["sets"].as_array().cloned().unwrap_or_default())
            .map(|s| {
                (
                    s["reps"].as_i64().unwrap_or(0),
                    s["weight"].as_f64().unwrap_or(0.0),
                )
            })
            .collect()
    }
}

#[test]
fn a_set_written_over_a_stale_etag_is_refused_and_the_other_change_is_kept() {
    let cli = Cli::new("etag");
    let (workout, bench) = cli.workout_and_exercise();
    cli.ok(&[
        "sets", "add", &workout, &bench, "--reps", "5", "--weight", "100kg",
    ]);
    let read = cli.json(&["sets", "list", &workout]);
    let stale = read["workout"]["etag"].as_str().unwrap().to_owned();
    assert!(!stale.is_empty(), "{read}");
    // Someone else adds a set after our read…
    cli.ok(&[
        "sets", "add", &workout, &bench, "--reps", "3", "--weight", "110kg",
    ]);
    // …so adding, deleting or replacing over the etag we read is refused, with the way out.
    let stderr = cli.fails(
        1,
        &[
            "sets", "add", &workout, &bench, "--reps", "1", "--weight", "120kg", "--etag", &stale,
        ],
    );
    assert!(
        stderr.starts_with("stride: FAILED_PRECONDITION: "),
        "{stderr}"
    );
    assert!(stderr.contains("[ETAG_MISMATCH]"), "{stderr}");
    assert!(stderr.contains("run the command again"), "{stderr}");
    let first_set = read["entries"][0]["sets"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stderr = cli.fails(
        1,
        &["sets", "delete", &workout, &first_set, "--etag", &stale],
    );
    assert!(stderr.contains("[ETAG_MISMATCH]"), "{stderr}");
    let file = cli.dir().join("entries.json");
    std::fs::write(&file, format!(r#"[{{"exercise_id": "{bench}"}}]"#)).unwrap();
    let stderr = cli.fails(
        1,
        &[
            "sets",
            "replace",
            &workout,
            file.to_str().unwrap(),
            "--etag",
            &stale,
        ],
    );
    assert!(stderr.contains("[ETAG_MISMATCH]"), "{stderr}");
    assert_eq!(
        cli.sets(&workout),
        [(5, 100.0), (3, 110.0)],
        "nothing was lost"
    );

    // With the current etag (the default), each goes through.
    cli.ok(&["sets", "delete", &workout, &first_set]);
    assert_eq!(cli.sets(&workout), [(3, 110.0)]);
    let stderr = cli.fails(1, &["sets", "delete", &workout, &first_set]);
    assert!(
        stderr.contains(&format!("has no set {first_set}")),
        "{stderr}"
    );
    cli.ok(&["sets", "replace", &workout, file.to_str().unwrap()]);
    assert_eq!(cli.sets(&workout), [], "the entry is kept without sets");
}

#[test]
fn measures_are_refused_before_any_call_and_the_server_names_every_field() {
    // No stack, no credentials: a malformed measure is a usage error (exit 2) on its own.
    let dir = tempfile::tempdir().unwrap();
    for (flag, value, says) in [
        ("--weight", "100", "needs a unit: kg or lb"),
        ("--weight", "100.0005kg", "more than 3 decimals"),
        ("--distance", "5 leagues", "unknown unit"),
        ("--duration", "1:5", "m:ss or h:mm:ss"),
        ("--rest", "1.5s", "whole number of seconds"),
    ] {
        let output = run_bounded(
            clean_command(STRIDE)
                .args(["sets", "add", "w", "e", flag, value])
                .env("STRIDE_CONFIG_DIR", dir.path()),
            TIMEOUT,
            &dir.path().join("out"),
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flag} {value}: {stderr}");
        assert!(stderr.contains(says), "{flag} {value}: {stderr}");
    }

    let cli = Cli::new("fields");
    let (workout, bench) = cli.workout_and_exercise();
    // A weight-and-reps exercise: a distance is refused and the weight is missing, at once.
    let stderr = cli.fails(
        1,
        &[
            "sets",
            "add",
            &workout,
            &bench,
            "--reps",
            "5",
            "--distance",
            "400m",
        ],
    );
    assert!(stderr.starts_with("stride: INVALID_ARGUMENT: "), "{stderr}");
    for field in ["entries[0].sets[0].weight", "entries[0].sets[0].distance"] {
        assert!(stderr.contains(&format!("  {field}")), "{field}: {stderr}");
    }
    assert_eq!(cli.sets(&workout), [], "nothing was written");
    // A replace file that is not a list of entries never reaches the server.
    let file = cli.dir().join("bad.json");
    std::fs::write(
        &file,
        r#"[{"exercise_id": "x", "sets": [{"reps": "five"}]}]"#,
    )
    .unwrap();
    let stderr = cli.fails(2, &["sets", "replace", &workout, file.to_str().unwrap()]);
    assert!(stderr.contains("not a list of workout entries"), "{stderr}");
}

#[test]
fn a_malformed_import_writes_nothing_and_a_good_one_is_reported_once() {
    let cli = Cli::new("importer");
    let bad = cli.dir().join("bad.csv");
    std::fs::write(
        &bad,
        "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,Notes,Workout Notes,RPE\n\
         2025-06-04 18:00:00,Legs,45m,Squat (Barbell),1,100,5,0,0,,,\n\
         not a date,Legs,45m,Squat (Barbell),2,100,5,0,0,,,\n",
    )
    .unwrap();
    let stderr = cli.fails(1, &["import", "strong", bad.to_str().unwrap()]);
    assert!(stderr.starts_with("stride: INVALID_ARGUMENT: "), "{stderr}");
    assert!(stderr.contains("line 3"), "{stderr}");
    let weeks = cli.json(&["weeks"]);
    assert!(
        weeks["weeks"].as_array().is_none_or(Vec::is_empty),
        "nothing was imported: {weeks}"
    );

    // A Hevy file larger than one chunk (256 KiB), so the upload takes several messages.
    let good = cli.dir().join("hevy.csv");
    let mut csv = String::from(
        "title,start_time,end_time,description,exercise_title,superset_id,exercise_notes,set_index,set_type,weight_kg,reps,distance_km,duration_seconds,rpe\n",
    );
    let mut sets = 0;
    for day in 1..=28 {
        for set in 0..20 {
            let kind = if set == 0 { "warmup" } else { "normal" };
            csv.push_str(&format!(
                "Pull day {day},\"{day:02} Jun 2025, 07:00\",\"{day:02} Jun 2025, 08:00\",\"{}\",Deadlift (Barbell),,,{set},{kind},{},5,,,\n",
                "a long description of the session ".repeat(12),
                100 + set,
            ));
            sets += 1;
        }
    }
    assert!(csv.len() > 256 * 1024, "{} bytes", csv.len());
    std::fs::write(&good, &csv).unwrap();
    let report = cli.json(&[
        "import",
        "hevy",
        good.to_str().unwrap(),
        "--time-zone",
        "UTC",
    ]);
    assert_eq!(report["workoutsCreated"], 28, "{report}");
    assert_eq!(report["setsCreated"], sets, "{report}");
    assert_eq!(report["exercisesCreated"], 1, "{report}");
    let again = cli.json(&["import", "hevy", good.to_str().unwrap()]);
    assert_eq!(again["workoutsSkipped"], 28, "{again}");
    assert!(again.get("workoutsCreated").is_none(), "{again}");

    // Every imported set is in the CSV export, one row each after the header.
    let out = cli.dir().join("sets.csv");
    cli.ok(&[
        "account",
        "export",
        "--format",
        "csv",
        "-o",
        out.to_str().unwrap(),
    ]);
    let exported = std::fs::read_to_string(&out).unwrap();
    assert_eq!(
        exported.lines().count(),
        1 + sets,
        "{}",
        &exported[..500.min(exported.len())]
    );
    let stdout = cli.ok(&["account", "export", "--format", "csv"]);
    assert_eq!(stdout, exported, "stdout carries the same bytes");
}
