//! The records of a CSV file, read with csv-core as its chunks arrive: RFC 4180 quoting
//! (delimiters, quotes and line breaks inside quoted fields), CRLF or LF line ends, a UTF-8
//! byte order mark, empty lines ignored. Each record is handed over with the 1-based line it
//! starts on and its fields as UTF-8 text; a record that is not UTF-8, has more than
//! [`MAX_FIELDS`] fields or more than [`MAX_RECORD_BYTES`] bytes is [`Malformed`].
//!
//! Only the record being read is buffered: a chunk boundary may fall anywhere, even inside a
//! quoted field or the byte order mark, and the reader carries on where it stopped.

use std::fmt;

use csv_core::{ReadRecordResult, Reader};

/// Most fields a record may have (Strong writes 12, Hevy 14).
pub const MAX_FIELDS: usize = 64;
/// Most bytes of field content one record may hold.
pub const MAX_RECORD_BYTES: usize = 256 * 1024;
/// The UTF-8 byte order mark some applications begin a file with.
const BOM: &[u8] = b"\xef\xbb\xbf";
/// Output bytes a record buffer starts with; it doubles up to [`MAX_RECORD_BYTES`].
const INITIAL_BYTES: usize = 4 * 1024;

/// Where and why a file cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based line of the file.
    pub line: u64,
    /// 0-based field of the record, when one field is to blame.
    pub column: Option<usize>,
    /// The column's header, when known.
    pub header: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl Malformed {
    /// A problem of a whole line.
    pub fn line(line: u64, message: impl Into<String>) -> Self {
        Self {
            line,
            column: None,
            header: None,
            message: message.into(),
        }
    }

    /// A problem of one field of a record.
    pub fn field(record: &Record<'_>, column: usize, message: impl Into<String>) -> Self {
        Self {
            line: record.line_of(column),
            column: Some(column),
            header: None,
            message: message.into(),
        }
    }

    /// The same problem with its column's header named from `headers`.
    pub fn named(mut self, headers: &[String]) -> Self {
        if self.header.is_none() {
            self.header = self.column.and_then(|c| headers.get(c)).cloned();
        }
        self
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(column) = self.column {
            write!(f, ", column {}", column + 1)?;
            if let Some(header) = &self.header {
                write!(f, " ({header})")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

/// One record: its fields as text, and where it starts.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    line: u64,
    bytes: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Record<'a> {
    /// The record read into `bytes` with field ends `ends`, after which the reader stood at
    /// line `line_after`, having just consumed a line feed if `newline_ended`. Every field
    /// must be UTF-8.
    fn new(
        bytes: &'a [u8],
        ends: &'a [usize],
        line_after: u64,
        newline_ended: bool,
    ) -> Result<Self, Malformed> {
        // A line feed inside the record can only come from a quoted field.
        let inner = count_newlines(bytes);
        let line = line_after
            .saturating_sub(inner)
            .saturating_sub(u64::from(newline_ended));
        let record = Self { line, bytes, ends };
        for column in 0..record.len() {
            if std::str::from_utf8(record.raw(column)).is_err() {
                return Err(Malformed::field(&record, column, "not valid UTF-8"));
            }
        }
        Ok(record)
    }

    /// The 1-based line the record starts on.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The line field `column` starts on (later than [`Record::line`] after a quoted line
    /// break).
    pub fn line_of(&self, column: usize) -> u64 {
        let start = column
            .checked_sub(1)
            .and_then(|c| self.ends.get(c))
            .copied()
            .unwrap_or(0);
        self.line + count_newlines(&self.bytes[..start.min(self.bytes.len())])
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `column`; empty past the last one.
    pub fn field(&self, column: usize) -> &'a str {
        // Checked in `new`; an empty field otherwise cannot mislead.
        std::str::from_utf8(self.raw(column)).unwrap_or_default()
    }

    fn raw(&self, column: usize) -> &'a [u8] {
        let Some(&end) = self.ends.get(column) else {
            return &[];
        };
        let start = column
            .checked_sub(1)
            .and_then(|c| self.ends.get(c))
            .copied()
            .unwrap_or(0);
        self.bytes.get(start..end).unwrap_or_default()
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// A CSV file being read chunk by chunk.
#[derive(Debug)]
pub struct Records {
    core: Reader,
    /// The file's first bytes until it is known whether they are a byte order mark.
    prefix: Vec<u8>,
    /// True once the byte order mark is stripped or known absent.
    started: bool,
    /// True once csv-core has been handed a byte. It strips a byte order mark itself when its
    /// first input starts with one; the file's own mark is stripped here, so a second one is
    /// data wherever the chunks end.
    core_fed: bool,
    /// Field bytes of the record being read.
    out: Vec<u8>,
    used: usize,
    /// Field ends of the record being read.
    ends: [usize; MAX_FIELDS],
    fields: usize,
}

impl Default for Records {
    fn default() -> Self {
        Self {
            core: Reader::new(),
            prefix: Vec::with_capacity(BOM.len()),
            started: false,
            core_fed: false,
            out: vec![0; INITIAL_BYTES],
            used: 0,
            ends: [0; MAX_FIELDS],
            fields: 0,
        }
    }
}

impl Records {
    /// Reads the next bytes of the file, handing every record they complete to `each`.
    pub fn feed(
        &mut self,
        mut input: &[u8],
        each: &mut impl FnMut(Record<'_>) -> Result<(), Malformed>,
    ) -> Result<(), Malformed> {
        if !self.started {
            let take = (BOM.len() - self.prefix.len()).min(input.len());
            self.prefix.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.prefix.len() < BOM.len() && BOM.starts_with(&self.prefix) {
                // Perhaps a byte order mark still arriving.
                return Ok(());
            }
            self.start(each)?;
        }
        self.read(input, false, each)
    }

    /// Ends the file, handing its last record (without a final line break) to `each`.
    pub fn finish(
        &mut self,
        each: &mut impl FnMut(Record<'_>) -> Result<(), Malformed>,
    ) -> Result<(), Malformed> {
        if !self.started {
            self.start(each)?;
        }
        self.read(&[], true, each)
    }

    /// Decides on the byte order mark: dropped, or the bytes read as they are.
    fn start(
        &mut self,
        each: &mut impl FnMut(Record<'_>) -> Result<(), Malformed>,
    ) -> Result<(), Malformed> {
        self.started = true;
        let prefix = std::mem::take(&mut self.prefix);
        if prefix == BOM {
            Ok(())
        } else {
            self.read(&prefix, false, each)
        }
    }

    fn read(
        &mut self,
        mut input: &[u8],
        end: bool,
        each: &mut impl FnMut(Record<'_>) -> Result<(), Malformed>,
    ) -> Result<(), Malformed> {
        loop {
            // csv-core takes an empty input as the end of the file.
            if input.is_empty() && !end {
                return Ok(());
            }
            // Never a whole byte order mark in csv-core's first input (see `core_fed`).
            let given = if !self.core_fed && input.starts_with(&BOM[..1]) {
                &input[..1]
            } else {
                input
            };
            self.core_fed |= !given.is_empty();
            let (result, nin, nout, nend) = self.core.read_record(
                given,
                &mut self.out[self.used..],
                &mut self.ends[self.fields..],
            );
            let newline_ended = nin > 0 && input[nin - 1] == b'\n';
            input = &input[nin..];
            self.used += nout;
            self.fields += nend;
            match result {
                ReadRecordResult::InputEmpty => {
                    if end {
                        return Ok(());
                    }
                }
                ReadRecordResult::OutputFull => self.grow()?,
                ReadRecordResult::OutputEndsFull => {
                    return Err(Malformed::line(
                        self.current_line(),
                        format!("more than {MAX_FIELDS} columns"),
                    ));
                }
                ReadRecordResult::Record => {
                    let record = Record::new(
                        &self.out[..self.used],
                        &self.ends[..self.fields],
                        self.core.line(),
                        newline_ended,
                    );
                    self.used = 0;
                    self.fields = 0;
                    each(record?)?;
                }
                ReadRecordResult::End => return Ok(()),
            }
        }
    }

    /// Doubles the record buffer, up to [`MAX_RECORD_BYTES`].
    fn grow(&mut self) -> Result<(), Malformed> {
        if self.out.len() >= MAX_RECORD_BYTES {
            return Err(Malformed::line(
                self.current_line(),
                format!("a row of more than {MAX_RECORD_BYTES} bytes"),
            ));
        }
        let size = (self.out.len() * 2).min(MAX_RECORD_BYTES);
        self.out.resize(size, 0);
        Ok(())
    }

    /// The line the record being read started on.
    fn current_line(&self) -> u64 {
        self.core
            .line()
            .saturating_sub(count_newlines(&self.out[..self.used]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record of `file` fed in chunks of `size` bytes: (line, fields).
    fn read(file: &[u8], size: usize) -> Result<Vec<(u64, Vec<String>)>, Malformed> {
        let mut records = Records::default();
        let mut got = Vec::new();
        let mut each = |r: Record<'_>| {
            got.push((
                r.line(),
                (0..r.len()).map(|i| r.field(i).to_owned()).collect(),
            ));
            Ok(())
        };
        for chunk in file.chunks(size) {
            records.feed(chunk, &mut each)?;
        }
        records.finish(&mut each)?;
        Ok(got)
    }

    fn fields(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn quoted_fields_survive_any_chunking() {
        let file = "\u{feff}a,b,c\r\n1,\"x, \"\"y\"\"\nz\",3\r\n\r\n\"é\",,\"\"\n4,5,6";
        let expected = vec![
            (1, fields(&["a", "b", "c"])),
            (2, fields(&["1", "x, \"y\"\nz", "3"])),
            (5, fields(&["é", "", ""])),
            (6, fields(&["4", "5", "6"])),
        ];
        for size in [1, 2, 3, 7, 64, 4096] {
            assert_eq!(read(file.as_bytes(), size).unwrap(), expected, "{size}");
        }
    }

    #[test]
    fn a_byte_order_mark_split_over_chunks_is_dropped() {
        let file = b"\xef\xbb\xbfDate\n1\n";
        assert_eq!(
            read(file, 1).unwrap(),
            vec![(1, fields(&["Date"])), (2, fields(&["1"]))]
        );
        // Something that only starts like one is data.
        assert!(
            read(b"\xef\xbbx\n", 1)
                .unwrap_err()
                .message
                .contains("UTF-8")
        );
    }

    #[test]
    fn a_second_byte_order_mark_is_data_wherever_the_chunks_end() {
        let file = b"\xef\xbb\xbf\xef\xbb\xbfDate\n1\n";
        let expected = vec![(1, fields(&["\u{feff}Date"])), (2, fields(&["1"]))];
        for size in [1, 2, 3, 4, 6, 7, 64] {
            assert_eq!(read(file, size).unwrap(), expected, "{size}");
        }
    }

    #[test]
    fn invalid_utf8_names_its_line_and_column() {
        let err = read(b"a,b\n1,\"two\nlines\"\n3,\xff\n", 2).unwrap_err();
        assert_eq!((err.line, err.column), (4, Some(1)));
        let headers = fields(&["a", "b"]);
        assert_eq!(
            err.named(&headers).to_string(),
            "line 4, column 2 (b): not valid UTF-8"
        );
    }

    #[test]
    fn a_field_after_a_quoted_line_break_is_on_the_next_line() {
        let mut records = Records::default();
        let mut lines = Vec::new();
        let mut each = |r: Record<'_>| {
            lines.push((r.line(), r.line_of(0), r.line_of(2)));
            Ok(())
        };
        records.feed(b"x,\"a\nb\nc\",z\n", &mut each).unwrap();
        records.finish(&mut each).unwrap();
        assert_eq!(lines, vec![(1, 1, 3)]);
    }

    #[test]
    fn oversized_records_and_too_many_columns_are_refused() {
        let wide = vec!["x"; MAX_FIELDS + 1].join(",");
        let err = read(format!("a\n{wide}\n").as_bytes(), 1000).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(err.message.contains("columns"), "{err}");
        let long = "y".repeat(MAX_RECORD_BYTES + 1);
        let err = read(format!("a\nb\n{long}\n").as_bytes(), 100_000).unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.message.contains("bytes"), "{err}");
    }
}
