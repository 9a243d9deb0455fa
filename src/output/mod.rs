//! The one place that renders results: tables for people (comfy-table), JSON and NDJSON for
//! scripts, warnings and progress notes on stderr, and terminal escaping of anything that came
//! from the database.

pub mod pass;
pub mod rows;

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use comfy_table::{ContentArrangement, Table, presets};
use serde_json::Value;

use crate::cli::OutputFormat;
use crate::config::{Config, Verbosity};
use crate::error::{Error, Result};
use crate::sanitize::{escape, escape_json, to_json};

/// Whether what was written to stdout so far ends inside a line (an NDJSON row cut by the
/// error, or a JSON array left open), so that an error's JSON object starts a line of its own.
static STDOUT_MID_LINE: AtomicBool = AtomicBool::new(false);

/// Reports an error, once, on stderr as [`Error::terminal_text`] writes it. With
/// `json` (`-o json` or `-o ndjson`) the error is also a JSON object on stdout, on a line of its
/// own. Nothing here can fail or panic: what cannot be written is dropped.
pub fn report_error(err: &Error, json: bool) {
    stderr_text(&err.terminal_text());
    if json && !matches!(err, Error::InDocument(_)) {
        let Ok(doc) = to_json(&err.to_json()) else {
            return;
        };
        let start = if STDOUT_MID_LINE.load(Ordering::Relaxed) {
            "\n"
        } else {
            ""
        };
        let mut stdout = io::stdout().lock();
        let _ = writeln!(stdout, "{start}{doc}").and_then(|()| stdout.flush());
    }
}

/// Writes `text` and a newline to stderr in one write, ignoring failure: a closed or broken
/// stderr (`scsctl watch-cleanup 2>&1 | head -2`) must neither panic nor stop scsctl, so
/// what cannot be written is dropped. Never use `eprintln!`, which panics then.
pub fn stderr_line(text: &str) {
    let mut line = String::with_capacity(text.len() + 1);
    line.push_str(text);
    line.push('\n');
    stderr_text(&line);
}

