//! An uploaded file as the import keeps it while it arrives: its workouts, each with its
//! entries (one per exercise name, in order of appearance) and their rows, and the distinct
//! exercise names. Rows are compact (measures in stored units, text only where a row has
//! its own); every count is bounded, and going past a bound is [`Malformed`] at the line
//! that does.

use std::collections::HashMap;

use jiff::civil::DateTime;

use super::reader::{Malformed, Record, Records};
use super::sets::{SetDraft, Usage};
use super::{Options, Source, hevy, strong};

/// Most data rows of a file.
pub const MAX_ROWS: usize = 200_000;
/// Most workouts of a file: an import writes them in one transaction, which on SQLite holds
/// the only writer, so a file stays a few seconds of writing (years of training are a few
/// thousand workouts; larger histories import in several files).
pub const MAX_WORKOUTS: usize = 5_000;
/// Most distinct exercise names of a file.
pub const MAX_EXERCISES: usize = 2_000;
/// Most sets of one workout.
pub const MAX_WORKOUT_SETS: usize = 1_000;
/// Most exercises of one workout (the bound of a workout's entries).
pub const MAX_ENTRIES: usize = 100;
/// Most sets of one exercise within a workout (the bound of an entry's sets).
pub const MAX_ENTRY_SETS: usize = 100;

/// The workout a row belongs to, as the row describes it.
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    /// Title, 1–255 characters.
    pub title: &'a str,
    /// Local start time.
    pub start: DateTime,
    /// Local end time, if the file says.
    pub end: Option<DateTime>,
    /// The workout's notes.
    pub notes: &'a str,
}

/// One data row, as a format reads it.
#[derive(Debug, Clone)]
pub struct Line<'a> {
    /// Its workout.
    pub head: Head<'a>,
    /// The exercise's name, 1–255 characters.
    pub exercise: &'a str,
    /// Notes of the exercise within the workout.
    pub entry_notes: &'a str,
    /// The file's superset group of the exercise, if any.
    pub superset: Option<u32>,
    /// The set, or why the row is none.
    pub set: Result<SetDraft, String>,
}

/// A row of an entry: its line, and its set or why it is none.
#[derive(Debug, Clone)]
pub struct RowDraft {
    /// 1-based line of the file.
    pub line: u64,
    /// The set, or why the row is skipped.
    pub set: Result<SetDraft, Box<str>>,
}

/// An exercise within a workout.
#[derive(Debug, Clone)]
pub struct EntryDraft {
    /// Index into [`Upload::names`].
    pub name: usize,
    /// The file's superset group.
    pub superset: Option<u32>,
    /// Notes (the first non-empty of its rows).
    pub notes: String,
    /// Its rows in file order.
    pub rows: Vec<RowDraft>,
    /// Rows that are sets.
    pub sets: usize,
}

/// A workout of the file.
#[derive(Debug, Clone)]
pub struct WorkoutDraft {
    /// Title.
    pub title: String,
    /// Local start time.
    pub start: DateTime,
    /// Local end time (the first row's).
    pub end: Option<DateTime>,
    /// Notes (the first non-empty of its rows).
    pub notes: String,
    /// Its exercises in order of appearance.
    pub entries: Vec<EntryDraft>,
    /// Rows that are sets.
    pub sets: usize,
}

/// An exercise name of the file.
#[derive(Debug, Clone)]
pub struct NameDraft {
    /// As first written.
    pub name: String,
    /// What its rows record.
    pub usage: Usage,
}

/// A whole file, parsed.
#[derive(Debug, Clone)]
pub struct Upload {
    /// What the file is and how to read its times and units.
    pub options: Options,
    /// Workouts in order of appearance.
    pub workouts: Vec<WorkoutDraft>,
    /// Distinct exercise names (case-insensitively), in order of appearance.
    pub names: Vec<NameDraft>,
    /// Data rows read.
    pub rows: usize,
}

/// The workouts of a file as its records arrive.
#[derive(Debug)]
struct Builder {
    upload: Upload,
    workouts: HashMap<(String, DateTime), usize>,
    names: HashMap<String, usize>,
}

