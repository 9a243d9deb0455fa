//! `scsctl list`: stream sessions ordered by expiry, in constant memory.

use std::ops::ControlFlow;

use super::open_store;
use crate::cli::{ListArgs, OutputFormat, StateArg};
use crate::config::Config;
use crate::duration::{relative, rfc3339_micros};
use crate::error::Result;
use crate::output::{Output, Style, human_bytes, rows};
use crate::session;
use crate::store::{SessionRow, State};

/// Width of a token SCS makes (43 characters), so a table of SCS tokens lines up.
const TOKEN_WIDTH: usize = 43;
/// A row with every column: token, state, exact and relative expiry, size, two spaces apart.
const FULL_WIDTH: usize = TOKEN_WIDTH + 7 + 27 + 10 + 8 + 4 * 2;

/// Lists sessions.
pub fn run(config: &Config, args: &ListArgs, out: &mut Output) -> Result<()> {
    let filters = crate::config::filters(&args.filter)?;
    let registry = rows::registry(&args.registry)?;
    let state = match args.state {
        StateArg::Live => State::Live,
        StateArg::Expired => State::Expired,
        StateArg::All => State::All,
    };
    // With filters the limit counts matching sessions, so it cannot be pushed into SQL.
    let sql_limit = if filters.is_empty() && !args.undecodable {
        args.limit
    } else {
        None
    };
    let mut store = open_store(config, out)?;
    let now = match out.format() {
        OutputFormat::Table => Some(store.now()?),
        _ => None,
    };
    // On a terminal too narrow for every column, the exact expiry gives way (the relative one
    // stays, and -o json has both): a token is 43 characters and must be shown whole.
    let exact_expiry = out.terminal_width().is_none_or(|w| w >= FULL_WIDTH);
    let mut header = vec!["token", "state"];
    let mut widths = vec![TOKEN_WIDTH, 7];
    if exact_expiry {
        header.push("expiry");
        widths.push(27);
    }
    header.extend(["relative", "size"]);
    widths.extend([10, 8]);
    if args.values {
        header.push("values");
    }
    if registry.is_some() {
        header.push("go error");
    }
    let table = match out.format() {
        OutputFormat::Table => Some(out.stream_table(&header, &widths)?),
        _ => None,
    };
    if out.format() == OutputFormat::Json {
        // One document, still streamed: the array is written element by element.
        out.raw(b"[")?;
    }
    let mut undecodable = rows::Undecodable::default();
    let mut line = Vec::with_capacity(1024);
    let mut shown = 0u64;
    let with_data = args.values || !filters.is_empty() || registry.is_some();
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
        // With the app's registry: why Go cannot decode the row (`None`: it can).
        let go_error = match (&registry, &decoded) {
            (Some(r), Some(d)) => Some(rows::go_error(d, r)),
            _ => None,
        };
        if args.undecodable && !matches!(go_error, Some(Some(_))) {
            return Ok(ControlFlow::Continue(()));
        }
        let shown_decoded = if args.values { decoded.as_ref() } else { None };
        match (&table, now) {
            (Some(table), Some(now)) => {
                let mut cells = table_cells(&row, now, exact_expiry);
                if let Some(d) = shown_decoded {
                    cells.push(rows::values_text(d));
                }
                if let Some(e) = &go_error {
                    cells.push(e.clone().unwrap_or_default());
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
                if let Some(e) = &go_error {
                    // After the row's members: `"go_error": null` when the app decodes it.
                    line.pop();
                    line.extend_from_slice(b",\"go_error\":");
                    match e {
                        Some(e) => crate::gob::json::write_str(&mut line, e),
                        None => line.extend_from_slice(b"null"),
                    }
                    line.push(b'}');
                }
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

fn table_cells(row: &SessionRow, now: std::time::SystemTime, exact_expiry: bool) -> Vec<String> {
    let mut cells = vec![row.token.clone(), rows::state(row).to_owned()];
    if exact_expiry {
        cells.push(rfc3339_micros(row.expiry));
    }
    cells.push(relative(row.expiry, now));
    cells.push(human_bytes(row.size as u64));
    cells
}