/// Writes `text` to stderr as is, ignoring failure (see [`stderr_line`]).
pub fn stderr_text(text: &str) {
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// Where results go: stdout in the chosen format, notes and warnings on stderr.
pub struct Output {
    format: OutputFormat,
    verbosity: Verbosity,
    color: bool,
    terminal: bool,
    stdout: BufWriter<Stdout>,
}

impl Output {
    /// An output for these settings.
    pub fn new(config: &Config) -> Output {
        Output {
            format: config.format,
            verbosity: config.verbosity,
            color: config.color,
            terminal: config.stdout_is_terminal,
            stdout: BufWriter::with_capacity(64 * 1024, io::stdout()),
        }
    }

    /// The output format.
    pub fn format(&self) -> OutputFormat {
        self.format
    }

    /// The width of the terminal stdout writes to (`COLUMNS` when set), `None` when stdout is
    /// not a terminal: what tables fit themselves to.
    pub fn terminal_width(&self) -> Option<usize> {
        if let Some(columns) = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()) {
            return Some(columns);
        }
        if !self.terminal {
            return None;
        }
        Table::new().width().map(usize::from)
    }

    /// Whether results are printed on success (not with `--quiet`).
    pub fn shows_results(&self) -> bool {
        self.verbosity != Verbosity::Quiet
    }

    /// Prints `scsctl: warning: …` on stderr; warnings show even with `--quiet`.
    pub fn warn(&self, message: &str) {
        stderr_line(&format!("scsctl: warning: {}", escape(message)));
    }

    /// Prints a note on stderr unless `--quiet` (for example "another cleaner is running").
    pub fn note(&self, message: &str) {
        if self.verbosity != Verbosity::Quiet {
            stderr_line(&format!("scsctl: {}", escape(message)));
        }
    }

    /// Prints what is being done on stderr, with `--verbose` only.
    pub fn verbose(&self, message: &str) {
        if self.verbosity == Verbosity::Verbose {
            stderr_line(&format!("scsctl: {}", escape(message)));
        }
    }

    /// Asks a yes/no question on the terminal (stderr, answer on stdin); only `y` or `yes`
    /// agrees.
    pub fn confirm(&mut self, question: &str) -> Result<bool> {
        self.flush()?;
        stderr_text(&format!("scsctl: {} [y/N] ", escape(question)));
        let mut answer = String::new();
        io::stdin()
            .read_line(&mut answer)
            .map_err(|e| Error::io("cannot read the answer", e))?;
        Ok(matches!(
            answer.trim().to_ascii_lowercase().as_str(),
            "y" | "yes"
        ))
    }

    /// Writes one daemon log line on stderr as is (escaped for the terminal, no prefix), so
    /// that JSON log lines stay parseable. Shown even with `--quiet`: callers decide.
    pub fn log(&self, line: &str) {
        stderr_line(&escape(line));
    }

    /// Writes one line of plain text to stdout (escaped for the terminal).
    pub fn line(&mut self, text: &str) -> Result<()> {
        let text = escape(text);
        self.write(text.as_bytes())?;
        self.write(b"\n")
    }

    /// Writes bytes to stdout unchanged (`get --raw`).
    pub fn raw(&mut self, bytes: &[u8]) -> Result<()> {
        self.write(bytes)
    }

    /// Writes one JSON document, pretty on a terminal, compact otherwise.
    pub fn json(&mut self, value: &Value) -> Result<()> {
        let text = if self.terminal {
            serde_json::to_string_pretty(value)
        } else {
            serde_json::to_string(value)
        }
        .map_err(|e| Error::Data(format!("cannot render JSON: {e}")))?;
        self.write(escape_json(text).as_bytes())?;
        self.write(b"\n")
    }

    /// Writes one NDJSON line.
    pub fn ndjson(&mut self, value: &Value) -> Result<()> {
        let text = to_json(value)?;
        self.write(text.as_bytes())?;
        self.write(b"\n")
    }

    /// Writes a result document that ends in `err` (a `delete` with missing tokens, an
    /// interrupted `purge`): the error's `"error"`, `"exit_code"`, … members go into the one
    /// document, and the error comes back marked [`Error::InDocument`] so that it is not
    /// printed on stdout a second time.
    pub fn document_with_error(&mut self, mut doc: Value, err: Error) -> Result<Error> {
        if let (Some(members), Value::Object(extra)) = (doc.as_object_mut(), err.to_json()) {
            members.extend(extra);
        }
        self.document(&doc)?;
        Ok(Error::InDocument(Box::new(err)))
    }

    /// Writes a JSON value the way the format asks: a document for `json`, a line for `ndjson`.
    pub fn document(&mut self, value: &Value) -> Result<()> {
        match self.format {
            OutputFormat::Ndjson => self.ndjson(value),
            _ => self.json(value),
        }
    }

    /// Writes a two-column table of fields and values (one record, e.g. `get`): the names,
    /// then the values, aligned, without borders.
    pub fn record(&mut self, fields: &[(&str, String)]) -> Result<()> {
        let mut table = self.new_table();
        for (name, value) in fields {
            table.add_row(vec![(*name).to_owned(), escape(value).into_owned()]);
        }
        self.table_out(&mut table)
    }

    /// Writes a table with a header row (upper case, as `list` writes its own), in aligned
    /// columns without borders.
    pub fn table(&mut self, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
        let mut table = self.new_table();
        table.set_header(header.iter().map(|h| h.to_uppercase()).collect::<Vec<_>>());
        for row in rows {
            table.add_row(
                row.iter()
                    .map(|c| escape(c).into_owned())
                    .collect::<Vec<_>>(),
            );
        }
        self.table_out(&mut table)
    }

    /// Starts a table whose rows are written as they come (constant memory): columns are sized
    /// from the header and `widths`, and a longer cell simply widens its row.
    pub fn stream_table(&mut self, header: &[&str], widths: &[usize]) -> Result<StreamTable> {
        let widths: Vec<usize> = header
            .iter()
            .zip(widths.iter().chain(std::iter::repeat(&0)))
            .map(|(h, w)| h.chars().count().max(*w))
            .collect();
        let stream = StreamTable { widths };
        let header_line = stream.format(
            &header.iter().map(|h| h.to_uppercase()).collect::<Vec<_>>(),
            &[],
        );
        let header_line = if self.color {
            format!("\x1b[1m{header_line}\x1b[0m")
        } else {
            header_line
        };
        self.write(header_line.as_bytes())?;
        self.write(b"\n")?;
        Ok(stream)
    }

    /// Writes one row of a streamed table; `styles` gives an optional ANSI colour per cell.
    pub fn stream_row(
        &mut self,
        table: &StreamTable,
        cells: &[String],
        styles: &[Option<Style>],
    ) -> Result<()> {
        let escaped: Vec<Cow<str>> = cells.iter().map(|c| escape(c)).collect();
        let styles = if self.color { styles } else { &[] };
        let line = table.format(&escaped, styles);
        self.write(line.as_bytes())?;
        self.write(b"\n")
    }

    /// Flushes stdout.
    pub fn flush(&mut self) -> Result<()> {
        self.stdout.flush().map_err(write_error)
    }

    /// Every table scsctl prints has one look, on a terminal or not: aligned columns two
    /// spaces apart, no borders (so `grep` and `awk` work on it as on `list`). On a terminal
    /// long values wrap to its width.
    fn new_table(&self) -> Table {
        let mut table = Table::new();
        table.load_style(presets::NOTHING);
        if self.terminal {
            table.set_content_arrangement(ContentArrangement::Dynamic);
        } else {
            table
                .force_no_tty()
                .set_content_arrangement(ContentArrangement::Disabled);
        }
        table
    }

    fn table_out(&mut self, table: &mut Table) -> Result<()> {
        let columns = table.column_count();
        for (i, column) in table.column_iter_mut().enumerate() {
            column.set_padding((0, if i + 1 < columns { 2 } else { 0 }));
        }
        let mut text = String::new();
        for line in table.lines() {
            text.push_str(line.trim_end());
            text.push('\n');
        }
        self.write(text.as_bytes())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        if let Some(last) = bytes.last() {
            STDOUT_MID_LINE.store(*last != b'\n', Ordering::Relaxed);
        }
        self.stdout.write_all(bytes).map_err(write_error)
    }
}

