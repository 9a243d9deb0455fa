//! `scsctl list`: stream sessions ordered by expiry, in constant memory.

use std::ops::ControlFlow;

use super::open_store;
use crate::cli::{ListArgs, OutputFormat, StateArg};
use crate::config::Config;
use crate::duration::{relative, rfc3339_micros};
use crate::error::Result;
use crate::output::{Output, Style, rows};
use crate::session;
use crate::store::{SessionRow, State};

/// Width of a token SCS makes (43 characters), so a table of SCS tokens lines up.
const TOKEN_WIDTH: usize = 43;

/// Lists sessions.
pub fn run(config: &Config, args: &ListArgs, out: &mut Output) -> Result<()> {
    let filters = crate::config::filters(&args.filter)?;
    let state = match args.state {
        StateArg::Live => State::Live,
        StateArg::Expired => State::Expired,
        StateArg::All => State::All,
    };
    // With filters the limit counts matching sessions, so it cannot be pushed into SQL.
    let sql_limit = if filters.is_empty() { args.limit } else { None };
    let mut store = open_store(config, out)?;
    let now = match out.format() {
        OutputFormat::Table => Some(store.now()?),
        _ => None,
    };
    let mut header = vec!["token", "state", "expiry", "relative", "size"];
    if args.values {
        header.push("values");
    }
    let table = match out.format() {
        OutputFormat::Table => Some(out.stream_table(&header, &[TOKEN_WIDTH, 7, 27, 10, 6])?),
        _ => None,
    };
    if out.format() == OutputFormat::Json {
        // One document, still streamed: the array is written element by element.
        out.raw(b"[")?;
    }
    let mut undecodable = rows::Undecodable::default();
    let mut line = Vec::with_capacity(1024);
    let mut shown = 0u64;
    let with_data = args.values || !filters.is_empty();
    store.scan_rows(state, sql_limit, with_data, |row| {
        if args.limit.is_some_and(|limit| shown >= limit) {
            return Ok(ControlFlow::Break(()));
        }
        let decoded = with_data.then(|| session::decode(&row.data));
        if !filters.is_empty() {
            let decoded = decoded.as_ref().expect("decoded when filtering");
            undecodable.note(&row, decoded);
            if !rows::matches(decoded, &filters) {
                return Ok(ControlFlow::Continue(()));
            }
        }
        let shown_decoded = if args.values { decoded.as_ref() } else { None };
        match (&table, now) {
            (Some(table), Some(now)) => {
                let mut cells = table_cells(&row, now);
                if let Some(d) = shown_decoded {
                    cells.push(rows::values_text(d));
                }
                let style = if row.live { Style::Good } else { Style::Faded };
                out.stream_row(table, &cells, &[None, Some(style)])?;
            }
            _ => {
                line.clear();
                if out.format() == OutputFormat::Json && shown > 0 {
                    line.push(b',');
                }
                rows::write_row_json(&row, shown_decoded, &mut line);
                if out.format() == OutputFormat::Ndjson {
                    line.push(b'\n');
                }
                out.raw(&line)?;
            }
        }
        shown += 1;
        Ok(ControlFlow::Continue(()))
    })?;
    if out.format() == OutputFormat::Json {
        out.raw(b"]\n")?;
    }
    for warning in undecodable.warnings() {
        out.warn(&warning);
    }
    Ok(())
}

fn table_cells(row: &SessionRow, now: std::time::SystemTime) -> Vec<String> {
    vec![
        row.token.clone(),
        rows::state(row).to_owned(),
        rfc3339_micros(row.expiry),
        relative(row.expiry, now),
        row.size.to_string(),
    ]
}