impl Builder {
    /// Adds the row at `line`.
    fn add(&mut self, line: u64, row: Line<'_>) -> Result<(), Malformed> {
        let upload = &mut self.upload;
        upload.rows += 1;
        if upload.rows > MAX_ROWS {
            return Err(Malformed::line(line, format!("more than {MAX_ROWS} rows")));
        }
        let key = (row.head.title.to_owned(), row.head.start);
        let workout = match self.workouts.get(&key) {
            Some(&w) => w,
            None => {
                if upload.workouts.len() == MAX_WORKOUTS {
                    return Err(Malformed::line(
                        line,
                        format!("more than {MAX_WORKOUTS} workouts"),
                    ));
                }
                upload.workouts.push(WorkoutDraft {
                    title: key.0.clone(),
                    start: key.1,
                    end: row.head.end,
                    notes: String::new(),
                    entries: Vec::new(),
                    sets: 0,
                });
                self.workouts.insert(key, upload.workouts.len() - 1);
                upload.workouts.len() - 1
            }
        };
        let name_key = row.exercise.to_lowercase();
        let name = match self.names.get(&name_key) {
            Some(&n) => n,
            None => {
                if upload.names.len() == MAX_EXERCISES {
                    return Err(Malformed::line(
                        line,
                        format!("more than {MAX_EXERCISES} different exercises"),
                    ));
                }
                upload.names.push(NameDraft {
                    name: row.exercise.to_owned(),
                    usage: Usage::default(),
                });
                self.names.insert(name_key, upload.names.len() - 1);
                upload.names.len() - 1
            }
        };
        let draft = &mut upload.workouts[workout];
        if draft.notes.is_empty() {
            row.head.notes.clone_into(&mut draft.notes);
        }
        let entry = match draft.entries.iter().position(|e| e.name == name) {
            Some(e) => e,
            None => {
                if draft.entries.len() == MAX_ENTRIES {
                    return Err(Malformed::line(
                        line,
                        format!(
                            "workout \"{}\" has more than {MAX_ENTRIES} exercises",
                            draft.title
                        ),
                    ));
                }
                draft.entries.push(EntryDraft {
                    name,
                    superset: row.superset,
                    notes: String::new(),
                    rows: Vec::new(),
                    sets: 0,
                });
                draft.entries.len() - 1
            }
        };
        let title = &draft.title;
        let entry = &mut draft.entries[entry];
        if entry.notes.is_empty() {
            row.entry_notes.clone_into(&mut entry.notes);
        }
        if let Ok(set) = &row.set {
            if draft.sets == MAX_WORKOUT_SETS {
                return Err(Malformed::line(
                    line,
                    format!("workout \"{title}\" has more than {MAX_WORKOUT_SETS} sets"),
                ));
            }
            if entry.sets == MAX_ENTRY_SETS {
                return Err(Malformed::line(
                    line,
                    format!(
                        "workout \"{title}\" has more than {MAX_ENTRY_SETS} sets of \"{}\"",
                        row.exercise
                    ),
                ));
            }
            draft.sets += 1;
            entry.sets += 1;
            upload.names[name].usage.add(set);
        }
        entry.rows.push(RowDraft {
            line,
            set: row.set.map_err(String::into_boxed_str),
        });
        Ok(())
    }
}

/// How the records of the file are read, once its header is known.
#[derive(Debug)]
enum Format {
    Strong(strong::Columns),
    Hevy(hevy::Columns),
}

/// Everything but the reader: what a record is handed to.
#[derive(Debug)]
struct State {
    headers: Vec<String>,
    format: Option<Format>,
    builder: Builder,
}

impl State {
    fn record(&mut self, record: Record<'_>) -> Result<(), Malformed> {
        let Some(format) = &self.format else {
            self.headers = (0..record.len())
                .map(|c| record.field(c).trim().to_owned())
                .collect();
            let options = &self.builder.upload.options;
            self.format = Some(match options.source {
                Source::Strong => {
                    Format::Strong(strong::Columns::new(&self.headers, record.line())?)
                }
                Source::Hevy => Format::Hevy(hevy::Columns::new(&self.headers, record.line())?),
            });
            return Ok(());
        };
        if record.len() != self.headers.len() {
            return Err(Malformed::line(
                record.line(),
                format!(
                    "{} columns where the header has {}",
                    record.len(),
                    self.headers.len()
                ),
            ));
        }
        let options = &self.builder.upload.options;
        let line = match format {
            Format::Strong(columns) => columns.read(&record, options)?,
            Format::Hevy(columns) => columns.read(&record)?,
        };
        self.builder.add(record.line(), line)
    }
}

/// A file being parsed as its chunks arrive.
#[derive(Debug)]
pub struct Parser {
    records: Records,
    state: State,
}

impl Parser {
    /// A parser of a file of `options.source`.
    pub fn new(options: Options) -> Self {
        Self {
            records: Records::default(),
            state: State {
                headers: Vec::new(),
                format: None,
                builder: Builder {
                    upload: Upload {
                        options,
                        workouts: Vec::new(),
                        names: Vec::new(),
                        rows: 0,
                    },
                    workouts: HashMap::new(),
                    names: HashMap::new(),
                },
            },
        }
    }

    /// Parses the next bytes of the file.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Malformed> {
        let state = &mut self.state;
        self.records
            .feed(chunk, &mut |record| state.record(record))
            .map_err(|e| e.named(&state.headers))
    }

    /// The whole file, after its last bytes.
    pub fn finish(mut self) -> Result<Upload, Malformed> {
        let state = &mut self.state;
        self.records
            .finish(&mut |record| state.record(record))
            .map_err(|e| e.named(&state.headers))?;
        if state.format.is_none() {
            return Err(Malformed::line(
                1,
                "the file is empty: a header row is required",
            ));
        }
        Ok(self.state.builder.upload)
    }
}