fn write_error(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Error::BrokenPipe
    } else {
        Error::io("cannot write to stdout", e)
    }
}

/// A colour for a table cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Good news (a live session).
    Good,
    /// Something that is over (an expired session).
    Faded,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Good => "\x1b[32m",
            Style::Faded => "\x1b[2m",
        }
    }
}

/// A table being written row by row; see [`Output::stream_table`].
pub struct StreamTable {
    widths: Vec<usize>,
}

impl StreamTable {
    fn format(&self, cells: &[impl AsRef<str>], styles: &[Option<Style>]) -> String {
        let mut line = String::new();
        let last = cells.len().saturating_sub(1);
        for (i, cell) in cells.iter().enumerate() {
            let cell = cell.as_ref();
            let style = styles.get(i).copied().flatten();
            if let Some(style) = style {
                line.push_str(style.code());
            }
            line.push_str(cell);
            if style.is_some() {
                line.push_str("\x1b[0m");
            }
            if i < last {
                let width = self.widths.get(i).copied().unwrap_or(0);
                let pad = width.saturating_sub(cell.chars().count()) + 2;
                let _ = write!(line, "{:pad$}", "");
            }
        }
        line
    }
}

/// A hex preview of the first `max` bytes: `0a 1b ff … (412 bytes)`.
pub fn hex_preview(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for (i, b) in bytes.iter().take(max).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02x}");
    }
    if bytes.len() > max {
        out.push_str(" …");
    }
    out
}

/// A size for people, in one style everywhere: `312 B`, `4.2 KiB`, `1.3 GiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A count for people, with thousands separators: `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A count and its noun, singular for one: `1 batch`, `2,000 batches`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// A duration for JSON: milliseconds, rounded to the microsecond, so that no float noise
/// (`0.33765100000000003`) reaches a script. Every duration in scsctl's JSON is one of these,
/// under a key ending `_ms`.
pub fn json_ms(d: std::time::Duration) -> f64 {
    (d.as_nanos() as f64 / 1_000.0).round() / 1_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sizes_for_people() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(counted(1, "batch", "batches"), "1 batch");
        assert_eq!(counted(2_000, "row", "rows"), "2,000 rows");
        assert_eq!(human_bytes(153), "153 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }

    #[test]
    fn hex() {
        assert_eq!(hex_preview(&[0, 0xab, 0xff], 8), "00 ab ff");
        assert_eq!(hex_preview(&[1, 2, 3], 2), "01 02 …");
    }
}
